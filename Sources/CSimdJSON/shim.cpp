// simdjson On-Demand walker for SalesPulse events. See include/simdjson_shim.h.
#include "simdjson_shim.h"
#include "parser_state.h"

#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

using namespace simdjson;
using namespace salespulse;

namespace {

void set_error(sp_event *out, int code, const std::string &pointer, const std::string &detail) {
    out->error = code;
    std::snprintf(out->pointer, SP_MESSAGE_SIZE, "%s", pointer.c_str());
    std::snprintf(out->detail, SP_MESSAGE_SIZE, "%s", detail.c_str());
}

int simdjson_failure(sp_event *out, error_code code, const std::string &pointer) {
    if (code == UTF8_ERROR) {
        set_error(out, SP_ERR_UTF8, pointer, "invalid UTF-8");
        return SP_ERR_UTF8;
    }
    set_error(out, SP_ERR_JSON, pointer, std::string("malformed JSON: ") + error_message(code));
    return SP_ERR_JSON;
}

void append_pointer_token(std::string &pointer, std::string_view key);

// The JSON pointer of the current walk position, built only when reporting an error: the keys
// from `data` down, with `[]` standing for the current element index.
std::string pointer_of(const std::vector<std::string_view> &path, uint32_t element) {
    std::string pointer = "/data";
    for (std::string_view key : path) {
        if (key == "[]") {
            pointer.push_back('/');
            pointer.append(std::to_string(element));
        } else {
            append_pointer_token(pointer, key);
        }
    }
    return pointer;
}

void append_pointer_token(std::string &pointer, std::string_view key) {
    pointer.push_back('/');
    for (char c : key) {
        if (c == '~') pointer += "~0";
        else if (c == '/') pointer += "~1";
        else pointer.push_back(c);
    }
}

const char *kind_name(uint32_t kinds) {
    if (kinds & SP_KIND_OBJECT) return "an object";
    if (kinds & SP_KIND_ARRAY) return "an array";
    if (kinds & SP_KIND_STRING) return (kinds & SP_KIND_NULL) ? "a string or null" : "a string";
    if (kinds & SP_KIND_NUMBER) return "a number";
    if (kinds & SP_KIND_BOOL) return "a boolean";
    return "null";
}

// A key or string without escapes is used where it lies in the (padded) input, without the
// copy simdjson's unescaping makes; one with a backslash is unescaped by simdjson.
// Eight bytes at a time (SWAR): the input is padded, so reading past the closing quote is safe.
inline bool raw_string(const uint8_t *start, const uint8_t *limit, std::string_view &out) {
    constexpr uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint8_t *at = start;
    while (at < limit) {
        uint64_t word;
        std::memcpy(&word, at, 8);
        uint64_t quote = word ^ (ones * '"');
        uint64_t slash = word ^ (ones * '\\');
        uint64_t hits = ((quote - ones) & ~quote & highs) | ((slash - ones) & ~slash & highs);
        if (hits != 0) {
            const uint8_t *found = at + (__builtin_ctzll(hits) >> 3);
            if (found >= limit || *found != '"') return false;  // an escape: let simdjson unescape
            out = std::string_view(reinterpret_cast<const char *>(start), static_cast<size_t>(found - start));
            return true;
        }
        at += 8;
    }
    return false;
}

int walk_value(sp_parser *p, const TypeSpec &type, uint32_t node, ondemand::value value, sp_event *out, int depth);

// A string value: in place when it has no escapes, else unescaped into the scratch buffer.
error_code string_value(sp_parser *p, ondemand::value &value, std::string_view &text) {
    ondemand::raw_json_string raw;
    if (auto e = value.get_raw_json_string().get(raw)) return e;
    if (raw_string(reinterpret_cast<const uint8_t *>(raw.raw()), p->limit, text)) return SUCCESS;
    return p->json.unescape(raw, p->scratch_next).get(text);
}

int walk_object(sp_parser *p, const TypeSpec &type, uint32_t node, ondemand::object object, sp_event *out, int depth) {
    if (depth > kMaxDepth) {
        set_error(out, SP_ERR_TOO_DEEP, pointer_of(p->path, p->element), "nesting deeper than 8 levels");
        return SP_ERR_TOO_DEEP;
    }
    for (auto field_result : object) {
        ondemand::field field;
        if (auto e = std::move(field_result).get(field)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
        std::string_view key;
        const uint8_t *raw = reinterpret_cast<const uint8_t *>(field.key().raw());
        if (!raw_string(raw, p->limit, key)) {
            if (auto e = field.unescaped_key().get(key)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
        }
        p->path.push_back(key);
        uint32_t child = key == "[]" ? 0 : type.child(node, key);
        if (child == 0) {
            set_error(out, SP_ERR_UNEXPECTED_FIELD, pointer_of(p->path, p->element),
                      "unexpected field for type " + type.name + " (not in its schema)");
            return SP_ERR_UNEXPECTED_FIELD;
        }
        int rc = walk_value(p, type, child, field.value(), out, depth + 1);
        if (rc != SP_OK) return rc;
        p->path.pop_back();
    }
    return SP_OK;
}

int walk_value(sp_parser *p, const TypeSpec &type, uint32_t node, ondemand::value value, sp_event *out, int depth) {
    const FieldNode &spec = type.nodes[node];
    if (!spec.declared) {
        set_error(out, SP_ERR_UNEXPECTED_FIELD, pointer_of(p->path, p->element),
                  "unexpected field for type " + type.name + " (not in its schema)");
        return SP_ERR_UNEXPECTED_FIELD;
    }
    ondemand::json_type jtype;
    if (auto e = value.type().get(jtype)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
    uint32_t kind = 0;
    switch (jtype) {
        case ondemand::json_type::object: kind = SP_KIND_OBJECT; break;
        case ondemand::json_type::array: kind = SP_KIND_ARRAY; break;
        case ondemand::json_type::string: kind = SP_KIND_STRING; break;
        case ondemand::json_type::number: kind = SP_KIND_NUMBER; break;
        case ondemand::json_type::boolean: kind = SP_KIND_BOOL; break;
        case ondemand::json_type::null: kind = SP_KIND_NULL; break;
    }
    if ((spec.kinds & kind) == 0) {
        set_error(out, SP_ERR_FIELD_KIND, pointer_of(p->path, p->element), std::string("expected ") + kind_name(spec.kinds));
        return SP_ERR_FIELD_KIND;
    }
    if (kind == SP_KIND_OBJECT) {
        ondemand::object object;
        if (auto e = value.get_object().get(object)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
        return walk_object(p, type, node, object, out, depth);
    }
    if (kind == SP_KIND_ARRAY) {
        ondemand::array array;
        if (auto e = value.get_array().get(array)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
        uint32_t items = type.child(node, "[]");
        p->path.push_back("[]");
        uint32_t saved_element = p->element;
        uint32_t index = 0;
        for (auto item_result : array) {
            ondemand::value item;
            if (auto e = std::move(item_result).get(item)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
            p->element = index;
            if (items == 0) {
                set_error(out, SP_ERR_UNEXPECTED_FIELD, pointer_of(p->path, p->element), "unexpected array element for type " + type.name);
                return SP_ERR_UNEXPECTED_FIELD;
            }
            int rc = walk_value(p, type, items, item, out, depth + 1);
            if (rc != SP_OK) return rc;
            index++;
        }
        p->element = saved_element;
        p->path.pop_back();
        return SP_OK;
    }
    if (out->value_count >= SP_MAX_VALUES) {
        set_error(out, SP_ERR_TOO_MANY_VALUES, pointer_of(p->path, p->element), "more than 96 values in data");
        return SP_ERR_TOO_MANY_VALUES;
    }
    sp_value &slot = out->values[out->value_count];
    slot.field = spec.index;
    slot.element = p->element;
    slot.kind = kind;
    slot.string = {nullptr, 0};
    slot.number = 0;
    switch (kind) {
        case SP_KIND_STRING: {
            std::string_view text;
            if (auto e = string_value(p, value, text)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
            slot.string = {text.data(), text.size()};
            break;
        }
        case SP_KIND_NUMBER: {
            double number;
            if (auto e = value.get_double().get(number)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
            slot.number = number;
            break;
        }
        case SP_KIND_BOOL: {
            bool flag;
            if (auto e = value.get_bool().get(flag)) return simdjson_failure(out, e, pointer_of(p->path, p->element));
            slot.number = flag ? 1 : 0;
            break;
        }
        default:
            break;
    }
    out->value_count++;
    return SP_OK;
}

int walk_data(sp_parser *p, const TypeSpec &type, ondemand::object object, sp_event *out) {
    p->path.clear();
    p->element = 0;
    return walk_object(p, type, 0, object, out, 1);
}

}  // namespace

extern "C" {

sp_parser *sp_parser_new(size_t max_event_bytes) {
    auto *parser = new sp_parser();
    parser->max_bytes = max_event_bytes;
    parser->buffer.resize(max_event_bytes + SIMDJSON_PADDING);
    parser->scratch.resize(max_event_bytes + SIMDJSON_PADDING);
    parser->types.resize(256);
    for (int attribute = 0; attribute < SP_ATTR_COUNT; attribute++)
        parser->attribute_patterns[attribute] = KeyPattern(kAttributeNames[attribute]);
    if (parser->json.allocate(max_event_bytes) != SUCCESS || parser->deferred.allocate(max_event_bytes) != SUCCESS) {
        delete parser;
        return nullptr;
    }
    return parser;
}

void sp_parser_free(sp_parser *parser) { delete parser; }

void sp_parser_set_fast_path(sp_parser *parser, int enabled) { parser->fast_path = enabled != 0; }

uint64_t sp_parser_fast_path_count(const sp_parser *parser) { return parser->fast_path_count; }

int sp_parser_register_type(sp_parser *parser, const char *name, uint32_t type_index) {
    if (type_index >= parser->types.size()) return -1;
    parser->types[type_index].name = name;
    parser->types[type_index].registered = true;
    if (type_index + 1 > parser->type_limit) parser->type_limit = type_index + 1;
    return 0;
}

int sp_parser_register_field(sp_parser *parser, uint32_t type_index, const char *path, uint32_t field_index,
                             uint32_t kinds) {
    if (type_index >= parser->types.size()) return -1;
    TypeSpec &type = parser->types[type_index];
    // Split "evidence.skus[].sku" into evidence / skus / [] / sku and walk down, adding nodes.
    std::vector<std::string> segments;
    std::string_view rest(path);
    while (!rest.empty()) {
        size_t dot = rest.find('.');
        std::string_view segment = rest.substr(0, dot);
        bool array = segment.size() >= 2 && segment.substr(segment.size() - 2) == "[]";
        if (array) segment.remove_suffix(2);
        if (!segment.empty()) segments.emplace_back(segment);
        if (array) segments.emplace_back("[]");
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    uint32_t node = 0;
    for (const std::string &segment : segments) {
        uint32_t child = type.child(node, segment);
        if (child == 0) {
            child = static_cast<uint32_t>(type.nodes.size());
            FieldNode added;
            added.key = segment;
            // An array's element node ("[]") is never named by a JSON key: no pattern.
            if (segment != "[]") added.pattern = KeyPattern(segment);
            type.nodes.push_back(added);
            type.nodes[node].children.push_back(child);
        }
        node = child;
    }
    type.nodes[node].index = field_index;
    type.nodes[node].kinds = kinds;
    type.nodes[node].declared = true;
    return 0;
}

int sp_parse(sp_parser *p, const uint8_t *json, size_t length, sp_event *out) {
    out->error = SP_OK;
    out->type_index = -1;
    out->present = 0;
    out->value_count = 0;
    out->pointer[0] = 0;
    out->detail[0] = 0;
    if (length > p->max_bytes) {
        set_error(out, SP_ERR_TOO_LARGE, "", "event of " + std::to_string(length) + " bytes exceeds the limit of " +
                                                 std::to_string(p->max_bytes));
        return out->error;
    }
    // simdjson reads up to SIMDJSON_PADDING bytes past the end (their content does not matter).
    // When those bytes lie in the same memory page as the event's last byte they are readable,
    // and the event is parsed where it lies; otherwise it is copied into the padded buffer.
    const uint8_t *base = json;
    const uintptr_t last = reinterpret_cast<uintptr_t>(json) + length - 1;
    if (length == 0 || (last >> 12) != ((last + SIMDJSON_PADDING) >> 12)) {
        std::memcpy(p->buffer.data(), json, length);
        std::memset(p->buffer.data() + length, ' ', SIMDJSON_PADDING);
        base = p->buffer.data();
    }
    p->limit = base + length;
    p->scratch_next = p->scratch.data();
    if (p->fast_path) {
        if (fast_parse(p, base, length, out)) {
            p->fast_path_count++;
            return SP_OK;
        }
        out->type_index = -1;  // what the fast path filled is overwritten below
        out->present = 0;
        out->value_count = 0;
    }
    padded_string_view view(reinterpret_cast<const char *>(base), length, length + SIMDJSON_PADDING);

    ondemand::document doc;
    if (auto e = p->json.iterate(view).get(doc)) return simdjson_failure(out, e, "");
    ondemand::object object;
    {
        ondemand::json_type jtype;
        if (auto e = doc.type().get(jtype)) return simdjson_failure(out, e, "");
        if (jtype != ondemand::json_type::object) {
            set_error(out, SP_ERR_NOT_OBJECT, "", "an event must be a JSON object");
            return out->error;
        }
    }
    if (auto e = doc.get_object().get(object)) return simdjson_failure(out, e, "");

    std::string_view deferred_data;
    bool has_deferred = false;
    for (auto field_result : object) {
        ondemand::field field;
        if (auto e = std::move(field_result).get(field)) return simdjson_failure(out, e, "");
        std::string_view key;
        if (!raw_string(reinterpret_cast<const uint8_t *>(field.key().raw()), p->limit, key)) {
            if (auto e = field.unescaped_key().get(key)) return simdjson_failure(out, e, "");
        }
        if (key == "data") {
            ondemand::value value = field.value();
            ondemand::json_type jtype;
            if (auto e = value.type().get(jtype)) return simdjson_failure(out, e, "/data");
            if (jtype != ondemand::json_type::object) {
                set_error(out, SP_ERR_DATA_NOT_OBJECT, "/data", "data must be a JSON object");
                return out->error;
            }
            ondemand::object data;
            if (auto e = value.get_object().get(data)) return simdjson_failure(out, e, "/data");
            if (out->present & (1u << SP_ATTR_TYPE)) {
                if (out->type_index < 0) {
                    // Unknown type: report it rather than the fields.
                    set_error(out, SP_ERR_UNKNOWN_TYPE, "/type", "unknown event type");
                    return out->error;
                }
                int rc = walk_data(p, p->types[out->type_index], data, out);
                if (rc != SP_OK) return rc;
            } else {
                if (auto e = data.raw_json().get(deferred_data)) return simdjson_failure(out, e, "/data");
                has_deferred = true;
            }
            continue;
        }
        int attribute = attribute_index(key);
        ondemand::value value = field.value();
        if (attribute < 0) {
            // A CloudEvents extension attribute we do not use: must be a primitive.
            ondemand::json_type jtype;
            if (auto e = value.type().get(jtype)) return simdjson_failure(out, e, "");
            if (jtype == ondemand::json_type::object || jtype == ondemand::json_type::array) {
                std::string pointer;
                append_pointer_token(pointer, key);
                set_error(out, SP_ERR_ATTRIBUTE_KIND, pointer, "CloudEvents extension attributes must be strings, numbers or booleans");
                return out->error;
            }
            continue;
        }
        std::string_view text;
        if (string_value(p, value, text)) {
            std::string pointer = std::string("/") + std::string(kAttributeNames[attribute]);
            set_error(out, SP_ERR_ATTRIBUTE_KIND, pointer, "expected a string");
            return out->error;
        }
        out->attributes[attribute] = {text.data(), text.size()};
        out->present |= 1u << attribute;
        if (attribute == SP_ATTR_TYPE) out->type_index = lookup_type(p, out);
    }
    {
        // simdjson 3.0.1's document has no at_end(): the last non-blank byte must close the object.
        size_t end = length;
        while (end > 0 && (json[end - 1] == ' ' || json[end - 1] == '\n' || json[end - 1] == '\r' || json[end - 1] == '\t')) end--;
        if (end == 0 || json[end - 1] != '}') {
            set_error(out, SP_ERR_JSON, "", "malformed JSON: trailing content after the event object");
            return out->error;
        }
    }
    if (!(out->present & (1u << SP_ATTR_TYPE))) {
        set_error(out, SP_ERR_MISSING_TYPE, "/type", "required CloudEvents attribute is missing");
        return out->error;
    }
    if (out->type_index < 0) {
        set_error(out, SP_ERR_UNKNOWN_TYPE, "/type", "unknown event type");
        return out->error;
    }
    if (has_deferred) {
        // The data object came before `type`: walk it now with the second parser. Its bytes sit
        // inside our padded buffer, so the padding requirement holds.
        size_t offset = static_cast<size_t>(deferred_data.data() - reinterpret_cast<const char *>(base));
        padded_string_view data_view(deferred_data.data(), deferred_data.size(), length + SIMDJSON_PADDING - offset);
        ondemand::document data_doc;
        if (auto e = p->deferred.iterate(data_view).get(data_doc)) return simdjson_failure(out, e, "/data");
        ondemand::object data;
        if (auto e = data_doc.get_object().get(data)) return simdjson_failure(out, e, "/data");
        int rc = walk_data(p, p->types[out->type_index], data, out);
        if (rc != SP_OK) return rc;
    }
    return SP_OK;
}

static inline bool digits(const char *s, int n, int *value) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return true;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The date, hour and minute of `YYYY-MM-DDTHH:MM` (n >= 16) as seconds since the epoch before
// any UTC offset, or false when malformed or out of range.
static bool parse_minute(const char *s, int64_t *minute_seconds) {
    int year, month, day, hour, minute;
    if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &month) || s[7] != '-' ||
        !digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &hour) ||
        s[13] != ':' || !digits(s + 14, 2, &minute))
        return false;
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1] || hour > 23 || minute > 59) return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap) return false;
    int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    *minute_seconds = days * 86400 + hour * 3600 + minute * 60;
    return true;
}

// The rest after `YYYY-MM-DDTHH:MM`: `:SS[.fraction](Z|±HH:MM)`.
static int parse_after_minute(const char *s, size_t n, int64_t minute_seconds, int64_t *epoch_ms, int32_t *offset_minutes) {
    int second;
    if (s[16] != ':' || !digits(s + 17, 2, &second) || second > 60) return 1;
    size_t i = 19;
    int millis = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        int scale = 100;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            millis += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start) return 1;
    }
    if (i == n) return 2;  // no offset: naive local time
    int offset = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int oh, om;
        if (n - i != 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return 1;
        offset = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return 1;
    }
    if (i != n) return 1;
    int64_t seconds = minute_seconds + (second == 60 ? 59 : second) - offset * 60;
    *epoch_ms = seconds * 1000 + millis;
    *offset_minutes = offset;
    return 0;
}

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM), the minute part from the one-entry cache when it
// matches the last valid one byte for byte.
int sp_parser_parse_time(sp_parser *p, const char *s, size_t n, int64_t *epoch_ms, int32_t *offset_minutes) {
    if (n < 19) return 1;
    uint64_t key[2];
    std::memcpy(key, s, 16);
    if (!p->minute_valid || key[0] != p->minute_key[0] || key[1] != p->minute_key[1]) {
        int64_t minute_seconds;
        if (!parse_minute(s, &minute_seconds)) return 1;
        p->minute_key[0] = key[0];
        p->minute_key[1] = key[1];
        p->minute_seconds = minute_seconds;
        p->minute_valid = true;
    }
    return parse_after_minute(s, n, p->minute_seconds, epoch_ms, offset_minutes);
}

}  // extern "C"
