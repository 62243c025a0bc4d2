/// The organisation, for routing and grouping: rep → team (supervisor) → region (director).
public struct Organisation: Sendable, Hashable {
    /// A team with its supervisor and reps.
    public struct Team: Sendable, Hashable {
        public var id: String
        public var supervisor: String
        public var reps: [String]
        public init(id: String, supervisor: String, reps: [String]) { self.id = id; self.supervisor = supervisor; self.reps = reps }
    }
    /// A region with its director and teams.
    public struct Region: Sendable, Hashable {
        public var id: String
        public var director: String
        public var teams: [Team]
        public init(id: String, director: String, teams: [Team]) { self.id = id; self.director = director; self.teams = teams }
    }
    /// Where a rep sits.
    public struct Placement: Sendable, Hashable {
        public var team: String
        public var supervisor: String
        public var region: String
        public var director: String
    }

    public var regions: [Region]
    /// Departments that receive alerts (e.g. `quality`, `product`) → recipient address.
    public var departments: [String: String]
    private var index: [String: Placement]

    public init(regions: [Region] = [], departments: [String: String] = [:]) {
        self.regions = regions
        self.departments = departments
        var index: [String: Placement] = [:]
        for region in regions {
            for team in region.teams {
                for rep in team.reps {
                    index[rep] = Placement(team: team.id, supervisor: team.supervisor, region: region.id, director: region.director)
                }
            }
        }
        self.index = index
    }

    /// Where this rep sits, if known.
    public func placement(of rep: String) -> Placement? { index[rep] }

    /// The reps of a team, in declaration order (empty for an unknown team).
    public func reps(inTeam team: String) -> [String] {
        for region in regions { if let found = region.teams.first(where: { $0.id == team }) { return found.reps } }
        return []
    }

    /// All reps, in declaration order.
    public var allReps: [String] { regions.flatMap { $0.teams.flatMap(\.reps) } }

    /// Expands `rep-0001..rep-0040` into 40 ids (same prefix and width), or returns the id as is.
    public static func expand(_ text: String) -> [String]? {
        guard let range = text.range(of: "..") else { return [text] }
        let first = String(text[..<range.lowerBound])
        let last = String(text[range.upperBound...])
        func split(_ id: String) -> (String, String)? {
            let digits = id.reversed().prefix { $0.isNumber }
            guard !digits.isEmpty else { return nil }
            return (String(id.dropLast(digits.count)), String(digits.reversed()))
        }
        guard let (prefix, from) = split(first), let (otherPrefix, to) = split(last), prefix == otherPrefix,
              let start = Int(from), let end = Int(to), start <= end, end - start < 100_000 else { return nil }
        return (start...end).map { number in
            let digits = String(number)
            return prefix + String(repeating: "0", count: max(0, from.count - digits.count)) + digits
        }
    }
}
