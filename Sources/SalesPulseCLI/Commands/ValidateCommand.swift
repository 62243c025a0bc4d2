import ArgumentParser
import Foundation
import SalesPulseModel
import SalesPulseRuntime

/// `salespulse validate`: offline checks of events and schemas.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check events offline, or check that the JSON Schemas and the decoder agree.",
        discussion: """
        --events FILE   decode and validate a JSON-lines file; prints
                        `line N: reason at /pointer: detail` for each problem
                        and a summary; exits 1 if any line is invalid.
        --schemas       compare schemas/ with the catalogue and check that the
                        decoder and the JSON Schemas agree on the corpus
                        (valid.jsonl, invalid.jsonl) in --corpus.
        --write-schemas regenerate schemas/*.schema.json from the catalogue.
        --config FILE   check a process configuration as `run` and `demo` load
                        it, without Kafka: prints what it defines (flows, rules,
                        counters, organisation), the repartition topics `run
                        --group` would use, and its fingerprint (checkpoints
                        taken under another fingerprint are rebuilt from the
                        log); exits 2, saying what and where, if it is rejected.
        Future-skew is measured from now (the wall clock) in offline mode.
        """
    )

    @Option(help: "A JSON-lines file of events to check.")
    var events: String?

    @Option(help: "A process configuration (YAML) to check, as `run --config` loads it.")
    var config: String?

    @Option(help: "With --config: the consumer group whose repartition topics to list.")
    var group: String = RuntimeConfiguration.defaultGroup

    @Flag(help: "Check that the schemas and the decoder agree.")
    var schemas = false

    @Flag(help: "Regenerate the schema files from the event catalogue.")
    var writeSchemas = false

    @Option(help: "The schema folder.")
    var schemaDir: String = "schemas"

    @Option(help: "The corpus folder with valid.jsonl and invalid.jsonl.")
    var corpus: String = "Tests/SalesPulseModelTests/Corpus"

    func run() throws {
        guard events != nil || schemas || writeSchemas || config != nil else {
            throw ValidationError("nothing to do: give --events FILE, --config FILE, --schemas or --write-schemas")
        }
        if let config {
            // Rejected: the loader's message, exit status 2 (as `run` and `demo` reject it).
            let configuration = try Console.loadConfiguration(config)
            for line in Self.summary(of: configuration, path: config, group: group) { Console.line(line) }
        }
        var failed = false
        if writeSchemas {
            try FileManager.default.createDirectory(atPath: schemaDir, withIntermediateDirectories: true)
            for (name, text) in SchemaGenerator.files().sorted(by: { $0.key < $1.key }) {
                try text.write(toFile: "\(schemaDir)/\(name)", atomically: true, encoding: .utf8)
            }
            Console.line("wrote \(SchemaGenerator.files().count) schemas to \(schemaDir)/")
        }
        if schemas { failed = try !checkSchemas() || failed }
        if let events { failed = try !check(events: events) || failed }
        if failed { throw ExitCode.failure }
    }

    /// What a valid configuration defines, line by line, as `validate --config` prints it.
    static func summary(of configuration: ProcessConfiguration, path: String, group: String) -> [String] {
        let flows = configuration.flows
        let steps = flows.flatMap(\.steps)
        let regions = configuration.organisation.regions
        let teams = regions.flatMap(\.teams)
        var lines = ["\(path): valid"]
        lines.append("  flows: \(flows.count) (\(flows.map { "\($0.id): \($0.steps.count) steps" }.joined(separator: ", ")))")
        lines.append("  steps: \(steps.count), \(steps.filter { $0.slaMilliseconds != nil }.count) with a time limit, \(steps.reduce(0) { $0 + $1.mandatoryActions.count }) mandatory actions")
        lines.append("  rules: \(configuration.inactivity.count) inactivity, \(configuration.counterRules.count) counter, \(configuration.absenceRules.count) absence, \(configuration.sequenceRules.count) sequence; \(configuration.counters.count) counters")
        lines.append("  organisation: \(regions.count) regions, \(teams.count) teams, \(teams.reduce(0) { $0 + $1.reps.count }) reps")
        let topics = Repartition.attributes(of: configuration).map { Repartition.topic(group: group, attribute: $0) }
        lines.append("  repartition topics of group \(group): " + (topics.isEmpty ? "none" : topics.joined(separator: ", ")))
        lines.append("  fingerprint: \(String(configuration.fingerprint, radix: 16)) (checkpoints taken under another are rebuilt from the log)")
        return lines
    }

    private func now() -> EventTime {
        EventTime(epochMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
    }

    private func check(events path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot open \(path)") }
        let decoder = EventDecoder()
        var seen = Set<String>()
        var lineNumber = 0
        var bad = 0
        var good = 0
        let reference = now()
        for line in LineReader(handle: handle) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                let event = try decoder.decode(line, referenceTime: reference)
                if !seen.insert(event.id).inserted {
                    bad += 1
                    Console.line("line \(lineNumber): \(EventRejection(.duplicateID, at: "/id", "id \"\(event.id)\" already seen in this file"))")
                } else {
                    good += 1
                }
            } catch {
                bad += 1
                Console.line("line \(lineNumber): \(error)")
            }
        }
        Console.line("\(path): \(good) valid, \(bad) invalid")
        return bad == 0
    }

    private func checkSchemas() throws -> Bool {
        var ok = true
        for (name, text) in SchemaGenerator.files() {
            let path = "\(schemaDir)/\(name)"
            if (try? String(contentsOfFile: path, encoding: .utf8)) != text {
                Console.line("\(path): differs from the event catalogue (run `salespulse validate --write-schemas`)")
                ok = false
            }
        }
        let validator = try JSONSchemaValidator(directory: URL(fileURLWithPath: schemaDir))
        let valid = try String(contentsOfFile: "\(corpus)/valid.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        let invalid = try String(contentsOfFile: "\(corpus)/invalid.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: String]
            return SchemaAgreement.InvalidExample(event: object["event"]!, reason: object["expect"]!, pointer: object["pointer"]!)
        }
        let problems = SchemaAgreement.problems(valid: valid, invalid: invalid, validator: validator, referenceTime: EventTime(epochMilliseconds: 1_772_500_000_000))
        for problem in problems { Console.line(problem) }
        Console.line("schemas: \(valid.count) valid and \(invalid.count) invalid examples, \(problems.count) disagreements")
        return ok && problems.isEmpty
    }
}
