// The parser's state, shared by the simdjson walk (shim.cpp) and the fast path (fast_path.cpp).
// Private to the CSimdJSON target: Swift sees only include/simdjson_shim.h.
#ifndef SALESPULSE_PARSER_STATE_H
#define SALESPULSE_PARSER_STATE_H
#include "simdjson_shim.h"

#include <simdjson.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace salespulse {

// A key of up to 15 bytes followed by its closing quote, as two little-endian words and masks,
// so the fast path can test "the next key is this one" with two loads and two compares instead
// of scanning the key for its end and then looking it up.
struct KeyPattern {
    uint64_t words[2] = {0, 0};
    uint64_t masks[2] = {0, 0};
    uint32_t length = 0;  // bytes compared: the key and its closing quote (0: never matches)

    KeyPattern() = default;
    explicit KeyPattern(std::string_view key) {
        if (key.empty() || key.size() > 15) return;
        uint8_t bytes[16] = {0}, mask[16] = {0};
        std::memcpy(bytes, key.data(), key.size());
        bytes[key.size()] = '"';
        length = static_cast<uint32_t>(key.size() + 1);
        std::memset(mask, 0xFF, length);
        std::memcpy(words, bytes, 16);
        std::memcpy(masks, mask, 16);
    }

    // True when the bytes at `at` are the key and its closing quote, all before `end`. Reads 16
    // bytes from `at`: the caller's buffer must be padded. A key holds no quote, backslash or
    // control byte, so a match is exactly the string a scan for the closing quote would find.
    bool matches(const uint8_t *at, const uint8_t *end) const {
        if (length == 0 || end - at < static_cast<std::ptrdiff_t>(length)) return false;
        uint64_t low, high;
        std::memcpy(&low, at, 8);
        std::memcpy(&high, at + 8, 8);
        return ((low & masks[0]) ^ words[0]) == 0 && ((high & masks[1]) ^ words[1]) == 0;
    }
};

// A type's data fields as a tree of path segments; an array's elements are the child "[]".
struct FieldNode {
    std::string key;
    KeyPattern pattern;  // `key` for the fast path's guess
    uint32_t index = 0;
    uint32_t kinds = 0;
    bool declared = false;
    std::vector<uint32_t> children;
};

struct TypeSpec {
    std::string name;
    bool registered = false;
    std::vector<FieldNode> nodes{FieldNode{}};  // node 0: the data object itself

    uint32_t child(uint32_t node, std::string_view key) const {
        for (uint32_t c : nodes[node].children)
            if (nodes[c].key == key) return c;
        return 0;
    }
};

constexpr int kMaxDepth = 8;

constexpr std::string_view kAttributeNames[SP_ATTR_COUNT] = {
    "specversion", "id", "source", "type", "time", "subject", "repid", "region", "flow",
    "datacontenttype", "dataschema"};

}  // namespace salespulse

struct sp_parser {
    simdjson::ondemand::parser json;
    simdjson::ondemand::parser deferred;  // for a `data` object that precedes `type`
    std::vector<uint8_t> buffer;
    std::vector<salespulse::TypeSpec> types;
    bool fast_path = true;  // try the scalar fast path first (see fast_path.cpp)
    uint64_t fast_path_count = 0;
    // The envelope's keys as patterns (see KeyPattern), indexed by attribute, and `data`.
    salespulse::KeyPattern attribute_patterns[SP_ATTR_COUNT];
    salespulse::KeyPattern data_pattern{"data"};
    // sp_parser_parse_time's cache: the 16 bytes `YYYY-MM-DDTHH:MM` of the last timestamp whose
    // prefix was valid, and that minute in seconds since the epoch before the UTC offset.
    uint64_t minute_key[2] = {0, 0};
    int64_t minute_seconds = 0;
    bool minute_valid = false;
    size_t type_limit = 0;  // one past the highest registered type index
    size_t max_bytes;
    // Walk state: the keys from `data` down to the current value (for error pointers only).
    std::vector<std::string_view> path;
    uint32_t element = 0;
    // The end of the event's bytes, and where escaped strings are unescaped to (per event).
    const uint8_t *limit = nullptr;
    std::vector<uint8_t> scratch;
    uint8_t *scratch_next = nullptr;
};


namespace salespulse {

// The envelope attribute a key names, or -1: dispatched on the key's length, so a key is
// compared with at most two candidates instead of searched for among all eleven.
inline int attribute_index(std::string_view key) {
    auto is = [&](int attribute) { return key == kAttributeNames[attribute] ? attribute : -1; };
    switch (key.size()) {
        case 2: return is(SP_ATTR_ID);
        case 4: return key[1] == 'y' ? is(SP_ATTR_TYPE) : key[1] == 'i' ? is(SP_ATTR_TIME) : is(SP_ATTR_FLOW);
        case 5: return is(SP_ATTR_REPID);
        case 6: return key[0] == 's' ? is(SP_ATTR_SOURCE) : is(SP_ATTR_REGION);
        case 7: return is(SP_ATTR_SUBJECT);
        case 10: return is(SP_ATTR_DATASCHEMA);
        case 11: return is(SP_ATTR_SPECVERSION);
        case 15: return is(SP_ATTR_DATACONTENTTYPE);
        default: return -1;
    }
}

// The registered index of the type named by the `type` attribute already in `out`, or -1.
inline int lookup_type(const sp_parser *p, const sp_event *out) {
    const sp_string &name = out->attributes[SP_ATTR_TYPE];
    std::string_view view(name.ptr, name.len);
    for (size_t i = 0; i < p->type_limit; i++) {
        if (p->types[i].registered && p->types[i].name == view) return static_cast<int>(i);
    }
    return -1;
}

// Parses a well-formed event of the common shape without simdjson: returns true with `out`
// filled exactly as the simdjson walk fills it, or false for anything else (escapes, exponents,
// `data` before `type`, any error), in which case the caller runs the simdjson walk, which
// reports errors precisely. `base` is padded: reading up to 32 bytes past `length` is safe.
bool fast_parse(const sp_parser *p, const uint8_t *base, size_t length, sp_event *out);

}  // namespace salespulse

#endif
