// The id scan of the runtime's look-ahead (`EventIDScan`): an event's id found in its raw JSON,
// 32 bytes at a time. The Swift loop it replaces compared a 4-byte word at every position, then
// walked the id byte by byte; here each step looks at 32 positions. Every load stays within the
// record (a Kafka record's bytes are not padded): near its end the scan goes byte by byte.
#include "simdjson_shim.h"

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace {

constexpr uint8_t kQuote = '"';
constexpr uint8_t kBackslash = '\\';

inline bool is_key_at(const uint8_t *json, size_t position) {
    return json[position] == kQuote && json[position + 1] == 'i' && json[position + 2] == 'd' && json[position + 3] == kQuote;
}

// The first position at or after `from` where `"id"` starts and ends within `bound` bytes, or
// `bound` when there is none.
size_t find_key(const uint8_t *json, size_t length, size_t bound, size_t from) {
    size_t position = from;
#ifdef __AVX2__
    const __m256i quote = _mm256_set1_epi8('"'), i = _mm256_set1_epi8('i'), d = _mm256_set1_epi8('d');
    // Loads at position + 0…3, 32 bytes each: the last byte read is position + 34.
    while (position + 4 <= bound && position + 35 <= length) {
        const auto *at = reinterpret_cast<const __m256i *>(json + position);
        __m256i hits = _mm256_cmpeq_epi8(_mm256_loadu_si256(at), quote);
        hits = _mm256_and_si256(hits, _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(json + position + 1)), i));
        hits = _mm256_and_si256(hits, _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(json + position + 2)), d));
        hits = _mm256_and_si256(hits, _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(json + position + 3)), quote));
        uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(hits));
        if (mask != 0) {
            size_t found = position + static_cast<size_t>(__builtin_ctz(mask));
            return found + 4 <= bound ? found : bound;
        }
        position += 32;
    }
#endif
    for (; position + 4 <= bound; position++) {
        if (is_key_at(json, position)) return position;
    }
    return bound;
}

// The first quote or backslash at or after `from`, or `length`.
size_t find_quote_or_backslash(const uint8_t *json, size_t length, size_t from) {
    size_t position = from;
#ifdef __AVX2__
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    while (position + 32 <= length) {
        __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(json + position));
        __m256i hits = _mm256_or_si256(_mm256_cmpeq_epi8(bytes, quote), _mm256_cmpeq_epi8(bytes, backslash));
        uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(hits));
        if (mask != 0) return position + static_cast<size_t>(__builtin_ctz(mask));
        position += 32;
    }
#endif
    for (; position < length; position++) {
        if (json[position] == kQuote || json[position] == kBackslash) return position;
    }
    return length;
}

inline size_t skip_spaces(const uint8_t *json, size_t length, size_t position) {
    while (position < length && json[position] == ' ') position++;
    return position;
}

}  // namespace

extern "C" ptrdiff_t sp_scan_event_id(const uint8_t *json, size_t length, size_t limit, size_t *start) {
    if (json == nullptr) return -1;
    const size_t bound = length < limit ? length : limit;
    size_t from = 0;
    for (;;) {
        const size_t key = find_key(json, length, bound, from);
        if (key >= bound) return -1;
        size_t cursor = skip_spaces(json, length, key + 4);
        if (cursor >= length || json[cursor] != ':') {
            // Not a key after all (e.g. a value "id"): look again past it.
            from = key + 4;
            continue;
        }
        cursor = skip_spaces(json, length, cursor + 1);
        if (cursor >= length || json[cursor] != kQuote) return -1;
        const size_t first = cursor + 1;
        const size_t end = find_quote_or_backslash(json, length, first);
        if (end >= length || json[end] == kBackslash) return -1;
        *start = first;
        return static_cast<ptrdiff_t>(end - first);
    }
}
