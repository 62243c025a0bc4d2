import SalesPulseModel

extension Repartition {
    /// Which counter inputs an applied event forwards, worked out once from the counter
    /// definitions instead of per event: for each event type, one route per group-by attribute
    /// of the counters counting that type (in the counters' order), with the attribute names
    /// those counters read, sorted and each once.
    public struct ForwardPlan: Sendable {
        /// The inputs for one repartition topic.
        struct Route: Sendable {
            /// The group-by attribute (`all` for counters without one).
            var attribute: String
            /// The group-by attribute, resolved (nil for `all`).
            var key: AttributeReference?
            /// The attributes the route's counters read, resolved, sorted by name, each once.
            var names: [AttributeReference]
        }

        /// Routes by event type (indexed by the type's raw value).
        private let routes: [[Route]]

        /// The plan of these counters.
        public init(counters: [CounterDefinition]) {
            // Per type: the group-by attributes in the counters' order, and what each one's read.
            var order = [[String]](repeating: [], count: SalesEventType.allCases.count)
            var read = [[String: Set<String>]](repeating: [:], count: SalesEventType.allCases.count)
            for counter in counters {
                let type = Int(counter.type.rawValue)
                let attribute = Repartition.attribute(of: counter)
                if read[type][attribute] == nil { order[type].append(attribute) }
                read[type][attribute, default: []].formUnion(counter.attributesRead)
            }
            routes = order.indices.map { type in
                order[type].map { attribute in
                    Route(attribute: attribute, key: attribute == "all" ? nil : AttributeReference(attribute), names: read[type][attribute]!.sorted().map(AttributeReference.init))
                }
            }
        }

        /// Whether events of `type` forward anything.
        public func forwards(_ type: SalesEventType) -> Bool { !routes[Int(type.rawValue)].isEmpty }

        /// One forward per repartition attribute of the counters that count this event type,
        /// carrying the attributes those counters read. `derived` supplies attributes computed
        /// by the flow projection (e.g. `timeToSignDays`), looked up before the event's own. An
        /// event without a value for a group-by attribute is not forwarded there (its counters
        /// would not count it).
        public func forwards(of event: SalesEvent, derived: [String: String]) -> [Forward] {
            var forwards: [Forward] = []
            _ = self.forwards(of: event, derived: derived, into: &forwards)
            return forwards
        }

        /// ``forwards(of:derived:)`` written over the first elements of `slots` (appended when
        /// there are too few); returns how many. The slots' storage, their attribute arrays
        /// included, is reused: a partition forwards for most events it applies, and a new array
        /// per forward, and destroying them all per record, took about 2 % of the repartitioned
        /// run's samples (BENCHMARKS.md, session 28). Slots past the count are left as they were.
        public func forwards(of event: SalesEvent, derived: [String: String], into slots: inout [Forward]) -> Int {
            let routes = routes[Int(event.type.rawValue)]
            var count = 0
            for route in routes {
                let key: String
                if let lookup = route.key {
                    guard let value = lookup.value(in: event, derived: derived) else { continue }
                    key = value
                } else {
                    key = "all"
                }
                if count == slots.count {
                    slots.append(Forward(attribute: route.attribute, key: key, input: CounterInput(type: event.type, time: event.time, sortedAttributes: [])))
                } else {
                    slots[count].attribute = route.attribute
                    slots[count].key = key
                }
                slots[count].input.refill(type: event.type, time: event.time) { attributes in
                    for name in route.names {
                        if let value = name.value(in: event, derived: derived) { attributes.append(CounterInput.Attribute(name: name.name, value: value)) }
                    }
                }
                count += 1
            }
            return count
        }
    }
}
