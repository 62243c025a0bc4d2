// A small C API over simdjson's On-Demand parser for SalesPulse events (CloudEvents JSON).
// The event catalogue is registered from Swift (types and data field paths with their kinds),
// so the parser reports each data value by integer field index and Swift never compares keys.
#ifndef SALESPULSE_SIMDJSON_SHIM_H
#define SALESPULSE_SIMDJSON_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Envelope attributes, in the order of `sp_event.attributes`.
enum {
    SP_ATTR_SPECVERSION = 0, SP_ATTR_ID, SP_ATTR_SOURCE, SP_ATTR_TYPE, SP_ATTR_TIME, SP_ATTR_SUBJECT,
    SP_ATTR_REPID, SP_ATTR_REGION, SP_ATTR_FLOW, SP_ATTR_DATACONTENTTYPE, SP_ATTR_DATASCHEMA,
    SP_ATTR_COUNT
};

/// Value kinds (bit flags, so a field may accept several).
enum {
    SP_KIND_STRING = 1, SP_KIND_NUMBER = 2, SP_KIND_BOOL = 4, SP_KIND_NULL = 8,
    SP_KIND_OBJECT = 16, SP_KIND_ARRAY = 32
};

/// Parse outcomes.
enum {
    SP_OK = 0,
    SP_ERR_JSON,              // malformed JSON (detail from simdjson)
    SP_ERR_UTF8,              // invalid UTF-8
    SP_ERR_NOT_OBJECT,        // top level is not an object
    SP_ERR_ATTRIBUTE_KIND,    // an envelope attribute is not a string
    SP_ERR_UNKNOWN_TYPE,      // `type` is not in the catalogue
    SP_ERR_DATA_NOT_OBJECT,   // `data` is not an object
    SP_ERR_UNEXPECTED_FIELD,  // a data field not declared for the type
    SP_ERR_FIELD_KIND,        // a data field of the wrong kind
    SP_ERR_TOO_DEEP,          // nesting beyond the limit
    SP_ERR_TOO_MANY_VALUES,   // more data values than sp_event holds
    SP_ERR_TOO_LARGE,         // event larger than the parser's capacity
    SP_ERR_MISSING_TYPE,      // no `type` attribute
};

/// A string inside the parser's buffers; valid until the next sp_parse on the same parser.
typedef struct { const char *ptr; size_t len; } sp_string;

/// One data value: the registered field index, the array element index (0 outside arrays).
typedef struct {
    uint32_t field;
    uint32_t element;
    uint32_t kind;
    uint32_t _pad;
    sp_string string;
    double number;
} sp_value;

#define SP_MAX_VALUES 96
#define SP_MESSAGE_SIZE 192

/// The result of one parse.
typedef struct {
    int32_t error;
    int32_t type_index;                    // registered type index, or -1
    uint32_t present;                      // bit i set when attribute i is present
    uint32_t value_count;
    sp_string attributes[SP_ATTR_COUNT];
    char pointer[SP_MESSAGE_SIZE];         // JSON pointer of the error, e.g. /data/evidence/location/accuracyM
    char detail[SP_MESSAGE_SIZE];          // what was wrong
    sp_value values[SP_MAX_VALUES];
} sp_event;

typedef struct sp_parser sp_parser;

/// Creates a parser for events up to `max_event_bytes`.
sp_parser *sp_parser_new(size_t max_event_bytes);
void sp_parser_free(sp_parser *parser);

/// Turns the scalar fast path on (the default) or off. With it on, an event of the common shape
/// (no escapes, no exponents, `type` before `data`) is parsed in one pass without simdjson's
/// index; anything else, and every error, goes through the simdjson walk. Results are identical.
void sp_parser_set_fast_path(sp_parser *parser, int enabled);

/// How many events the fast path has parsed on this parser.
uint64_t sp_parser_fast_path_count(const sp_parser *parser);

/// Declares an event type. Returns 0, or -1 if the index is out of range (0..255).
int sp_parser_register_type(sp_parser *parser, const char *name, uint32_t type_index);

/// Declares a data field of a type by dotted path (`evidence.photo.hash`, arrays as
/// `evidence.skus[].sku`), with the accepted kinds. Containers must be declared too.
int sp_parser_register_field(sp_parser *parser, uint32_t type_index, const char *path,
                             uint32_t field_index, uint32_t kinds);

/// Parses one event. Returns `out->error`.
int sp_parse(sp_parser *parser, const uint8_t *json, size_t length, sp_event *out);

/// Parses an RFC 3339 timestamp. Returns 0 and sets epoch milliseconds and the UTC offset in
/// minutes; 1 for a malformed timestamp; 2 for one without an offset (naive local time).
/// The parser keeps a one-entry cache of the last valid date, hour and minute
/// (`YYYY-MM-DDTHH:MM`): consecutive events mostly share them, so only seconds, fraction and
/// offset are parsed again; the results do not depend on the cache.
int sp_parser_parse_time(sp_parser *parser, const char *text, size_t length, int64_t *epoch_ms, int32_t *offset_minutes);

/// Finds an event's id in its raw JSON without parsing it, for prefetching: the first `"id"`
/// key starting within the first `limit` bytes and followed (spaces allowed) by a colon and a
/// string without escapes. Returns the string's length and sets `*start` to its offset; -1 when
/// there is none (no such key, an escape, a value that is not a string, the end reached). Reads
/// only the `length` bytes of `json`. Not a parse: a nested key can fool it.
ptrdiff_t sp_scan_event_id(const uint8_t *json, size_t length, size_t limit, size_t *start);

#ifdef __cplusplus
}
#endif
#endif
