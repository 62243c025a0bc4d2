// The scalar fast path: one pass over an event of the common shape, without simdjson's
// structural index. It accepts only a strict subset of JSON (strings without escapes, numbers
// without exponents and with at most 15 significant digits, `type` before `data`) and fills
// `sp_event` exactly as the simdjson walk in shim.cpp does. On anything else, valid or not, it
// answers false and the caller runs the simdjson walk, which alone reports errors: the fast path
// never rejects, so it cannot change what is accepted, only how fast.
#include "parser_state.h"

#include <cstring>
#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace salespulse {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Powers of ten a double holds exactly (Clinger's fast path: mantissa < 2^53, exponent <= 22).
constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Bits set at the bytes of `word` equal to `byte` (the lowest set bit is exact; higher ones may
// be false positives, so only the lowest is used).
inline uint64_t bytes_equal(uint64_t word, uint8_t byte) {
    uint64_t x = word ^ (kOnes * byte);
    return (x - kOnes) & ~x & kHighs;
}

inline bool is_blank(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

// All bytes below 0x80, eight at a time (reading up to 7 bytes past the end is safe: padded).
inline bool all_ascii(const uint8_t *at, const uint8_t *end) {
    uint64_t seen = 0;
    for (; at + 8 <= end; at += 8) {
        uint64_t word;
        std::memcpy(&word, at, 8);
        seen |= word;
    }
    for (; at < end; at++) seen |= *at;
    return (seen & kHighs) == 0;
}

struct Scanner {
    const sp_parser *parser;
    sp_event *out;
    const uint8_t *at;
    const uint8_t *end;
    const TypeSpec *type = nullptr;
    uint32_t element = 0;

    void skip_blanks() {
        while (at < end && is_blank(*at)) at++;
    }

    bool next_is(uint8_t c) const { return at < end && *at == c; }

    // The `:` between a key and its value, with the blanks around it.
    bool colon() {
        skip_blanks();
        if (!next_is(':')) return false;
        at++;
        skip_blanks();
        return true;
    }

    // What follows a member or element: `,` and more of them, the closing byte, or anything else.
    enum class After { more, closed, invalid };
    After after_item(uint8_t closing) {
        skip_blanks();
        if (next_is(',')) {
            at++;
            skip_blanks();
            return After::more;
        }
        if (!next_is(closing)) return After::invalid;
        at++;
        return After::closed;
    }

    // The first quote, backslash or control byte after `start` is at `found`: a string when it
    // is the closing quote within the event (then `text` and `at` move past it), else not ours.
    bool end_string(const uint8_t *start, const uint8_t *found, std::string_view &text) {
        if (found >= end || *found != '"') return false;
        text = std::string_view(reinterpret_cast<const char *>(start), static_cast<size_t>(found - start));
        at = found + 1;
        return true;
    }

    // A string after its opening quote, up to the closing one: no escapes, no control bytes.
    bool string(std::string_view &text) {
        const uint8_t *start = at;
#ifdef __AVX2__
        // 32 bytes at a time: most keys and values end within the first block. Reading up to 31
        // bytes past the end stays within the 64 bytes of padding.
        const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\'), space = _mm256_set1_epi8(0x1F);
        for (const uint8_t *block = at; block < end; block += 32) {
            __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(block));
            __m256i control = _mm256_cmpeq_epi8(_mm256_max_epu8(bytes, space), space);  // bytes <= 0x1F
            __m256i hits = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(bytes, quote), _mm256_cmpeq_epi8(bytes, backslash)), control);
            uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(hits));
            if (mask == 0) continue;
            return end_string(start, block + __builtin_ctz(mask), text);
        }
        return false;
#else
        for (const uint8_t *word_at = at; word_at < end; word_at += 8) {
            uint64_t word;
            std::memcpy(&word, word_at, 8);
            uint64_t control = (word - kOnes * 0x20) & ~word & kHighs;
            uint64_t hits = bytes_equal(word, '"') | bytes_equal(word, '\\') | control;
            if (hits == 0) continue;
            return end_string(start, word_at + (__builtin_ctzll(hits) >> 3), text);
        }
        return false;
#endif
    }

    // A JSON number without exponent and with at most 15 significant digits, which a double
    // division rounds exactly as simdjson's parser does.
    bool number(double &value) {
        const uint8_t *p = at;
        bool negative = p < end && *p == '-';
        if (negative) p++;
        if (p >= end) return false;
        uint64_t mantissa = 0;
        int digits = 0;
        if (*p == '0') {
            p++;
        } else if (*p >= '1' && *p <= '9') {
            while (p < end && is_digit(*p)) {
                mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
                if (++digits > 15) return false;
                p++;
            }
        } else {
            return false;
        }
        int fraction = 0;
        if (p < end && *p == '.') {
            p++;
            while (p < end && is_digit(*p)) {
                mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
                if (++digits > 15) return false;
                fraction++;
                p++;
            }
            if (fraction == 0) return false;
        }
        if (p < end && (*p == 'e' || *p == 'E')) return false;
        double magnitude = static_cast<double>(mantissa);
        if (fraction > 0) magnitude /= kPowersOfTen[fraction];
        value = negative ? -magnitude : magnitude;
        at = p;
        return true;
    }

    bool literal(const char *word, size_t length) {
        if (static_cast<size_t>(end - at) < length || std::memcmp(at, word, length) != 0) return false;
        at += length;
        return true;
    }

    // A primitive we only skip (an unused CloudEvents extension attribute).
    bool skip_primitive() {
        std::string_view ignored;
        double number_value;
        switch (at < end ? *at : 0) {
            case '"': at++; return string(ignored);
            case 't': return literal("true", 4);
            case 'f': return literal("false", 5);
            case 'n': return literal("null", 4);
            default: return number(number_value);
        }
    }

    // The rest of an object after `{`, mirroring walk_object: every key a declared child.
    bool object(uint32_t node, int depth) {
        if (depth > kMaxDepth) return false;
        skip_blanks();
        if (next_is('}')) {
            at++;
            return true;
        }
        // Producers write a type's fields in one order, usually the catalogue's: the key after
        // the field at position i is first guessed to be the one at position i + 1.
        const std::vector<uint32_t> &children = type->nodes[node].children;
        size_t guess = 0;
        for (;;) {
            if (!next_is('"')) return false;
            at++;
            uint32_t child = 0;
            if (guess < children.size() && type->nodes[children[guess]].pattern.matches(at, end)) {
                child = children[guess];
                at += type->nodes[child].pattern.length;
                guess++;
            } else {
                std::string_view key;
                if (!string(key)) return false;
                if (key != "[]") {
                    for (size_t position = 0; position < children.size(); position++) {
                        if (type->nodes[children[position]].key == key) {
                            child = children[position];
                            guess = position + 1;
                            break;
                        }
                    }
                }
            }
            if (!colon()) return false;
            if (child == 0 || !value(child, depth + 1)) return false;
            switch (after_item('}')) {
                case After::more: continue;
                case After::closed: return true;
                case After::invalid: return false;
            }
        }
    }

    // The rest of an array after `[`, mirroring walk_value's array branch.
    bool array(uint32_t node, int depth) {
        uint32_t items = type->child(node, "[]");
        uint32_t saved = element;
        skip_blanks();
        if (next_is(']')) {
            at++;
            return true;
        }
        for (uint32_t index = 0;; index++) {
            element = index;
            if (items == 0 || !value(items, depth + 1)) return false;
            switch (after_item(']')) {
                case After::more: continue;
                case After::closed: element = saved; return true;
                case After::invalid: return false;
            }
        }
    }

    // One value of a declared field, mirroring walk_value.
    bool value(uint32_t node, int depth) {
        const FieldNode &spec = type->nodes[node];
        if (!spec.declared || at >= end) return false;
        uint32_t kind;
        switch (*at) {
            case '{': kind = SP_KIND_OBJECT; break;
            case '[': kind = SP_KIND_ARRAY; break;
            case '"': kind = SP_KIND_STRING; break;
            case 't': case 'f': kind = SP_KIND_BOOL; break;
            case 'n': kind = SP_KIND_NULL; break;
            default: kind = SP_KIND_NUMBER; break;
        }
        if ((spec.kinds & kind) == 0) return false;
        if (kind == SP_KIND_OBJECT) {
            at++;
            return object(node, depth);
        }
        if (kind == SP_KIND_ARRAY) {
            at++;
            return array(node, depth);
        }
        if (out->value_count >= SP_MAX_VALUES) return false;
        sp_value &slot = out->values[out->value_count];
        slot.field = spec.index;
        slot.element = element;
        slot.kind = kind;
        slot.string = {nullptr, 0};
        slot.number = 0;
        switch (kind) {
            case SP_KIND_STRING: {
                at++;
                std::string_view text;
                if (!string(text)) return false;
                slot.string = {text.data(), text.size()};
                break;
            }
            case SP_KIND_NUMBER:
                if (!number(slot.number)) return false;
                break;
            case SP_KIND_BOOL:
                if (literal("true", 4)) slot.number = 1;
                else if (!literal("false", 5)) return false;
                break;
            default:
                if (!literal("null", 4)) return false;
                break;
        }
        out->value_count++;
        return true;
    }

    // The envelope, mirroring sp_parse's loop over the top-level object.
    bool event() {
        skip_blanks();
        if (!next_is('{')) return false;
        at++;
        skip_blanks();
        // The attributes are guessed in the order of kAttributeNames (CloudEvents' own), then
        // `data`; a key that is neither is scanned and looked up.
        int guess = 0;
        for (;;) {
            if (!next_is('"')) return false;
            at++;
            int attribute;
            bool data = false;
            if (guess < SP_ATTR_COUNT && parser->attribute_patterns[guess].matches(at, end)) {
                attribute = guess;
                at += parser->attribute_patterns[guess].length;
            } else if (parser->data_pattern.matches(at, end)) {
                attribute = -1;
                data = true;
                at += parser->data_pattern.length;
            } else {
                std::string_view key;
                if (!string(key)) return false;
                data = key == "data";
                attribute = data ? -1 : attribute_index(key);
            }
            if (attribute >= 0) guess = attribute + 1;
            if (!colon()) return false;
            if (data) {
                // `data` before `type`, or of an unknown type: the simdjson walk handles it.
                if (!next_is('{') || !(out->present & (1u << SP_ATTR_TYPE)) || out->type_index < 0) return false;
                at++;
                type = &parser->types[static_cast<size_t>(out->type_index)];
                element = 0;
                if (!object(0, 1)) return false;
            } else {
                if (attribute < 0) {
                    if (!skip_primitive()) return false;
                } else {
                    std::string_view text;
                    if (!next_is('"')) return false;
                    at++;
                    if (!string(text)) return false;
                    out->attributes[attribute] = {text.data(), text.size()};
                    out->present |= 1u << attribute;
                    if (attribute == SP_ATTR_TYPE) out->type_index = lookup_type(parser, out);
                }
            }
            After after = after_item('}');
            if (after == After::invalid) return false;
            if (after == After::closed) break;
        }
        skip_blanks();
        return at == end && (out->present & (1u << SP_ATTR_TYPE)) && out->type_index >= 0;
    }
};

}  // namespace

bool fast_parse(const sp_parser *p, const uint8_t *base, size_t length, sp_event *out) {
    const uint8_t *end = base + length;
    if (!all_ascii(base, end) && !simdjson::validate_utf8(reinterpret_cast<const char *>(base), length)) return false;
    Scanner scanner{p, out, base, end};
    return scanner.event();
}

}  // namespace salespulse
