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
            /// The attributes the route's counters read, sorted, each once.
            var names: [String]
        }

        /// Routes by event type (indexed by the type's raw value).
        private let routes: [[Route]]

        /// The plan of these counters.
        public init(counters: [CounterDefinition]) {
            var routes = [[Route]](repeating: [], count: SalesEventType.allCases.count)
            for counter in counters {
                let attribute = Repartition.attribute(of: counter)
                var typeRoutes = routes[Int(counter.type.rawValue)]
                let index = typeRoutes.firstIndex { $0.attribute == attribute } ?? {
                    typeRoutes.append(Route(attribute: attribute, names: []))
                    return typeRoutes.count - 1
                }()
                typeRoutes[index].names = Array(Set(typeRoutes[index].names + counter.attributesRead)).sorted()
                routes[Int(counter.type.rawValue)] = typeRoutes
            }
            self.routes = routes
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
            self.forwards(of: event, derived: derived, into: &forwards)
            return forwards
        }

        /// ``forwards(of:derived:)`` in place of what `forwards` held (its storage reused: a
        /// partition forwards for most events it applies).
        public func forwards(of event: SalesEvent, derived: [String: String], into forwards: inout [Forward]) {
            forwards.removeAll(keepingCapacity: true)
            let routes = routes[Int(event.type.rawValue)]
            guard !routes.isEmpty else { return }
            for route in routes {
                let key = route.attribute == "all" ? "all" : Self.value(of: route.attribute, in: event, derived: derived)
                guard let key else { continue }
                var attributes: [CounterInput.Attribute] = []
                attributes.reserveCapacity(route.names.count)
                for name in route.names {
                    if let value = Self.value(of: name, in: event, derived: derived) { attributes.append(CounterInput.Attribute(name: name, value: value)) }
                }
                forwards.append(Forward(attribute: route.attribute, key: key, input: CounterInput(type: event.type, time: event.time, sortedAttributes: attributes)))
            }
        }

        private static func value(of name: String, in event: SalesEvent, derived: [String: String]) -> String? {
            (derived.isEmpty ? nil : derived[name]) ?? event.attribute(named: name)
        }
    }
}
