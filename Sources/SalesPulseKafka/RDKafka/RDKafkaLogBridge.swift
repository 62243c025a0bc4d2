import CRdKafka
import Logging

/// Context shared with librdkafka callbacks through the conf opaque pointer.
///
/// librdkafka calls back on its own threads (log, error) and on the polling thread (rebalance,
/// delivery reports), so everything here is immutable or internally synchronised.
class RDKafkaCallbackContext: @unchecked Sendable {
    // @unchecked Sendable: `logger` is immutable; subclasses synchronise their own mutable state.
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Installs the log and error callbacks and makes this object the conf's opaque pointer.
    /// The caller keeps `self` alive (retained) until `rd_kafka_destroy` has returned.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { handle, level, facility, message in
            guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = message.map { String(cString: $0) } ?? ""
            let facilityText = facility.map { String(cString: $0) } ?? ""
            let logLevel: Logger.Level = level <= 3 ? .error : (level == 4 ? .warning : (level <= 6 ? .info : .debug))
            context.logger.log(level: logLevel, "\(text)", metadata: ["kafka.facility": "\(facilityText)"])
        }
        rd_kafka_conf_set_error_cb(conf) { handle, code, reason, opaque in
            guard let opaque else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
            let error = KafkaError.rdKafka(rd_kafka_resp_err_t(code), context: "client error", detail: reason.map { String(cString: $0) })
            context.clientError(error)
        }
    }

    /// Called for asynchronous client errors (broker down, fatal errors).
    func clientError(_ error: KafkaError) {
        logger.info("\(error)", metadata: ["kafka.error": "\(error.code)"])
    }
}
