import SalesPulseModel
import SalesPulseProjections

/// Repartitioning of counter inputs by their group-by attribute, and of the reps' step exits by
/// rep, so that every group of a counter and every rep's N-in-a-row sequence is folded at
/// exactly one instance however many instances share the input topic (Kafka Streams'
/// repartition topics work the same way).
///
/// An input partition does not fold counters itself: for each applied event that some counter
/// counts, it forwards a ``CounterInput`` — the event's id, type, time and the attributes those
/// counters read, derived ones (e.g. `timeToSignDays`) included — to
/// `salespulse.<group>.repartition.<attribute>`, keyed by the event's value of that attribute
/// (`all` for counters without `groupBy`). Those topics are consumed in the same
/// consumer group; their partitions fold the counters grouped by that attribute. Forwarded
/// records are re-forwarded when an input partition replays after a crash; the repartitioned
/// side drops them by event id, so counters stay exact (effectively once).
public enum Repartition {

    /// The repartition topic of a group-by attribute.
    public static func topic(group: String, attribute: String) -> String { "salespulse.\(group).repartition.\(attribute)" }

    /// The attribute a repartition topic is keyed by, if `topic` is one of the group's.
    public static func attribute(ofTopic topic: String, group: String) -> String? {
        let prefix = "salespulse.\(group).repartition."
        guard topic.hasPrefix(prefix), topic.count > prefix.count else { return nil }
        return String(topic.dropFirst(prefix.count))
    }

    /// The attribute a counter is repartitioned by.
    public static func attribute(of counter: CounterDefinition) -> String { counter.groupBy ?? "all" }

    /// The attributes the configuration's counters are repartitioned by, and ``repExits`` when
    /// it has N-in-a-row rules, sorted.
    public static func attributes(of configuration: ProcessConfiguration) -> [String] {
        var attributes = Set(configuration.counters.map(attribute(of:)))
        if !configuration.sequenceRules.isEmpty { attributes.insert(repExits) }
        return attributes.sorted()
    }

    /// The repartition "attribute" of the reps' step exits (N-in-a-row rules): the topic
    /// `salespulse.<group>.repartition.rep-exits`, keyed by rep.
    public static let repExits = "rep-exits"

    /// A rep's exit from a watched step, forwarded to the rep-exits topic. `id` (event id and
    /// rule) lets the receiving partition drop a re-forwarded exit.
    public struct ExitForward: Sendable, Hashable, Codable {
        public var id: String
        public var exit: KeyedRuleProjection.RepExit
    }

    /// An applied event to forward to a repartition topic.
    public struct Forward: Sendable, Equatable {
        /// The group-by attribute (selects the topic).
        public var attribute: String
        /// The event's value of the attribute: the record key.
        public var key: String
        /// What the counters of that attribute need of the event.
        public var input: CounterInput
    }

    /// What counters need of an event: a few dozen bytes instead of the whole CloudEvent, so the
    /// repartitioned side neither re-parses nor re-validates JSON.
    ///
    /// Encoding: format byte `1`, id (LEB128 length + UTF-8), type (one byte, the catalogue
    /// index), time (zig-zag LEB128 epoch milliseconds), attribute count, then name and value
    /// pairs (each LEB128 length + UTF-8), names sorted.
    public struct CounterInput: Sendable, Equatable {
        public var id: String
        public var type: SalesEventType
        public var time: EventTime
        public var attributes: [String: String]

        public init(id: String, type: SalesEventType, time: EventTime, attributes: [String: String]) {
            self.id = id
            self.type = type
            self.time = time
            self.attributes = attributes
        }

        /// The record value.
        public var encoded: [UInt8] {
            var bytes: [UInt8] = [1]
            Self.append(id, to: &bytes)
            bytes.append(type.rawValue)
            Self.append(UInt64(bitPattern: (time.epochMilliseconds << 1) ^ (time.epochMilliseconds >> 63)), to: &bytes)
            Self.append(UInt64(attributes.count), to: &bytes)
            for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
                Self.append(name, to: &bytes)
                Self.append(value, to: &bytes)
            }
            return bytes
        }

        /// Reads a record value; nil when it is not a counter input of this format.
        public init?(decoding bytes: UnsafeRawBufferPointer) {
            var position = 0
            func varint() -> UInt64? {
                var result: UInt64 = 0
                var shift: UInt64 = 0
                while position < bytes.count, shift < 64 {
                    let byte = bytes[position]
                    position += 1
                    result |= UInt64(byte & 0x7F) << shift
                    if byte < 0x80 { return result }
                    shift += 7
                }
                return nil
            }
            func string() -> String? {
                guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
                defer { position += Int(length) }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)]), as: UTF8.self)
            }
            guard bytes.count > 1, bytes[0] == 1 else { return nil }
            position = 1
            guard let id = string(), position < bytes.count, let type = SalesEventType(rawValue: bytes[position]) else { return nil }
            position += 1
            guard let zigzag = varint(), let count = varint(), count <= UInt64(bytes.count) else { return nil }
            var attributes: [String: String] = [:]
            for _ in 0..<count {
                guard let name = string(), let value = string() else { return nil }
                attributes[name] = value
            }
            guard position == bytes.count else { return nil }
            self.init(id: id, type: type, time: EventTime(epochMilliseconds: Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))), attributes: attributes)
        }

        private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        private static func append(_ text: String, to bytes: inout [UInt8]) {
            let utf8 = Array(text.utf8)
            append(UInt64(utf8.count), to: &bytes)
            bytes += utf8
        }
    }
}
