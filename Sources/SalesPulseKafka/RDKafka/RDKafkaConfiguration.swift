import CRdKafka

/// Builds `rd_kafka_conf_t` objects from property dictionaries: the only place strings meet C.
enum RDKafkaConfiguration {
    /// Creates a conf with every property set, or throws naming the rejected property.
    /// The caller owns the returned conf until it hands it to `rd_kafka_new`.
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: .clientCreation, message: "rd_kafka_conf_new returned NULL", hint: "The process is out of memory.")
        }
        var buffer = [CChar](repeating: 0, count: 512)
        // Sorted so that errors are deterministic.
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, name, value, &buffer, buffer.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                throw KafkaError(
                    code: .configuration,
                    message: "property \(name)=\(isSecret(name) ? "(hidden)" : value) rejected: \(reason)",
                    hint: "Fix or remove '\(name)' (see librdkafka CONFIGURATION.md for valid names and values)."
                )
            }
        }
        return conf
    }

    /// Whether `name`'s value is a secret that errors must not repeat (`sasl.password`,
    /// `ssl.key.password`, `sasl.oauthbearer.client.secret`...).
    static func isSecret(_ name: String) -> Bool { name.contains("password") || name.contains("secret") }

    /// Creates a client handle, consuming `conf` (librdkafka owns it on success; we destroy it on failure).
    static func makeClient(type: rd_kafka_type_t, conf: OpaquePointer, role: String) throws(KafkaError) -> OpaquePointer {
        var buffer = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &buffer, buffer.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaError(code: .clientCreation, message: "could not create the \(role): \(reason)", hint: "Check the configuration properties named in the message.")
        }
        return handle
    }
}
