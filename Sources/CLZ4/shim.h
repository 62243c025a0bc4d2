// The one C boundary for liblz4 (frame format, used by checkpoints and the event archive).
#ifndef SALESPULSE_CLZ4_SHIM_H
#define SALESPULSE_CLZ4_SHIM_H
#include <lz4.h>
#include <lz4frame.h>
#endif
