// The CPU's prefetch hint, for Swift code that knows which memory it reads next. Swift has no
// prefetch of its own; this header-only module needs no library.
#ifndef SALESPULSE_CPREFETCH_SHIM_H
#define SALESPULSE_CPREFETCH_SHIM_H

/// Asks the CPU to start loading the cache line holding `address` for reading, into every
/// cache level. A hint: it never faults (any address is allowed, even an invalid one) and
/// changes nothing the program can observe but time.
static inline void salespulse_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// As salespulse_prefetch_read, for a line about to be written.
static inline void salespulse_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}
#endif
