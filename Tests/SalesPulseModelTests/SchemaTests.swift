import Foundation
import Testing
@testable import SalesPulseModel

@Suite struct SchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func committedSchemasMatchTheCatalogue() throws {
        for (name, text) in SchemaGenerator.files() {
            let committed = try String(contentsOf: Self.repository.appendingPathComponent("schemas/\(name)"), encoding: .utf8)
            #expect(committed == text, "schemas/\(name) is stale: run `salespulse validate --write-schemas`")
        }
    }

    @Test func schemasAndDecoderAgreeOnTheCorpus() throws {
        let validator = try JSONSchemaValidator(directory: Self.repository.appendingPathComponent("schemas"))
        let invalid = CorpusTests.invalid.map { SchemaAgreement.InvalidExample(event: $0.event, reason: $0.expect, pointer: $0.pointer) }
        let problems = SchemaAgreement.problems(valid: CorpusTests.lines("valid"), invalid: invalid, validator: validator, referenceTime: CorpusTests.reference)
        #expect(problems == [])
    }

    @Test func theSchemaValidatorRejectsWhatItShould() throws {
        let validator = JSONSchemaValidator(schemas: SchemaGenerator.files().mapValues { try! JSONSerialization.jsonObject(with: Data($0.utf8)) })
        let good = try JSONSerialization.jsonObject(with: Data(CorpusTests.lines("valid")[0].utf8))
        #expect(validator.firstViolation(of: good) == nil)
        var bad = good as! [String: Any]
        bad["time"] = "2026-03-02T09:15:04"
        #expect(validator.firstViolation(of: bad)?.hasPrefix("/time") == true)
        bad = good as! [String: Any]
        bad["data"] = ["objection": 5]
        #expect(validator.firstViolation(of: bad)?.hasPrefix("/data/objection") == true)
    }
}
