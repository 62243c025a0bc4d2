#include "simdjson_shim.h"
int sp_simdjson_placeholder(void) { return 0; }
