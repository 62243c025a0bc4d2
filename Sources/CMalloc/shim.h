// The one C boundary for glibc's allocator settings (mallopt), used by AllocatorTuning.
#ifndef SALESPULSE_CMALLOC_SHIM_H
#define SALESPULSE_CMALLOC_SHIM_H
#include <malloc.h>
#endif
