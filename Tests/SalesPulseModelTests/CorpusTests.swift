import Foundation
import Testing
@testable import SalesPulseModel

/// The shared corpus under Corpus/: every valid event decodes; every invalid one is rejected
/// with the expected reason at the expected JSON pointer.
@Suite struct CorpusTests {
    static let reference = EventTime(epochMilliseconds: 1_772_500_000_000) // 2026-03-03

    static func lines(_ name: String) -> [String] {
        let url = Bundle.module.url(forResource: "Corpus/\(name)", withExtension: "jsonl")!
        return try! String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let event: String
        let expect: String
        let pointer: String
        var testDescription: String { "\(expect) at \(pointer)" }
    }

    static let invalid: [Invalid] = lines("invalid").map { line in
        let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: String]
        return Invalid(event: object["event"]!, expect: object["expect"]!, pointer: object["pointer"]!)
    }

    @Test(arguments: lines("valid"))
    func validEventDecodes(_ line: String) throws {
        let decoder = EventDecoder()
        let event = try decoder.decode(line, referenceTime: Self.reference)
        #expect(!event.id.isEmpty)
        #expect(event.subject.hasPrefix("cust-"))
    }

    @Test(arguments: invalid)
    func invalidEventIsRejectedPrecisely(_ testCase: Invalid) {
        let decoder = EventDecoder()
        do {
            let event = try decoder.decode(testCase.event, referenceTime: Self.reference)
            Issue.record("accepted: \(event)")
        } catch {
            #expect(error.reason.rawValue == testCase.expect)
            #expect(error.pointer == testCase.pointer)
            #expect(!error.detail.isEmpty)
        }
    }
}
