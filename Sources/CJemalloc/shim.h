// The C boundary for jemalloc (Debian's libjemalloc-dev), the allocator of the salespulse
// executable. Linking it replaces malloc and free for the whole process: Swift's runtime,
// librdkafka and simdjson allocate through it. Used by `Allocator` to name the allocator.
#ifndef SALESPULSE_CJEMALLOC_SHIM_H
#define SALESPULSE_CJEMALLOC_SHIM_H
#include <dlfcn.h>
#include <jemalloc/jemalloc.h>

/// 1 when the process-wide symbol `malloc` is jemalloc's (and not glibc's, or that of an
/// allocator preloaded with LD_PRELOAD), else 0.
static inline int sp_malloc_is_jemalloc(void) {
    void *library = dlopen("libjemalloc.so.2", RTLD_LAZY | RTLD_NOLOAD);
    if (library == NULL) return 0;
    void *jemallocs = dlsym(library, "malloc");
    void *processwide = dlsym((void *)0 /* RTLD_DEFAULT */, "malloc");
    dlclose(library);
    return jemallocs != NULL && jemallocs == processwide;
}
#endif
