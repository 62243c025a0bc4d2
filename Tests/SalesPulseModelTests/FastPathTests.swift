import Foundation
import Testing
@testable import SalesPulseModel

/// The decoder's scalar fast path must answer exactly what the simdjson walk answers: the same
/// event, or (through its fallback) the same rejection, for well-formed and damaged input alike.
@Suite struct FastPathTests {
    static let reference = EventTime(epochMilliseconds: 1_772_500_000_000)

    /// Decodes `bytes` with the fast path on and off and returns both outcomes.
    static func outcomes(_ bytes: [UInt8], fast: EventDecoder, walk: EventDecoder) -> (Result<SalesEvent, EventRejection>, Result<SalesEvent, EventRejection>) {
        (outcome(bytes, fast), outcome(bytes, walk))
    }

    static func outcome(_ bytes: [UInt8], _ decoder: EventDecoder) -> Result<SalesEvent, EventRejection> {
        do throws(EventRejection) {
            return .success(try decoder.decode(bytes, referenceTime: reference))
        } catch {
            return .failure(error)
        }
    }

    static func outcome(_ bytes: UnsafeRawBufferPointer, _ decoder: EventDecoder) -> Result<SalesEvent, EventRejection> {
        do throws(EventRejection) {
            return .success(try decoder.decode(bytes, referenceTime: reference))
        } catch {
            return .failure(error)
        }
    }

    static func envelope(type: String, data: String, extra: String = "") -> String {
        #"{"specversion":"1.0","id":"f-1","source":"app","type":"\#(type)","time":"2026-03-02T01:00:00+08:00","subject":"cust-1","repid":"rep-1"\#(extra),"data":\#(data)}"#
    }

    @Test func everyCorpusEventGetsTheSameAnswerAndValidOnesTakeTheFastPath() {
        let fast = EventDecoder()
        let walk = EventDecoder(fastPath: false)
        let valid = CorpusTests.lines("valid")
        for line in valid {
            let (a, b) = Self.outcomes(Array(line.utf8), fast: fast, walk: walk)
            #expect(a == b, "\(line)")
        }
        // Left to simdjson: escapes, and `data` before `type` (which the walk defers).
        let walked = valid.filter { $0.contains("\\") || $0.range(of: #""data":"#)!.lowerBound < $0.range(of: #""type":"#)!.lowerBound }.count
        #expect(walked > 0 && walked < 3)
        #expect(fast.fastPathCount == valid.count - walked, "every other valid event is parsed by the fast path")
        #expect(walk.fastPathCount == 0)
        for testCase in CorpusTests.invalid {
            let (a, b) = Self.outcomes(Array(testCase.event.utf8), fast: fast, walk: walk)
            #expect(a == b, "\(testCase.event)")
        }
    }

    /// Numbers the fast path parses itself and ones it leaves to simdjson: the doubles agree bit
    /// for bit, and malformed ones are rejected the same way.
    @Test(arguments: [
        "0", "-0", "1", "20", "0.1", "0.3", "31.230416", "121.473701", "-12.5", "123456789012345", "1234567890123456",
        "0.000000000000001", "99999999999999.9", "1e5", "1.5E-3", "2e+2", "00", "01", "1.", ".5", "-", "--1", "1.2.3", "+1", "0x10", "1_000", "NaN",
    ])
    func numbersAgree(_ number: String) {
        let fast = EventDecoder()
        let walk = EventDecoder(fastPath: false)
        for data in [#"{"amount":\#(number),"currency":"CNY"}"#, #"{"currency":"CNY","amount":\#(number)}"#, #"{"amount": \#(number) ,"currency":"CNY"}"#] {
            let json = Self.envelope(type: "sales.deal.won", data: data)
            let (a, b) = Self.outcomes(Array(json.utf8), fast: fast, walk: walk)
            #expect(a == b, "\(json)")
            if case .success(let event) = a, case .dealWon(let amount, _) = event.payload, case .success(let other) = b, case .dealWon(let expected, _) = other.payload {
                #expect(amount.bitPattern == expected.bitPattern, "\(number)")
            }
        }
    }

    @Test(arguments: [
        // Shapes the fast path handles itself.
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high"}"#),
        " \n\t" + envelope(type: "sales.objection.chosen", data: #"{ "objection" : "price_too_high" }"#) + " \r\n",
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high"}"#, extra: #","traceparent":"00-ab","sampled":true,"hops":3,"note":null"#),
        envelope(type: "sales.knowledge.searched", data: #"{"query":"价格 太高","hit":false}"#),
        envelope(type: "sales.field.updated", data: #"{"field":"stage","value":null,"previous":12.5}"#),
        envelope(type: "sales.action.completed", data: #"{"flow":"academic","step":"dept_visit","action":"sku_refs","evidence":{"skus":[{"sku":"PS-55","quantity":20},{"quantity":5,"sku":"PS-60"}],"text":"ok"}}"#),
        envelope(type: "sales.action.completed", data: #"{"flow":"academic","step":"dept_visit","action":"sku_refs","evidence":{"skus":[]}}"#),
        // Shapes it leaves to simdjson (same answer either way).
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_\u0074oo_high"}"#),
        envelope(type: "sales.objection.chosen", data: #"{"obj\u0065ction":"price_too_high"}"#),
        #"{"data":{"objection":"price_too_high"},"specversion":"1.0","id":"f-1","source":"app","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"cust-1"}"#,
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high","objection":"no_budget"}"#),
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high"}"#, extra: #","type":"sales.deal.lost""#),
        // Errors (the walk reports them).
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high"}"#) + "x",
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high",}"#),
        envelope(type: "sales.objection.chosen", data: #"{"objection":"tab\#there"}"#),
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high"}"#, extra: #","ext":{"a":1}"#),
        envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high","extra":1}"#),
        envelope(type: "sales.objection.chosen", data: #"{"objection":7}"#),
        envelope(type: "sales.knowledge.searched", data: #"{"query":"q","hit":tru}"#),
        envelope(type: "sales.knowledge.searched", data: #"{"query":"q","hit":truex}"#),
        envelope(type: "sales.nothing.known", data: #"{"objection":"price_too_high"}"#),
        // Type names near a registered one.
        envelope(type: "sales.objection.chose", data: #"{"objection":"price_too_high"}"#),
        envelope(type: "sales.objection.chosen2", data: #"{"objection":"price_too_high"}"#),
        envelope(type: "sales.objection.chosex", data: #"{"objection":"price_too_high"}"#),
        envelope(type: "Sales.objection.chosen", data: #"{"objection":"price_too_high"}"#),
        envelope(type: "sales.objection.chosen.and.a.long.tail.past.32", data: #"{"objection":"price_too_high"}"#),
        envelope(type: "", data: #"{"objection":"price_too_high"}"#),
        #"{"specversion":"1.0"}"#, "{}", "[]", "", "{", #"{"specversion""#,
    ])
    func shapesAgree(_ json: String) {
        let (a, b) = Self.outcomes(Array(json.utf8), fast: EventDecoder(), walk: EventDecoder(fastPath: false))
        #expect(a == b, "\(json)")
    }

    /// Long strings crossing the string scan's 32-byte blocks, control bytes far into them, and
    /// multi-kilobyte events.
    @Test(arguments: [70, 130, 500, 1_500, 2_100, 5_000])
    func longStringsAgree(_ length: Int) {
        let fast = EventDecoder()
        let walk = EventDecoder(fastPath: false)
        let long = String(repeating: "价格abc", count: length / 9 + 1)
        var cases = [
            Self.envelope(type: "sales.action.completed", data: #"{"flow":"academic","step":"dept_visit","action":"note","evidence":{"text":"\#(long)"}}"#),
            Self.envelope(type: "sales.knowledge.searched", data: #"{"query":"\#(long.prefix(60))","hit":true}"#, extra: #","padding":"\#(String(repeating: "x", count: length))""#),
        ]
        for at in [1, 63, 64, 65, length - 1] where at < long.count {
            var damaged = Array(long)
            damaged[at] = "\t"
            cases.append(Self.envelope(type: "sales.action.completed", data: #"{"flow":"academic","step":"dept_visit","action":"note","evidence":{"text":"\#(String(damaged))"}}"#))
        }
        for json in cases {
            let (a, b) = Self.outcomes(Array(json.utf8), fast: fast, walk: walk)
            #expect(a == b, "\(json.prefix(200))")
        }
        #expect(fast.fastPathCount >= 1, "the undamaged ones take the fast path")
    }

    @Test func invalidUTF8IsRejectedTheSameWay() {
        var bytes = Array(Self.envelope(type: "sales.objection.chosen", data: #"{"objection":"price_too_high"}"#).utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "p"))!
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE4, 0xB8], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
            bytes.replaceSubrange(at..<at + 1, with: bad)
            let (a, b) = Self.outcomes(bytes, fast: EventDecoder(), walk: EventDecoder(fastPath: false))
            #expect(a == b)
            guard case .failure(let rejection) = a else { Issue.record("accepted invalid UTF-8 \(bad)"); continue }
            #expect(rejection.reason == .invalidUTF8)
        }
    }

    /// Every prefix of every valid corpus event, and thousands of single-byte changes: both paths
    /// agree on each (seeded, so a failure reproduces).
    /// The fast path guesses each key from the previous one (catalogue order) and checks the
    /// guess with a masked compare of the key and its closing quote. Members in every order, keys
    /// that extend or shorten a guessed key, keys cut by the end of the event: same answer as the
    /// walk, and an accepted event in any member order still takes the fast path.
    @Test func keysInAnyOrderAndNearMissesOfGuessedKeysGetTheSameAnswer() {
        let fast = EventDecoder()
        let walk = EventDecoder(fastPath: false)
        let envelope = [#""specversion":"1.0""#, #""id":"k-1""#, #""source":"app""#, #""type":"sales.action.completed""#,
                        #""time":"2026-03-02T01:00:00+08:00""#, #""subject":"cust-1""#, #""repid":"rep-1""#, #""region":"east""#]
        let data = [#""flow":"academic""#, #""step":"dept_visit""#, #""action":"photo_badge""#,
                    #""evidence":{"location":{"accuracyM":18,"lon":121.47,"lat":31.23},"photo":{"capturedAt":"2026-03-02T01:00:00Z","hash":"h"}}"#]
        var generator = SplitMix64(seed: 0x0DE5)
        var taken = 0
        for round in 0..<300 {
            let members = round == 0 ? envelope : envelope.shuffled(using: &generator)
            let fields = round == 0 ? data : data.shuffled(using: &generator)
            let dataMember = #""data":{\#(fields.joined(separator: ","))}"#
            // `data` after `type` (the fast path's shape) at a random place among the rest.
            let typeAt = members.firstIndex { $0.hasPrefix(#""type""#) }!
            var all = members
            all.insert(dataMember, at: Int.random(in: (typeAt + 1)...members.count, using: &generator))
            let json = "{" + all.joined(separator: ",") + "}"
            let before = fast.fastPathCount
            let (a, b) = Self.outcomes(Array(json.utf8), fast: fast, walk: walk)
            #expect(a == b, "\(json)")
            if case .success = a, fast.fastPathCount == before + 1 { taken += 1 }
        }
        #expect(taken == 300, "every reordered valid event is parsed by the fast path")

        // Keys one byte longer or shorter than a guessed one, sharing its prefix, or differing
        // only in their last byte; unknown extension attributes named like known ones.
        let nearMisses = [
            #"{"specversion":"1.0","idx":"k-1","id":"k-1","source":"app","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c","data":{"objection":"price_too_high"}}"#,
            #"{"specversion":"1.0","i":"k-1","source":"app","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c","data":{"objection":"price_too_high"}}"#,
            #"{"specversion":"1.0","id":"k-1","sourcE":"app","source":"app","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c","data":{"objection":"price_too_high"}}"#,
            #"{"specversion":"1.0","id":"k-1","source":"app","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c","datA":1,"data":{"objection":"price_too_high"}}"#,
            #"{"specversion":"1.0","id":"k-1","source":"app","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c","data":{"objectio":"price_too_high"}}"#,
            #"{"specversion":"1.0","id":"k-1","source":"app","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c","data":{"objections":"price_too_high"}}"#,
            #"{"specversion":"1.0","id":"k-1","source":"app","type":"sales.deal.won","time":"2026-03-02T01:00:00Z","subject":"c","data":{"amount":1,"currencY":"CNY"}}"#,
            #"{"specversion":"1.0","id":"k-1","source":"app","type":"sales.action.completed","time":"2026-03-02T01:00:00Z","subject":"c","data":{"flow":"f","step":"s","action":"a","evidence":{"skus":{"[]":{"sku":"x","quantity":1}}}}}"#,
            #"{"specversion":"1.0","id":"k-1","source":"app","type":"sales.action.completed","time":"2026-03-02T01:00:00Z","subject":"c","data":{"flow":"f","step":"s","action":"a","evidence":{"skus":[{"[]":"x"}]}}}"#,
        ]
        for json in nearMisses {
            let (a, b) = Self.outcomes(Array(json.utf8), fast: fast, walk: walk)
            #expect(a == b, "\(json)")
            // Cut just inside each key, parsing in place so the rest of the key and its quote
            // still follow in memory: a guess must not match bytes past the event's end.
            let bytes = Array(json.utf8)
            for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\"") {
                for cut in [index + 1, index + 2, index + 3, index + 5] where cut < bytes.count {
                    let (c, d) = bytes.withUnsafeBytes { whole in
                        (Self.outcome(UnsafeRawBufferPointer(rebasing: whole[..<cut]), fast), Self.outcome(UnsafeRawBufferPointer(rebasing: whole[..<cut]), walk))
                    }
                    #expect(c == d, "cut at \(cut) of \(json)")
                    if case .success(let event) = c { Issue.record("a cut event was accepted: \(cut) of \(json): \(event)") }
                }
            }
        }
    }

    @Test func damagedEventsGetTheSameAnswer() {
        let fast = EventDecoder()
        let walk = EventDecoder(fastPath: false)
        var generator = SplitMix64(seed: 0x5EED_FA57)
        let replacements: [UInt8] = Array(#""\{}[],: 0-.eE+atfnul"#.utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xC3, 0xFF]
        var disagreements: [String] = []
        for line in CorpusTests.lines("valid") {
            let bytes = Array(line.utf8)
            for length in 0..<bytes.count {
                let (a, b) = Self.outcomes(Array(bytes[..<length]), fast: fast, walk: walk)
                if a != b { disagreements.append("prefix \(length) of \(line)") }
            }
            for _ in 0..<600 {
                var damaged = bytes
                let at = Int.random(in: 0..<damaged.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: damaged[at] = replacements.randomElement(using: &generator)!
                case 1: damaged.insert(replacements.randomElement(using: &generator)!, at: at)
                default: damaged.remove(at: at)
                }
                let (a, b) = Self.outcomes(damaged, fast: fast, walk: walk)
                if a != b { disagreements.append(String(decoding: damaged, as: UTF8.self)) }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}

/// A small seeded generator, so damaged inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
