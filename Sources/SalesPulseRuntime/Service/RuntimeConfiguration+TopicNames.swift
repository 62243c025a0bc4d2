import SalesPulseModel

/// The Kafka topics a run reads and writes, named after the input topic and the group, checked
/// before anything starts: a group id may hold characters a topic name may not (`/`, `:`,
/// spaces), and the run would only have found out when its repartition topics could not be
/// created, blaming the topic.
extension RuntimeConfiguration {
    /// A topic the run uses, and where its name comes from.
    public struct NamedTopic: Sendable, Hashable {
        /// The topic's name.
        public var name: String
        /// What the run does with it, in words ("the input topic", "a repartition topic"...).
        public var role: String
        /// The option its name comes from.
        public var option: String
    }

    /// The topics this configuration reads and writes: the input, the dead-letter and alerts
    /// topics, the repartition topics (when counters are repartitioned) and the membership
    /// topic (when the instance serves HTTP).
    public var namedTopics: [NamedTopic] {
        var topics = [NamedTopic(name: topic, role: "the input topic", option: "--topic"),
                      NamedTopic(name: deadLetterTopic ?? DeadLetter.topic(for: topic), role: "the dead-letter topic", option: "--topic"),
                      NamedTopic(name: alertsTopic, role: "the alerts topic", option: "the alerts topic")]
        if repartitionCounters {
            for attribute in Repartition.attributes(of: process) {
                topics.append(NamedTopic(name: Repartition.topic(group: group, attribute: attribute), role: "a repartition topic", option: "--group"))
            }
        }
        if advertisedURL != nil {
            topics.append(NamedTopic(name: PartitionDirectory.topic(group: group), role: "the membership topic", option: "--group"))
        }
        return topics
    }

    /// Kafka's longest topic name.
    public static let longestTopicName = 249

    /// Why Kafka would refuse `name` as a topic name, or nil: only ASCII letters, digits, `.`,
    /// `_` and `-`, at most 249 characters, neither `.` nor `..`.
    public static func topicNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "." || name == ".." { return "Kafka does not take \"\(name)\" as a name" }
        if name.utf8.count > longestTopicName { return "it is \(name.utf8.count) characters long, and Kafka takes at most \(longestTopicName)" }
        let illegal = name.unicodeScalars.filter { scalar in
            !(scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-"))
        }
        guard let first = illegal.first else { return nil }
        return "it holds \(first == " " ? "a space" : "'\(first)'"), and Kafka takes only letters, digits, '.', '_' and '-'"
    }

    /// Throws ``RuntimeConfigurationError`` for the first topic Kafka would refuse, naming it,
    /// why and the option its name comes from.
    public func checkTopicNames() throws(RuntimeConfigurationError) {
        for topic in namedTopics {
            if let problem = Self.topicNameProblem(topic.name) {
                throw RuntimeConfigurationError(message: "\(topic.role) \(topic.name) is not a valid Kafka topic name: \(problem)",
                                                hint: topic.option == "--group"
                                                    ? "Choose a --group of letters, digits, '.', '_' and '-' (topics are named salespulse.<group>.…)."
                                                    : "Choose a \(topic.option) of letters, digits, '.', '_' and '-'.")
            }
        }
    }
}

/// A runtime configuration that cannot work, found before anything starts: what, and what to do.
public struct RuntimeConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What is wrong.
    public var message: String
    /// What to do.
    public var hint: String
    /// The message and the hint.
    public var description: String { "\(message). \(hint)" }
}
