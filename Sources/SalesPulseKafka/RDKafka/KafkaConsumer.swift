import CRdKafka
import Dispatch
import Logging
import Synchronization

/// A consumer in a Kafka consumer group, over librdkafka.
///
/// ## Threads
/// librdkafka's consume calls block, so a consumer is driven from **one dedicated thread** (the
/// *consume thread*, see ``DedicatedThread``), never from Swift's cooperative pool. The consume
/// thread calls ``consumeBatch(maxMessages:timeout:_:)`` in a loop; rebalance events are served
/// synchronously inside that call and handed to the ``KafkaRebalanceHandler``. Seek, pause and
/// resume must also be called from the consume thread (librdkafka 2.0.2 batch consume is unsafe
/// otherwise). ``store(_:)``, ``commit(synchronously:)``, ``committedOffsets(for:timeout:)``,
/// ``lag()`` and ``assignment()`` are thread-safe. ``close()`` runs on the consume thread after
/// the loop ends.
///
/// ## Offsets and rebalances
/// Offsets are stored explicitly (``store(_:)``) after their effects are durable and committed
/// periodically or with ``commit(synchronously:)``. On revocation the stored offsets are committed,
/// but a broker rejects commits once a rebalance is under way (`REBALANCE_IN_PROGRESS`, as the
/// embedded broker does): exactly-once processing therefore must not depend on that last commit.
/// Either commit after each processed batch, or (as the SalesPulse runtime does) keep offsets in
/// the state checkpoint and return them from the rebalance handler on assignment.
public final class KafkaConsumer: @unchecked Sendable {
    // @unchecked Sendable: rd_kafka_t is thread-safe; the batch buffer and queue are used only on
    // the consume thread (documented above); `closed` is atomic.
    /// The handle, its queue and callback context, held also by the threads of bounded calls
    /// (``commit(within:)``, ``close(within:)``) while they are inside librdkafka.
    let client: ConsumerClient
    private var handle: OpaquePointer { client.handle }
    private var queue: OpaquePointer { client.queue }
    private var context: ConsumerContext { client.context }
    private let logger: Logger
    private var buffer: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    private let closed = Atomic<Bool>(false)
    /// With a bounded prefetch: the bound, and the thread that wakes the fetcher below it.
    private let prefetchBound: Int
    private let waker: FetchWaker?
    /// The queue may have reached the bound since the last wake-up (consume thread only).
    private var prefetchMayBeFull = false

    /// Creates a consumer and joins nothing yet; call ``subscribe(to:)``.
    /// - Parameters:
    ///   - configuration: typed configuration plus pass-through properties.
    ///   - rebalanceHandler: called on the consume thread when partitions are assigned or revoked.
    ///   - logger: receives librdkafka's log lines.
    /// - Throws: ``KafkaError`` with code `.configuration` naming a rejected property.
    public init(configuration: KafkaConsumerConfiguration, maxBatchSize: Int = 4096, logger: Logger = Logger(label: "salespulse.kafka.consumer"), rebalanceHandler: KafkaRebalanceHandler? = nil) throws(KafkaError) {
        let conf = try RDKafkaConfiguration.make(configuration.librdkafkaProperties)
        let context = ConsumerContext(logger: logger, handler: rebalanceHandler)
        context.install(on: conf)
        rd_kafka_conf_set_rebalance_cb(conf) { handle, code, partitions, opaque in
            guard let handle, let partitions, let opaque else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue() as! ConsumerContext
            context.rebalance(handle: handle, code: code, partitions: partitions)
        }
        let handle = try RDKafkaConfiguration.makeClient(type: RD_KAFKA_CONSUMER, conf: conf, role: "consumer")
        rd_kafka_poll_set_consumer(handle)
        self.client = ConsumerClient(handle: handle, context: context)
        self.logger = logger
        self.buffer = .allocate(capacity: max(1, maxBatchSize))
        self.buffer.initialize(repeating: nil)
        self.prefetchBound = configuration.boundedPrefetch ?? 0
        self.waker = configuration.boundedPrefetch == nil ? nil : FetchWaker(handle: handle)
    }

    /// Fetcher wake-ups sent for the bounded prefetch (``KafkaConsumerConfiguration/boundedPrefetch``).
    public var fetchWakeups: Int { waker?.wakeups ?? 0 }

    /// The partitions a fetcher wake-up queries now: one assigned partition per leader broker.
    func fetchWakeTargets() -> [KafkaTopicPartition] { FetchWaker.onePartitionPerLeader(handle) }

    deinit {
        if !closed.load(ordering: .acquiring) { close() }
        buffer.deallocate()
    }

    /// Subscribes to topics; partitions arrive through the rebalance handler.
    public func subscribe(to topics: [String]) throws(KafkaError) {
        let list = RDKafkaPartitionList.make(topics.map { KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_subscribe(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rdKafka(code, context: "subscribing to \(topics.joined(separator: ","))")
        }
    }

    /// Consumes up to `maxMessages` records (capped by the batch size given at init) and hands
    /// them to `body` in place; the records are destroyed when `body` returns.
    ///
    /// Call on the consume thread only. Waits at most `timeout` for the batch to fill: when
    /// draining, keep the timeout short (librdkafka waits for a full batch or the timeout).
    /// Per-record consumer errors (e.g. an unknown topic) are logged and skipped; a fatal error throws.
    /// - Returns: what `body` returns.
    @discardableResult
    public func consumeBatch<R>(maxMessages: Int = .max, timeout: Duration = .milliseconds(100), _ body: (KafkaBatch) throws -> R) throws -> R {
        guard !closed.load(ordering: .acquiring) else {
            throw KafkaError(code: .closed, message: "consume called after close", hint: "Create a new consumer.")
        }
        let wanted = min(maxMessages, buffer.count)
        let count = rd_kafka_consume_batch_queue(queue, Int32(timeout.milliseconds), buffer.baseAddress, wanted)
        if count < 0 {
            throw KafkaError.rdKafka(rd_kafka_last_error(), context: "consuming a batch")
        }
        // Move error events out of the way, so the batch only holds data records.
        var dataCount = 0
        var fatal: KafkaError?
        for index in 0..<count {
            let message = buffer[index]!
            let code = message.pointee.err
            if code == RD_KAFKA_RESP_ERR_NO_ERROR {
                buffer[dataCount] = message
                dataCount += 1
                continue
            }
            if code != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let detail = message.pointee.payload.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: message.pointee.len), as: UTF8.self) }
                let error = KafkaError.rdKafka(code, context: "consumer", detail: detail)
                if code == RD_KAFKA_RESP_ERR__FATAL { fatal = error }
                logger.warning("\(error)")
            }
            rd_kafka_message_destroy(message)
        }
        defer {
            // Records the closure released (``KafkaBatch/release(at:)``) are nil already.
            for index in 0..<dataCount {
                if let message = buffer[index] { rd_kafka_message_destroy(message) }
                buffer[index] = nil
            }
        }
        if let fatal { throw fatal }
        defer { if let waker { wakeFetcherIfDrained(waker, taken: count) } }
        return try body(KafkaBatch(messages: UnsafeMutableBufferPointer(rebasing: buffer[0..<dataCount])))
    }

    /// The fetcher stops once the queue holds the bound and sleeps up to a second; it may have
    /// seen the queue full at any moment since the last check if what is queued now plus what
    /// this batch took reaches the bound (only fetch responses add to the queue, only the
    /// consume thread takes from it). Once the queue is below the bound again, wake it.
    private func wakeFetcherIfDrained(_ waker: FetchWaker, taken: Int) {
        let queued = Int(rd_kafka_queue_length(queue))
        if queued + taken >= prefetchBound { prefetchMayBeFull = true }
        if prefetchMayBeFull && queued < prefetchBound {
            prefetchMayBeFull = false
            waker.wake()
        }
    }

    /// Stores offsets to be committed (by auto-commit or ``commit(synchronously:)``).
    /// Pass the offset of the *next* record to read (last processed + 1). Thread-safe.
    public func store(_ offsets: [KafkaPartitionOffset]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaPartitionList.make(offsets.map(\.topicPartition), offsets: Dictionary(offsets.map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: max))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_offsets_store(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rdKafka(code, context: "storing offsets")
        }
    }

    /// Commits the stored offsets now. Nothing stored is not an error. Thread-safe.
    public func commit(synchronously: Bool = true) throws(KafkaError) {
        let code = rd_kafka_commit(handle, nil, synchronously ? 0 : 1)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaError.rdKafka(code, context: "committing offsets")
        }
    }

    /// Commits the stored offsets now and waits for the group coordinator at most `limit`;
    /// true once committed (or nothing was stored). A synchronous commit waits for the
    /// coordinator without a limit (librdkafka 2.0.2): with the cluster gone, a stop waited in
    /// it for good (seen as a test run that never ended). It runs on a thread of its own; when
    /// it has not returned after `limit`, a warning says so and ``close(within:)`` does not free
    /// the consumer's librdkafka client under it: the client is destroyed when the commit
    /// returns (or at the process's exit, if it never does; ``ConsumerClient``).
    ///
    /// With `clusterGone`, asked first and then every 100 ms, the wait also ends once it says
    /// why the cluster is gone (e.g. from ``KafkaProducer/clusterGone(after:)`` of the process's
    /// producer: the consumer's own reports of brokers down wait for a consume call).
    @discardableResult
    public func commit(within limit: Duration, givingUpWhen clusterGone: (() -> String?)? = nil) -> Bool {
        guard !closed.load(ordering: .acquiring) else { return false }
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<rd_kafka_resp_err_t>(RD_KAFKA_RESP_ERR_NO_ERROR)
        // The thread holds the client, not the consumer: should the commit outlast the
        // consumer, the client is destroyed when it returns (``ConsumerClient``).
        let client = client
        client.callBegan()
        DedicatedThread.start(name: "salespulse.commit") {
            let code = rd_kafka_commit(client.handle, nil, 0)
            result.withLock { $0 = code }
            // The last touch of the handle is over (a close that came meanwhile destroys it now).
            client.callEnded()
            done.signal()
        }
        switch wait(for: done, upTo: limit, givingUpWhen: clusterGone) {
        case .done: break
        case .timedOut:
            logger.warning("the final offsets were not committed within \(limit): the group coordinator did not answer",
                           metadata: ["hint": "Check that the cluster is up. A restart resumes from the committed offsets, or from a checkpoint's."])
            return false
        case .clusterGone(let why):
            logger.warning("the final offsets were not committed: \(why)",
                           metadata: ["hint": "Check that the cluster is up. A restart resumes from the committed offsets, or from a checkpoint's."])
            return false
        }
        let code = result.withLock { $0 }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            logger.info("committing offsets: \(String(cString: rd_kafka_err2str(code)))")
            return false
        }
        return true
    }

    /// The group's committed offsets for these partitions (`nil` when none). Thread-safe, blocking.
    public func committedOffsets(for partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_committed(handle, list, Int32(timeout.milliseconds))
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rdKafka(code, context: "reading committed offsets")
        }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset, _) in RDKafkaPartitionList.elements(of: list) where offset >= 0 {
            result[partition] = offset
        }
        return result
    }

    /// Moves the read position of assigned partitions. Consume thread only.
    public func seek(_ offsets: [KafkaPartitionOffset], timeout: Duration = .seconds(5)) throws(KafkaError) {
        let list = RDKafkaPartitionList.make(offsets.map(\.topicPartition), offsets: Dictionary(offsets.map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: { $1 }))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(handle, list, Int32(timeout.milliseconds)) {
            throw KafkaError.consuming(error, context: "seeking")
        }
        for (partition, _, code) in RDKafkaPartitionList.elements(of: list) where code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rdKafka(code, context: "seeking \(partition)")
        }
    }

    /// Stops fetching these partitions (flow control). Consume thread only.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_pause_partitions(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(code, context: "pausing") }
    }

    /// Resumes fetching these partitions. Consume thread only.
    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = RDKafkaPartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_resume_partitions(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(code, context: "resuming") }
    }

    /// The partitions currently assigned to this member. Thread-safe.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let code = rd_kafka_assignment(handle, &list)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw KafkaError.rdKafka(code, context: "reading the assignment") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return RDKafkaPartitionList.partitions(of: list).sorted()
    }

    /// The number of partitions of `topic`, from a metadata request (thread-safe).
    public func partitionCount(of topic: String, timeout: Duration = .seconds(5)) throws(KafkaError) -> Int {
        let topicHandle = rd_kafka_topic_new(handle, topic, nil)
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 0, topicHandle, &metadata, Int32(timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError.rdKafka(code, context: "reading metadata of \(topic)") }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError.rdKafka(metadata.pointee.topic_cnt > 0 ? metadata.pointee.topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, context: "reading metadata of \(topic)")
        }
        return Int(metadata.pointee.topics[0].partition_cnt)
    }

    /// Consumer lag per assigned partition: high watermark minus current position, from the
    /// client's cached watermarks (no broker round trip).
    ///
    /// librdkafka knows a partition's position only once a record of it has been consumed since
    /// it was assigned: a partition assigned at its end (a checkpoint taken after its last
    /// record) has none for as long as nothing new arrives. `start` gives the offset such a
    /// partition was assigned to start from (the rebalance handler's); partitions with neither
    /// are left out, as are those whose high watermark is not known yet.
    public func lag(start: (KafkaTopicPartition) -> Int64? = { _ in nil }) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let assigned = try assignment()
        let list = RDKafkaPartitionList.make(assigned)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_position(handle, list)
        var result: [KafkaTopicPartition: Int64] = [:]
        for (partition, consumed, _) in RDKafkaPartitionList.elements(of: list) {
            guard let position = consumed >= 0 ? consumed : start(partition), position >= 0 else { continue }
            var low: Int64 = -1
            var high: Int64 = -1
            if rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 {
                result[partition] = max(0, high - position)
            }
        }
        return result
    }

    /// Ends a ``consumeBatch(maxMessages:timeout:_:)`` that waits for records now, from any
    /// thread: it returns what it has, possibly nothing. If no call is waiting, the next one
    /// returns at once. Does nothing after ``close()``. For a stop request that should not wait
    /// out the consume thread's poll timeout.
    public func interruptWait() {
        client.yieldQueue()
    }

    /// Leaves the group and releases every librdkafka resource. Serves the final revocation
    /// through the rebalance handler, so call it on the consume thread. Idempotent.
    ///
    /// The stored offsets are committed by librdkafka's own final commit (auto commit is on),
    /// not from inside that last revocation: a synchronous commit there can wait forever on the
    /// group coordinator that is shutting down (librdkafka 2.0.2; see librdkafka#4041 for the
    /// same hang with another call). Call ``commit(within:)`` first to be sure.
    ///
    /// The group is left first, and the revocation served by an ordinary poll: librdkafka 2.0.2
    /// can wait forever in `rd_kafka_assign` inside the rebalance callback that
    /// `rd_kafka_consumer_close` serves while a rebalance is under way (seen here as a test run
    /// that never ended; librdkafka#4884, and the workaround given in #4527). Records that arrive
    /// meanwhile are dropped: their offsets were never stored, so they are read again next time.
    ///
    /// Returns within about twice `limit`, whatever the cluster does: `rd_kafka_consumer_close`
    /// waits for the group coordinator without a limit (librdkafka 2.0.2), so with the cluster
    /// gone a stop never ended. It runs on a thread of its own; when it has not returned after
    /// `limit`, a warning says so and the consumer's librdkafka client is destroyed when the
    /// close returns, or at the process's exit if it never does (its final offsets uncommitted:
    /// a restart reads from the last committed ones, or from a checkpoint's).
    ///
    /// With `clusterGone`, asked first and then every 100 ms, both waits also end once it says
    /// why the cluster is gone (as for ``commit(within:givingUpWhen:)``): a stop with the
    /// cluster gone waited about 4 s here. A close that gives up either way hands nothing more
    /// to the rebalance handler, waiting for a call under way: librdkafka may serve the last
    /// revocation later, on its close thread, when the caller has closed what the handler uses.
    public func close(within limit: Duration = .seconds(10), givingUpWhen clusterGone: (() -> String?)? = nil) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        context.closing.store(true, ordering: .releasing)
        waker?.stop()
        leaveGroup(within: limit, givingUpWhen: clusterGone)
        let closing = DispatchSemaphore(value: 0)
        let result = Mutex<rd_kafka_resp_err_t>(RD_KAFKA_RESP_ERR_NO_ERROR)
        // The thread holds the client, not the consumer (this may run in the consumer's deinit).
        let client = client
        DedicatedThread.start(name: "salespulse.consumer-close") {
            let code = rd_kafka_consumer_close(client.handle)
            result.withLock { $0 = code }
            // Before the signal: a close that waited destroys the client before it returns.
            client.consumerClosed()
            closing.signal()
        }
        // Destroyed once closed and no commit is inside librdkafka: at once, or by the thread
        // whose call returns last.
        defer { client.requestRelease() }
        let ended = wait(for: closing, upTo: limit, givingUpWhen: clusterGone)
        // Left closing: the revocation it may still serve must not reach the handler, whose
        // caller goes on to close what the handler uses (a producer destroyed under its flush).
        if case .done = ended {} else { context.abandonHandler() }
        switch ended {
        case .done: break
        case .timedOut:
            return logger.warning("the consumer did not close within \(limit): the group coordinator did not answer; its final offsets are not committed",
                                  metadata: ["hint": "Check that the cluster is up. A restart resumes from the committed offsets, or from a checkpoint's."])
        case .clusterGone(let why):
            return logger.warning("the consumer is left closing: \(why); its final offsets are not committed",
                                  metadata: ["hint": "Check that the cluster is up. A restart resumes from the committed offsets, or from a checkpoint's."])
        }
        let code = result.withLock { $0 }
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.info("consumer close: \(String(cString: rd_kafka_err2str(code)))")
        }
    }

    /// How a bounded wait for a call on another thread ended.
    private enum BoundedWait {
        case done
        case timedOut
        /// Why the cluster is gone.
        case clusterGone(String)
    }

    /// Waits for `done` up to `limit`; with `clusterGone`, asked first and then every 100 ms,
    /// ending once it says why the cluster is gone (a cluster known gone costs no wait).
    private func wait(for done: DispatchSemaphore, upTo limit: Duration, givingUpWhen clusterGone: (() -> String?)?) -> BoundedWait {
        let deadline = ContinuousClock.now + limit
        while true {
            if let why = clusterGone?() { return done.wait(timeout: .now()) == .success ? .done : .clusterGone(why) }
            let remaining = deadline - ContinuousClock.now
            let slice = clusterGone == nil ? remaining : min(remaining, .milliseconds(100))
            if done.wait(timeout: .now() + .milliseconds(max(0, slice.milliseconds))) == .success { return .done }
            if remaining <= slice { return .timedOut }
        }
    }

    /// Unsubscribes and polls (serving the revocation through the rebalance handler) until
    /// nothing is assigned, `limit` has passed, or `clusterGone` says why the cluster is gone.
    private func leaveGroup(within limit: Duration, givingUpWhen clusterGone: (() -> String?)?) {
        let code = rd_kafka_unsubscribe(handle)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return logger.info("unsubscribe before close: \(String(cString: rd_kafka_err2str(code)))")
        }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if (try? assignment())?.isEmpty ?? true { return }
            if let why = clusterGone?() {
                return logger.warning("partitions still assigned on leaving the group: \(why); closing anyway")
            }
            // Short polls: the revocation is served within the first, but a poll runs to its
            // timeout when no record arrives (50 ms here added 50 ms to every stop).
            let count = rd_kafka_consume_batch_queue(queue, 5, buffer.baseAddress, buffer.count)
            for index in 0..<max(0, count) {
                rd_kafka_message_destroy(buffer[index])
                buffer[index] = nil
            }
        }
        logger.warning("partitions still assigned \(limit) after leaving the group; closing anyway")
    }
}

/// Rebalance bridge: runs on the consume thread, inside consume or close calls.
final class ConsumerContext: RDKafkaCallbackContext, @unchecked Sendable {
    // @unchecked Sendable: `handler` is immutable and itself Sendable.
    let handler: KafkaRebalanceHandler?
    /// Set when ``KafkaConsumer/close()`` starts: the last revocation does not commit.
    let closing = Atomic<Bool>(false)
    /// Whether the handler is given up (``abandonHandler()``); held while it runs.
    private let handlerAbandoned = Mutex(false)

    init(logger: Logger, handler: KafkaRebalanceHandler?) {
        self.handler = handler
        super.init(logger: logger)
    }

    /// No rebalance reaches the handler after this returns; waits for one that is running. For
    /// a close that gives up waiting: librdkafka may still serve the last revocation, on its
    /// close thread, after the consumer's owner has moved on.
    func abandonHandler() {
        handlerAbandoned.withLock { $0 = true }
    }

    /// The handler's answer to `event`; nil once given up.
    private func handlerAnswer(to event: KafkaRebalanceEvent) -> [KafkaTopicPartition: Int64]? {
        handlerAbandoned.withLock { abandoned in abandoned ? nil : handler?(event) }
    }

    func rebalance(handle: OpaquePointer, code: rd_kafka_resp_err_t, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let affected = RDKafkaPartitionList.partitions(of: partitions)
        switch code {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let starts = handlerAnswer(to: .assigned(affected)) ?? [:]
            if !starts.isEmpty {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[index]
                    let partition = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    if let offset = starts[partition] { partitions.pointee.elems[index].offset = offset }
                }
            }
            logger.info("partitions assigned", metadata: ["kafka.partitions": "\(affected.sorted())"])
            let result = rd_kafka_assign(handle, partitions)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("assign failed: \(String(cString: rd_kafka_err2str(result)))") }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(handle) != 0
            _ = handlerAnswer(to: .revoked(affected, lost: lost))
            if !lost && !closing.load(ordering: .acquiring) {
                // Make stored offsets durable before another member takes the partitions.
                let commit = rd_kafka_commit(handle, nil, 0)
                if commit != RD_KAFKA_RESP_ERR_NO_ERROR && commit != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.info("commit on revoke: \(String(cString: rd_kafka_err2str(commit)))")
                }
            }
            logger.info("partitions revoked", metadata: ["kafka.partitions": "\(affected.sorted())", "kafka.lost": "\(lost)"])
            _ = rd_kafka_assign(handle, nil)
        default:
            logger.error("rebalance error: \(String(cString: rd_kafka_err2str(code)))")
            _ = rd_kafka_assign(handle, nil)
        }
    }
}

extension Duration {
    /// Whole milliseconds, saturating at `Int32.max`.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int(min(total, Int64(Int32.max)))
    }
}
