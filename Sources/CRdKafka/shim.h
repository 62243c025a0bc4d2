// The one C boundary for librdkafka. Only Sources/SalesPulseKafka/RDKafka/ imports this module.
#ifndef SALESPULSE_CRDKAFKA_SHIM_H
#define SALESPULSE_CRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// Produces one message with rd_kafka_produceva (which returns an error object instead of
/// relying on the thread-local rd_kafka_last_error()). The vu array is built here because Swift
/// cannot initialise the anonymous union of rd_kafka_vu_t. Payload and key are copied.
/// `headers` is owned by librdkafka on success only; the caller destroys it on failure.
/// Asks the CPU to start loading a consumed message's header and the first `lines` 64-byte
/// lines of its payload into the cache (a hint: no effect on results). The consume loop calls it
/// a few records ahead, so the loads overlap with the work on earlier records.
static inline void salespulse_prefetch_message(const rd_kafka_message_t *message, int lines) {
    const char *payload = (const char *)message->payload;
    if (payload == NULL) return;
    size_t length = message->len;
    for (int line = 0; line < lines && (size_t)line * 64 < length; line++) {
        __builtin_prefetch(payload + (size_t)line * 64, 0, 3);
    }
}

/// Asks the CPU to start loading a consumed message's header (see salespulse_prefetch_message).
/// Every line of the message's first 104 bytes: the fields of rd_kafka_message_t (72 bytes) and
/// librdkafka's own message fields after them up to the timestamp (bytes 96–103), which
/// rd_kafka_message_timestamp reads. The message lies inside a larger op at any alignment, so
/// those bytes span two or three lines: the lines of bytes 0, 63 and 103 are exactly those.
static inline void salespulse_prefetch_header(const rd_kafka_message_t *message) {
    __builtin_prefetch(message, 0, 3);
    __builtin_prefetch((const char *)message + 63, 0, 3);
    __builtin_prefetch((const char *)message + 103, 0, 3);
}

/// Asks the CPU to start loading the line of librdkafka's own record (the op holding a consumed
/// message) that freeing the message reads first: its type, 16 bytes in (the list links before
/// it). `_private` points at that op for a consumed message; reading it touches the header, so
/// call salespulse_prefetch_header for the message some records earlier. A hint: a prefetch
/// never faults, so a different layout would cost time, never a result.
static inline void salespulse_prefetch_release(const rd_kafka_message_t *message) {
    const char *op = (const char *)message->_private;
    if (op != NULL) __builtin_prefetch(op + 16, 0, 3);
}

/// Delays the mock broker's answer to the next request of type `api_key` (e.g. 8, OffsetCommit)
/// by `rtt_ms`: rd_kafka_mock_broker_push_request_error_rtts with one tuple, as Swift cannot call
/// a variadic C function.
static inline rd_kafka_resp_err_t salespulse_mock_delay_next_request(rd_kafka_mock_cluster_t *cluster,
                                                                     int32_t broker, int16_t api_key,
                                                                     int rtt_ms) {
    return rd_kafka_mock_broker_push_request_error_rtts(cluster, broker, api_key, 1,
                                                        RD_KAFKA_RESP_ERR_NO_ERROR, rtt_ms);
}

static inline rd_kafka_error_t *salespulse_produce(rd_kafka_t *rk, const char *topic,
                                                   int32_t partition, const void *key,
                                                   size_t key_len, const void *value,
                                                   size_t value_len, rd_kafka_headers_t *headers,
                                                   void *opaque) {
    rd_kafka_vu_t vus[7];
    size_t n = 0;
    vus[n].vtype = RD_KAFKA_VTYPE_TOPIC; vus[n].u.cstr = topic; n++;
    vus[n].vtype = RD_KAFKA_VTYPE_PARTITION; vus[n].u.i32 = partition; n++;
    if (key != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_KEY; vus[n].u.mem.ptr = (void *)key; vus[n].u.mem.size = key_len; n++;
    }
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE; vus[n].u.mem.ptr = (void *)value; vus[n].u.mem.size = value_len; n++;
    if (headers != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_HEADERS; vus[n].u.headers = headers; n++;
    }
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE; vus[n].u.ptr = opaque; n++;
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS; vus[n].u.i = RD_KAFKA_MSG_F_COPY; n++;
    return rd_kafka_produceva(rk, vus, n);
}

#endif
