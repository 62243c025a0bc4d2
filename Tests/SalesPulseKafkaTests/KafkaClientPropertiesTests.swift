import Testing
import SalesPulseKafka

/// Connection properties for every client: read from a properties file or NAME=VALUE options,
/// refused where SalesPulse sets the property itself, and checked with librdkafka before use.
@Suite struct KafkaClientPropertiesTests {
    @Test func aPropertiesFileIsReadAsKafkasToolsReadIt() throws {
        var properties = KafkaClientProperties()
        try properties.set(fileContents: """
            # a secured cluster
            security.protocol=SASL_SSL

            ! another comment
              sasl.mechanisms = SCRAM-SHA-512\r
            sasl.username=alice
            sasl.password=p=ss word
            """, file: "client.properties")
        #expect(properties.values == ["security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                                      "sasl.username": "alice", "sasl.password": "p=ss word"])
    }

    @Test func aLineThatIsNoAssignmentIsReportedWithItsFileAndLine() {
        var properties = KafkaClientProperties()
        #expect {
            try properties.set(fileContents: "security.protocol=SSL\n\nssl.ca.location\n", file: "client.properties")
        } throws: { error in
            let error = error as? KafkaError
            return error?.code == .configuration && error?.message == "client.properties:3: 'ssl.ca.location' is not NAME=VALUE"
        }
        #expect {
            try properties.set(assignment: "=SSL", from: "--kafka-property =SSL")
        } throws: { error in
            (error as? KafkaError)?.message.hasPrefix("--kafka-property =SSL: a Kafka client property without a name") == true
        }
    }

    @Test(arguments: [
        ("enable.auto.commit", "each partition resumes from its checkpoint"),
        ("enable.idempotence", "written once and in order"),
        ("message.timeout.ms", "as long as it takes"),
        ("group.id", "--group"),
        ("bootstrap.servers", "--bootstrap"),
        ("session.timeout.ms", "--session-timeout"),
        ("partition.assignment.strategy", "eager rebalances"),
    ])
    func whatSalesPulseSetsItselfIsRefusedSayingWhy(_ name: String, _ why: String) {
        var properties = KafkaClientProperties()
        #expect {
            try properties.set(assignment: "\(name)=x", from: "kafka.properties:7")
        } throws: { error in
            let error = error as? KafkaError
            return error?.message.hasPrefix("kafka.properties:7: the Kafka client property \(name) cannot be set: ") == true
                && error?.message.contains(why) == true && error?.hint.contains("Remove \(name)") == true
        }
        #expect(properties.values.isEmpty)
    }

    @Test func librdkafkaChecksNamesAndValuesBeforeAnyClientIsMade() throws {
        var valid = KafkaClientProperties()
        try valid.set("security.protocol", to: "SASL_PLAINTEXT")
        try valid.set("sasl.mechanisms", to: "PLAIN")
        try valid.set("sasl.username", to: "alice")
        try valid.set("sasl.password", to: "secret")
        try valid.set("client.rack", to: "eu-west-1a")
        try valid.validate()

        // A password is not repeated in the error.
        var secret = KafkaClientProperties()
        try secret.set("sasl.password.typo", to: "hunter2")
        #expect {
            try secret.validate()
        } throws: { error in
            "\(error)".contains("sasl.password.typo=(hidden)") && !"\(error)".contains("hunter2")
        }

        for (name, value) in [("no.such.property", "1"), ("security.protocol", "carrier-pigeon"), ("socket.keepalive.enable", "perhaps")] {
            var properties = KafkaClientProperties()
            try properties.set(name, to: value)
            #expect(throws: KafkaError.self, "\(name)=\(value)") { try properties.validate() }
            do { try properties.validate() } catch {
                #expect(error.message.contains(name), "\(error)")
            }
        }
    }
}
