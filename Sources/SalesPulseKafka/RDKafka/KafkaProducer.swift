import CRdKafka
import Foundation
import Logging
import Synchronization

/// Delivery counts of a producer since it was created.
public struct KafkaDeliveryTally: Sendable, Equatable {
    /// Records acknowledged by the broker.
    public var delivered: Int = 0
    /// Records that failed permanently.
    public var failed: Int = 0
    /// The first delivery error seen, if any.
    public var firstError: KafkaError?

    /// Creates a tally.
    public init(delivered: Int = 0, failed: Int = 0, firstError: KafkaError? = nil) {
        self.delivered = delivered
        self.failed = failed
        self.firstError = firstError
    }
}

/// An idempotent Kafka producer over librdkafka.
///
/// ## Threads
/// ``send(_:)`` and ``enqueue(_:)`` may be called from any thread; they copy the record into
/// librdkafka's queue and return. A dedicated *delivery thread* (started at init) waits on the
/// client's event queue (`rd_kafka_poll`, woken by the queue, not a sleep loop) and resolves
/// delivery reports: awaiting ``send(_:)`` callers are resumed, ``enqueue(_:)`` records are
/// counted in ``tally``. ``flush(timeout:)`` and ``close(timeout:)`` block: call them off the
/// cooperative pool (or use ``shutdown(timeout:)``).
public final class KafkaProducer: @unchecked Sendable {
    // @unchecked Sendable: rd_kafka_t is thread-safe; mutable state lives in `context.state`
    // (a Mutex); `closed` and `running` are atomics.
    private let handle: OpaquePointer
    let context: ProducerContext
    private let logger: Logger
    private let closed = Atomic<Bool>(false)
    private let deliveryThreadDone = DispatchSemaphore(value: 0)
    /// Topic handles kept from ``prepare(topics:timeout:)`` until ``close(timeout:)``.
    private let preparedTopics = Mutex<[String: RDKafkaTopicHandle]>([:])

    /// Creates a producer and starts its delivery thread.
    /// - Throws: ``KafkaError`` with code `.configuration` naming a rejected property.
    public init(configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "salespulse.kafka.producer")) throws(KafkaError) {
        let conf = try RDKafkaConfiguration.make(configuration.librdkafkaProperties)
        let context = ProducerContext(logger: logger)
        context.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf) { handle, message, opaque in
            guard let message, let opaque else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue() as! ProducerContext
            context.delivered(message: message)
        }
        self.handle = try RDKafkaConfiguration.makeClient(type: RD_KAFKA_PRODUCER, conf: conf, role: "producer")
        self.context = context
        self.logger = logger
        let client = RDKafkaHandle(pointer: self.handle)
        let done = deliveryThreadDone
        DedicatedThread.start(name: "salespulse.delivery") { [context] in
            while context.running.load(ordering: .acquiring) {
                rd_kafka_poll(client.pointer, 100)
            }
            done.signal()
        }
    }

    deinit {
        if !closed.load(ordering: .acquiring) { close(timeout: .seconds(10)) }
    }

    /// Delivery counts for records sent with ``enqueue(_:)`` and ``send(_:)``.
    public var tally: KafkaDeliveryTally { context.state.withLock { $0.tally } }

    /// Records handed to librdkafka and not yet acknowledged or failed.
    public var inFlight: Int { Int(rd_kafka_outq_len(handle)) }

    /// Learns where the partitions of `topics` live before the first record is sent to them.
    ///
    /// librdkafka holds the records for a topic this client has not seen yet until its next
    /// periodic metadata scan, up to a second later: at start-up every topic the first records
    /// go to would stall that long (measured: 0.3–0.5 s before the first forwarded counter
    /// inputs reached the broker). This asks for each topic's metadata now, on this thread, and
    /// keeps the topic known until ``close(timeout:)``. Topics that do not exist (or a broker
    /// that does not answer within `timeout`) are only logged: sending still works, as before.
    /// Blocking: call it off the cooperative pool.
    public func prepare(topics: [String], timeout: Duration = .seconds(5)) {
        for topic in Set(topics).sorted() where preparedTopics.withLock({ $0[topic] == nil }) {
            // Made and kept as a batch's topic is (one handle per name, even when both race).
            guard let topicHandle = try? self.topicHandle(named: topic) else { continue }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let code = rd_kafka_metadata(handle, 0, topicHandle.pointer, &metadata, Int32(timeout.milliseconds))
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.info("metadata of \(topic) not read ahead of sending", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(code)))"])
            }
        }
    }

    /// Sends a record and waits for the broker's acknowledgement.
    /// - Returns: where the record landed.
    /// - Throws: ``KafkaError`` if the record cannot be queued or delivered.
    public func send(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        let id = context.nextID()
        return try await withCheckedThrowingContinuation { continuation in
            context.state.withLock { $0.waiters[id] = continuation }
            do {
                try produce(message, id: id)
            } catch {
                if let waiter = context.state.withLock({ $0.waiters.removeValue(forKey: id) }) {
                    waiter.resume(throwing: error)
                }
            }
        }
    }

    /// Queues a record without waiting; its outcome is counted in ``tally``. When librdkafka's
    /// queue is full this waits (serving delivery reports) up to `queueFullTimeout` — back-pressure.
    public func enqueue(_ message: KafkaOutgoingMessage, queueFullTimeout: Duration = .seconds(30)) throws(KafkaError) {
        try produce(message, id: 0, queueFullTimeout: queueFullTimeout)
    }

    /// Queues `messages` in order as ``enqueue(_:queueFullTimeout:)`` queues each, until
    /// librdkafka's queue is full, without waiting then: returns how many it queued (all of
    /// them unless the queue filled up). See ``enqueueUntilFull(_:)-(KafkaRecordBatch)``.
    public func enqueueUntilFull(_ messages: [KafkaOutgoingMessage]) throws(KafkaError) -> Int {
        for (index, message) in messages.enumerated() {
            guard try produce(message, id: 0, queueFullTimeout: nil) else { return index }
        }
        return messages.count
    }

    /// Queues every record of `batch` without waiting, in order, as ``enqueue(_:queueFullTimeout:)``
    /// queues one, with librdkafka's batch call (`rd_kafka_produce_batch`) on a topic handle
    /// kept until ``close(timeout:)``: keys and values are read where they lie. `start`: the
    /// records before it are left out (queued already, by ``enqueueUntilFull(_:)``).
    ///
    /// One record at a time by topic name, each record took the client's write lock to find
    /// the topic (contended by librdkafka's own threads), a clock reading and a topic lookup;
    /// a batch takes the topic's read lock once.
    public func enqueue(_ batch: KafkaRecordBatch, from start: Int = 0, queueFullTimeout: Duration = .seconds(30)) throws(KafkaError) {
        _ = try produce(batch, from: start, queueFullTimeout: queueFullTimeout)
    }

    /// Queues the records of `batch` in order as ``enqueue(_:from:queueFullTimeout:)`` does until
    /// librdkafka's queue is full, without waiting then: returns how many it queued (all of
    /// them unless the queue filled up). For a thread that must not wait — one holding a lock
    /// others need —, leaving the rest to one that may (`enqueue(batch, from: queued)`).
    public func enqueueUntilFull(_ batch: KafkaRecordBatch) throws(KafkaError) -> Int {
        try produce(batch, from: 0, queueFullTimeout: nil)
    }

    /// Queues the records of `batch` from `start` on; when librdkafka's queue is full, waits
    /// (serving delivery reports) up to `queueFullTimeout`, or, nil, returns at once. Returns
    /// the position after the last record queued.
    private func produce(_ batch: KafkaRecordBatch, from start: Int, queueFullTimeout: Duration?) throws(KafkaError) -> Int {
        guard start < batch.count else { return batch.count }
        guard !closed.load(ordering: .acquiring) else {
            throw KafkaError(code: .closed, message: "send after close", hint: "Create a new producer.")
        }
        let topic = try topicHandle(named: batch.topic)
        var messages = [rd_kafka_message_t](repeating: rd_kafka_message_t(), count: batch.count)
        var failure: KafkaError?
        var end = batch.count
        batch.withRecords { records in
            for (index, record) in records.enumerated() where index >= start {
                messages[index].key = UnsafeMutableRawPointer(mutating: record.key.baseAddress)
                messages[index].key_len = record.key.count
                messages[index].payload = UnsafeMutableRawPointer(mutating: record.value.baseAddress)
                messages[index].len = record.value.count
            }
            var first = start, waited = 0
            while first < messages.count {
                let count = messages.count - first
                let queued = messages.withUnsafeMutableBufferPointer { messages in
                    Int(rd_kafka_produce_batch(topic.pointer, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, messages.baseAddress! + first, Int32(count)))
                }
                if queued == count { return }
                // Once librdkafka's queue is full every later record of the call fails with that
                // error too, so the records from the first failure on were not queued; any other
                // error is the record's own.
                guard let failed = (first..<messages.count).first(where: { messages[$0].err != RD_KAFKA_RESP_ERR_NO_ERROR }) else {
                    failure = KafkaError(code: .other, message: "producing to \(batch.topic): librdkafka queued \(queued) of \(count) records and named no error",
                                         hint: "Send the batch again; if it recurs, report it with the librdkafka version.")
                    return
                }
                let code = messages[failed].err
                if code == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                    guard let queueFullTimeout else {
                        end = failed
                        return
                    }
                    if waited < queueFullTimeout.milliseconds {
                        rd_kafka_poll(handle, 10)
                        waited += 10
                        for index in failed..<messages.count { messages[index].err = RD_KAFKA_RESP_ERR_NO_ERROR }
                        first = failed
                        continue
                    }
                }
                failure = KafkaError.rdKafka(code, context: "producing to \(batch.topic)")
                return
            }
        }
        if let failure { throw failure }
        return end
    }

    /// The handle of topic `name`, made on first use and kept until ``close(timeout:)``.
    /// - Throws: ``KafkaError`` when librdkafka refuses the name (longer than it allows).
    private func topicHandle(named name: String) throws(KafkaError) -> RDKafkaTopicHandle {
        let found = preparedTopics.withLock { prepared -> RDKafkaTopicHandle? in
            if let known = prepared[name] { return known }
            guard let made = rd_kafka_topic_new(handle, name, nil) else { return nil }
            prepared[name] = RDKafkaTopicHandle(pointer: made)
            return prepared[name]
        }
        guard let found else {
            throw KafkaError.rdKafka(rd_kafka_last_error(), context: "producing to \(name.prefix(64))\(name.count > 64 ? "…" : "")",
                                     detail: "librdkafka refused the topic name (\(name.utf8.count) bytes)")
        }
        return found
    }

    /// Queues `message`; when librdkafka's queue is full, waits up to `queueFullTimeout`, or,
    /// nil, returns false at once (nothing queued).
    @discardableResult
    private func produce(_ message: KafkaOutgoingMessage, id: UInt64, queueFullTimeout: Duration? = .seconds(30)) throws(KafkaError) -> Bool {
        // librdkafka's calls take pointers; the error is carried out of the closures lending them.
        var failure: KafkaError?
        var queued = false
        message.topic.withCString { topic in
            withOptionalBytes(message.key) { key in
                withOptionalBytes(message.value) { value in
                    do throws(KafkaError) {
                        queued = try produce(topic: topic, named: message.topic, partition: message.partition ?? RD_KAFKA_PARTITION_UA, key: key, value: value,
                                             headers: message.headers, id: id, queueFullTimeout: queueFullTimeout)
                    } catch {
                        failure = error
                    }
                }
            }
        }
        if let failure { throw failure }
        return queued
    }

    /// Queues one record (`key` or `value` nil: none); librdkafka copies the bytes.
    private func produce(topic: UnsafePointer<CChar>, named name: String, partition: Int32, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                         headers recordHeaders: [KafkaHeader], id: UInt64, queueFullTimeout: Duration?) throws(KafkaError) -> Bool {
        guard !closed.load(ordering: .acquiring) else {
            throw KafkaError(code: .closed, message: "send after close", hint: "Create a new producer.")
        }
        let opaque = UnsafeMutableRawPointer(bitPattern: UInt(id))
        var waited = 0
        while true {
            var headers: OpaquePointer?
            if !recordHeaders.isEmpty {
                headers = rd_kafka_headers_new(recordHeaders.count)
                for header in recordHeaders {
                    if let value = header.value {
                        _ = value.withUnsafeBytes { rd_kafka_header_add(headers, header.name, -1, $0.baseAddress, $0.count) }
                    } else {
                        _ = rd_kafka_header_add(headers, header.name, -1, nil, 0)
                    }
                }
            }
            let error = salespulse_produce(handle, topic, partition, key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0, headers, opaque)
            guard let error else { return true }
            // On failure librdkafka did not take the headers.
            if let headers { rd_kafka_headers_destroy(headers) }
            if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL, queueFullTimeout == nil {
                rd_kafka_error_destroy(error)
                return false
            }
            if rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__QUEUE_FULL, let queueFullTimeout, waited < queueFullTimeout.milliseconds {
                rd_kafka_error_destroy(error)
                rd_kafka_poll(handle, 10)
                waited += 10
                continue
            }
            throw KafkaError.consuming(error, context: "producing to \(name)")
        }
    }

    /// Waits until every queued record is delivered or failed. Blocking: call off the cooperative pool.
    ///
    /// With `outageLimit`, the wait also ends once every broker has been reported down
    /// (`_ALL_BROKERS_DOWN`) for that long with nothing acknowledged since: a stop with the
    /// cluster gone waited out the whole timeout for acknowledgements that could not come
    /// (30 s of a 50 s stop in session 57's tries).
    /// - Throws: ``KafkaError`` `.timedOut` with the number of records still in flight.
    public func flush(timeout: Duration = .seconds(30), givingUpAfterOutageOf outageLimit: Duration? = nil) throws(KafkaError) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            // In slices when an outage may end the wait: librdkafka's flush sees no outage.
            let slice = outageLimit == nil ? remaining : min(remaining, .milliseconds(100))
            let code = rd_kafka_flush(handle, Int32(max(0, slice.milliseconds)))
            if code == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            // Nothing says when brokers are back but an acknowledgement, which may still be on
            // its way: a cluster that answers ends the outage instead (``OutageWatch``).
            if let outageLimit, let outage = context.outages.clusterGone(after: outageLimit, asking: handle) {
                throw flushTimedOut(code, "; every broker has been down for \(outage.milliseconds) ms with nothing acknowledged, and none answers", hint: "flush again once they are")
            }
            if remaining <= slice { throw flushTimedOut(code, " after \(timeout)", hint: "flush again with a longer timeout") }
        }
    }

    /// The error of a flush that ended with records in flight: `why` after their count, `hint`
    /// after the advice to check the brokers.
    private func flushTimedOut(_ code: rd_kafka_resp_err_t, _ why: String, hint: String) -> KafkaError {
        KafkaError(code: .timedOut, isRetriable: true, librdkafkaName: String(cString: rd_kafka_err2name(code)),
                   message: "flush: \(rd_kafka_outq_len(handle)) records still in flight\(why)",
                   hint: "Check that the brokers are reachable, or \(hint).")
    }

    /// How long every broker has been down, once that is at least `outageLimit` with nothing
    /// acknowledged since and no broker answers a metadata request (asked at most once in 10 s,
    /// waiting up to 2 s; see ``OutageWatch``); nil otherwise. Thread-safe, blocking. The
    /// producer's delivery thread serves librdkafka's reports at once, so it tells the cluster
    /// gone for the other clients of one process too: a consumer's reports wait for its next
    /// consume call, which a stop does not make (see ``KafkaConsumer/commit(within:givingUpWhen:)``).
    public func clusterGone(after outageLimit: Duration) -> Duration? {
        guard !closed.load(ordering: .acquiring) else { return nil }
        return context.outages.clusterGone(after: outageLimit, asking: handle)
    }

    /// How many times a flush asked the cluster whether a broker answers (tests).
    var clusterProbes: Int { context.outages.probes.load(ordering: .relaxed) }

    /// Flushes (giving up after an outage of `outageLimit`, see ``flush(timeout:givingUpAfterOutageOf:)``),
    /// stops the delivery thread, fails waiters still pending and destroys the client.
    /// Blocking; idempotent.
    public func close(timeout: Duration = .seconds(30), givingUpAfterOutageOf outageLimit: Duration? = nil) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do { try flush(timeout: timeout, givingUpAfterOutageOf: outageLimit) } catch { logger.warning("\(error)") }
        context.running.store(false, ordering: .releasing)
        // Ends the delivery thread's current poll now rather than at its timeout (up to 100 ms
        // of every stop); the yield is kept by the queue if the poll has not started yet.
        let main = rd_kafka_queue_get_main(handle)
        rd_kafka_queue_yield(main)
        rd_kafka_queue_destroy(main)
        deliveryThreadDone.wait()
        let waiters = context.state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.values
        }
        for waiter in waiters {
            waiter.resume(throwing: KafkaError(code: .closed, message: "producer closed before delivery", hint: "Send again with a new producer."))
        }
        for topic in preparedTopics.withLock({ prepared in defer { prepared = [:] }; return prepared.values }) { rd_kafka_topic_destroy(topic.pointer) }
        rd_kafka_destroy(handle)
        withExtendedLifetime(context) {}
    }

    /// ``close(timeout:)`` on a dedicated thread, for async callers.
    public func shutdown(timeout: Duration = .seconds(30)) async {
        _ = try? await DedicatedThread.run(name: "salespulse.kafka.producer-close") { [self] in close(timeout: timeout) }
    }
}

/// Delivery-report bridge: runs on the delivery thread (or inside flush/poll).
final class ProducerContext: RDKafkaCallbackContext, @unchecked Sendable {
    // @unchecked Sendable: all mutable state is in `state` (Mutex) or atomics.
    struct State {
        var waiters: [UInt64: CheckedContinuation<KafkaDeliveryReport, any Error>] = [:]
        var tally = KafkaDeliveryTally()
    }

    let state = Mutex(State())
    let running = Atomic<Bool>(true)
    /// Every broker reported down with nothing acknowledged since.
    let outages = OutageWatch()
    private let ids = Atomic<UInt64>(1)

    func nextID() -> UInt64 { ids.wrappingAdd(1, ordering: .relaxed).oldValue }

    override func clientError(_ error: KafkaError) {
        if error.librdkafkaName == "_ALL_BROKERS_DOWN" { outages.allBrokersDown() }
        super.clientError(error)
    }

    func delivered(message: UnsafePointer<rd_kafka_message_t>) {
        let id = UInt64(UInt(bitPattern: message.pointee._private))
        let code = message.pointee.err
        if id == 0 && code == RD_KAFKA_RESP_ERR_NO_ERROR {
            // A queued record nobody awaits: only counted. Its report (the topic's name copied
            // into a string) was built for every alert and forwarded record, then dropped.
            state.withLock { $0.tally.delivered += 1 }
            outages.signOfLife()
            return
        }
        var result: Result<KafkaDeliveryReport, KafkaError>
        if code == RD_KAFKA_RESP_ERR_NO_ERROR {
            let topic = String(cString: rd_kafka_topic_name(message.pointee.rkt))
            result = .success(KafkaDeliveryReport(topicPartition: KafkaTopicPartition(topic: topic, partition: message.pointee.partition), offset: message.pointee.offset))
        } else {
            let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
            var error = KafkaError.rdKafka(code, context: "delivering to \(topic)")
            if error.code == .other || error.code == .timedOut { error.code = error.code == .other ? .delivery : .timedOut }
            result = .failure(error)
        }
        let waiter = state.withLock { state -> CheckedContinuation<KafkaDeliveryReport, any Error>? in
            switch result {
            case .success: state.tally.delivered += 1
            case .failure(let error):
                state.tally.failed += 1
                if state.tally.firstError == nil { state.tally.firstError = error }
            }
            return id == 0 ? nil : state.waiters.removeValue(forKey: id)
        }
        if case .success = result { outages.signOfLife() }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }
}

@inline(__always)
func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

/// A librdkafka topic handle kept by a client (thread-safe in librdkafka).
struct RDKafkaTopicHandle: @unchecked Sendable {
    // @unchecked Sendable: rd_kafka_topic_t is reference-counted and thread-safe.
    let pointer: OpaquePointer
}

/// A librdkafka client handle that may cross threads.
struct RDKafkaHandle: @unchecked Sendable {
    // @unchecked Sendable: rd_kafka_t is documented thread-safe for poll/produce/flush.
    let pointer: OpaquePointer
}
