#ifndef SALESPULSE_SIMDJSON_SHIM_H
#define SALESPULSE_SIMDJSON_SHIM_H
#ifdef __cplusplus
extern "C" {
#endif
int sp_simdjson_placeholder(void);
#ifdef __cplusplus
}
#endif
#endif
