import Foundation
import Testing
@testable import SalesPulseModel

@Suite struct EventDecoderTests {
    let reference = EventTime(epochMilliseconds: 1_772_500_000_000)

    func envelope(type: String = "sales.objection.chosen", time: String = "2026-03-02T09:15:04.123+08:00", subject: String = "cust-000042", extra: String = "", data: String = #"{"objection":"price_too_high"}"#) -> String {
        #"{"specversion":"1.0","id":"5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e01","source":"rep-app/android","type":"\#(type)","time":"\#(time)","subject":"\#(subject)","repid":"rep-0007","region":"east"\#(extra),"data":\#(data)}"#
    }

    @Test func decodesTheIssueExampleExactly() throws {
        let event = try EventDecoder().decode(envelope(), key: "cust-000042", referenceTime: reference)
        #expect(event.id == "5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e01")
        #expect(event.type == .objectionChosen)
        #expect(event.source == "rep-app/android")
        #expect(event.subject == "cust-000042")
        #expect(event.rep == "rep-0007")
        #expect(event.region == "east")
        #expect(event.time.epochMilliseconds == 1_772_414_104_123) // 01:15:04.123Z
        #expect(event.time.offsetMinutes == 480)
        #expect(event.payload == .objectionChosen(objection: "price_too_high"))
    }

    @Test func decodesEvidenceCompletely() throws {
        let data = #"{"flow":"academic","step":"dept_visit","action":"visit_pack","evidence":{"photo":{"hash":"sha256:1","capturedAt":"2026-03-02T09:00:00+08:00"},"location":{"lat":31.5,"lon":121.25,"accuracyM":50},"attachment":{"name":"a.pdf","version":"v2"},"text":"three pains","skus":[{"sku":"A","quantity":2},{"sku":"B","quantity":3.5}]}}"#
        let event = try EventDecoder().decode(envelope(type: "sales.action.completed", data: data), referenceTime: reference)
        guard case .actionCompleted(let flow, let step, let action, let evidence) = event.payload else {
            Issue.record("wrong payload \(event.payload)")
            return
        }
        #expect(flow == "academic" && step == "dept_visit" && action == "visit_pack")
        #expect(evidence.photo == Evidence.Photo(hash: "sha256:1", capturedAt: EventTime(epochMilliseconds: 1_772_413_200_000, offsetMinutes: 480)))
        #expect(evidence.location == Evidence.Location(latitude: 31.5, longitude: 121.25, accuracyMeters: 50))
        #expect(evidence.attachment == Evidence.Attachment(name: "a.pdf", version: "v2"))
        #expect(evidence.text == "three pains")
        #expect(evidence.skus == [Evidence.SKUReference(sku: "A", quantity: 2), Evidence.SKUReference(sku: "B", quantity: 3.5)])
    }

    /// Strings and keys with escapes are unescaped; those without are read in place. Both must
    /// give the same values, in the envelope and in data, and unknown escaped keys are refused.
    @Test func escapedStringsAndKeysAreUnescaped() throws {
        let data = #"{"flow":"academic","step":"dept_visit","act\u0069on":"notes","evidence":{"text":"pain \"points\" caf\u00e9 \\ \n end"}}"#
        let json = #"{"specversion":"1.0","id":"id-\u0031","source":"rep-app\/android","type":"sales.action.completed","time":"2026-03-02T09:15:04+08:00","subject":"cust-000042","data":\#(data)}"#
        let event = try EventDecoder().decode(json, key: "cust-000042", referenceTime: reference)
        #expect(event.id == "id-1")
        #expect(event.source == "rep-app/android")
        guard case .actionCompleted(_, _, let action, let evidence) = event.payload else {
            Issue.record("wrong payload \(event.payload)")
            return
        }
        #expect(action == "notes")
        #expect(evidence.text == "pain \"points\" café \\ \n end")
        let unknown = #"{"specversion":"1.0","id":"i","source":"s","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c","data":{"objection":"x","b\u006fgus":1}}"#
        #expect(throws: EventRejection.self) { try EventDecoder().decode(unknown, referenceTime: reference) }
        do {
            _ = try EventDecoder().decode(unknown, referenceTime: reference)
        } catch {
            #expect(error.reason == .unexpectedField && error.pointer == "/data/bogus")
        }
    }

    /// Events read where they lie must not depend on what follows them in memory: the same
    /// event ending at every offset just before a page boundary (parsed in place) and across it
    /// (copied), followed by junk, decodes identically.
    @Test func eventsAreDecodedTheSameWhereverTheyLieInMemory() throws {
        let bytes = Array(envelope().utf8)
        let decoder = EventDecoder()
        let expected = try decoder.decode(bytes, referenceTime: reference)
        var page = [UInt8](repeating: UInt8(ascii: "\""), count: 3 * 4096)
        try page.withUnsafeMutableBytes { buffer in
            let base = Int(bitPattern: buffer.baseAddress!)
            let boundary = (base + 4096 + 4095) / 4096 * 4096 - base
            for end in (boundary - 100)...(boundary + 10) {
                let start = end - bytes.count
                bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[start..<end]).copyMemory(from: $0) }
                let event = try decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[start..<end]), referenceTime: reference)
                #expect(event == expected)
                for index in start..<end { buffer[index] = UInt8(ascii: "\"") }
            }
        }
    }

    @Test func dataBeforeTypeIsStillValidated() throws {
        let json = #"{"data":{"objection":"x","bogus":1},"specversion":"1.0","id":"i","source":"s","type":"sales.objection.chosen","time":"2026-03-02T01:00:00Z","subject":"c"}"#
        #expect(throws: EventRejection(.unexpectedField, at: "/data/bogus", "unexpected field for type sales.objection.chosen (not in its schema)")) {
            try EventDecoder().decode(json, referenceTime: reference)
        }
    }

    @Test func subjectMustEqualTheKafkaKey() {
        #expect { try EventDecoder().decode(envelope(), key: "cust-999", referenceTime: reference) } throws: { error in
            (error as? EventRejection)?.reason == .subjectKeyMismatch && (error as? EventRejection)?.pointer == "/subject"
        }
    }

    @Test func invalidUTF8IsRejected() {
        var bytes = Array(envelope().utf8)
        let index = bytes.firstIndex(of: UInt8(ascii: "p"))! // inside "price_too_high"
        bytes[index] = 0xC3
        bytes[index + 1] = 0x28
        #expect { try EventDecoder().decode(bytes, referenceTime: reference) } throws: { error in
            (error as? EventRejection)?.reason == .invalidUTF8
        }
    }

    @Test func hugeStringsAreBounded() {
        let long = String(repeating: "x", count: 300)
        #expect { try EventDecoder().decode(envelope(data: #"{"objection":"\#(long)"}"#), referenceTime: reference) } throws: { error in
            (error as? EventRejection)?.reason == .stringTooLong && (error as? EventRejection)?.pointer == "/data/objection"
        }
        let hugeEvent = envelope(data: #"{"objection":"\#(String(repeating: "y", count: 70_000))"}"#)
        #expect { try EventDecoder().decode(hugeEvent, referenceTime: reference) } throws: { error in
            (error as? EventRejection)?.reason == .eventTooLarge
        }
    }

    struct TimeCase: Sendable, CustomTestStringConvertible {
        let text: String
        let millis: Int64?
        let reason: EventRejection.Reason?
        var testDescription: String { text }
    }

    static let timeCases: [TimeCase] = [
        TimeCase(text: "2026-03-02T09:15:04+08:00", millis: 1_772_414_104_000, reason: nil),
        TimeCase(text: "2026-03-02T01:15:04Z", millis: 1_772_414_104_000, reason: nil),
        TimeCase(text: "2026-03-01T20:15:04.5-05:00", millis: 1_772_414_104_500, reason: nil),
        TimeCase(text: "2000-01-01T00:00:00Z", millis: 946_684_800_000, reason: nil),
        TimeCase(text: "1999-12-31T23:59:59Z", millis: nil, reason: .timestampTooOld),
        TimeCase(text: "1970-01-01T00:00:00+00:00", millis: nil, reason: .timestampTooOld),
        TimeCase(text: "2026-03-02T09:15:04", millis: nil, reason: .timestampWithoutOffset),
        TimeCase(text: "2026-03-02T09:15:04.123", millis: nil, reason: .timestampWithoutOffset),
        TimeCase(text: "2026-02-30T00:00:00Z", millis: nil, reason: .malformedTimestamp),
        TimeCase(text: "2026-03-02 09:15", millis: nil, reason: .malformedTimestamp),
        TimeCase(text: "2026-03-02T09:15:04+0800", millis: nil, reason: .malformedTimestamp),
    ]

    @Test(arguments: timeCases)
    func timestampsFollowRFC3339WithAnOffset(_ testCase: TimeCase) {
        do {
            let event = try EventDecoder().decode(envelope(time: testCase.text), referenceTime: EventTime(epochMilliseconds: 1_772_500_000_000))
            #expect(testCase.reason == nil)
            #expect(event.time.epochMilliseconds == testCase.millis)
        } catch {
            #expect(error.reason == testCase.reason)
            #expect(error.pointer == "/time")
        }
    }

    @Test func futureSkewIsMeasuredFromTheReferenceTime() throws {
        var policy = ValidationPolicy()
        policy.maxFutureSkewMilliseconds = 60_000
        let decoder = EventDecoder(policy: policy)
        let time = EventTime(epochMilliseconds: 1_772_414_104_000)
        // Exactly at the limit: accepted; one millisecond beyond: rejected.
        _ = try decoder.decode(envelope(time: "2026-03-02T01:15:04Z"), referenceTime: time.adding(milliseconds: -60_000))
        #expect { try decoder.decode(envelope(time: "2026-03-02T01:15:04Z"), referenceTime: time.adding(milliseconds: -60_001)) } throws: { error in
            (error as? EventRejection)?.reason == .timestampInFuture
        }
    }

    @Test func aDecoderIsReusableAfterARejection() throws {
        let decoder = EventDecoder()
        #expect(throws: EventRejection.self) { try decoder.decode("{", referenceTime: reference) }
        let event = try decoder.decode(envelope(), referenceTime: reference)
        #expect(event.type == .objectionChosen)
    }

    @Test func everyCatalogueTypeHasASchemaName() {
        for type in SalesEventType.allCases {
            #expect(type.name.hasPrefix("sales."))
            #expect(type.name.split(separator: ".").count == 3)
            #expect(SalesEventType(name: type.name) == type)
            #expect(!EventCatalogue.fields(of: type).isEmpty || type == .stepEntered)
        }
    }

    /// The decoder caches the last valid `YYYY-MM-DDTHH:MM`: a decoder that has seen other times
    /// answers exactly as a fresh one, for times that share the cached minute and ones that don't,
    /// valid or not.
    @Test func cachedMinutesGiveTheSameTimesAndRejectionsAsAFreshDecoder() {
        let warm = EventDecoder()
        let minutes = ["2026-03-02T09:15", "2026-03-02t09:15", "2026-03-02 09:15", "2026-03-02T09:16", "2024-02-29T23:59",
                       "2026-02-29T10:00", "2026-13-01T10:00", "2026-03-02T24:00", "2026-03-02T09:60", "2026-03-0xT09:15", "1999-12-31T23:59",
                       // The same date with other hours and minutes, valid or not.
                       "2026-03-02T00:00", "2026-03-02T23:59", "2026-03-02T19:07", "2026-03-02X09:15", "2026-03-02T09-15", "2026-03-02T0a:15",
                       "2026-03-02T09:1b", "2026-03-02T99:15", "2024-02-29T00:01", "2026-03-03T09:15", "2026-04-02T09:15"]
        let rests = [":04.123+08:00", ":04+08:00", ":04Z", ":04z", ":59.9-05:30", ":60Z", ":61Z", ":04", ":04.+08:00", ":04.1234567Z",
                     ":04+24:00", ":04+08:60", ":04+0800", ":4Z", "", ":04.5+08:00x", ":04 +08:00"]
        var generator = SplitMix64(seed: 0x7143)
        for _ in 0..<3_000 {
            let time = minutes.randomElement(using: &generator)! + rests.randomElement(using: &generator)!
            // The envelope's time as well: it is parsed first, so a fixed one would set both
            // decoders' caches alike before the data's time is read.
            let json = #"{"specversion":"1.0","id":"t-1","source":"app","type":"sales.visit.planned","time":"\#(time)","subject":"c","data":{"plannedFor":"\#(time)"}}"#
            let cold = FastPathTests.outcome(Array(json.utf8), EventDecoder())
            let hot = FastPathTests.outcome(Array(json.utf8), warm)
            #expect(cold == hot, "\(time)")
            if case .success(let event) = hot, case .visitPlanned(let plannedFor, _) = event.payload, case .success(let other) = cold, case .visitPlanned(let expected, _) = other.payload {
                #expect(plannedFor.epochMilliseconds == expected.epochMilliseconds && plannedFor.offsetMinutes == expected.offsetMinutes, "\(time)")
            }
        }
    }

    /// An escaped spelling of a known type name (unescaped into the parser's scratch buffer) is
    /// that type; a name one byte longer, shorter or different is not.
    @Test func typeNamesMatchExactlyWhateverTheirSpelling() throws {
        let decoder = EventDecoder()
        func json(_ type: String) -> String {
            #"{"specversion":"1.0","id":"n-1","source":"app","type":"\#(type)","time":"2026-03-02T09:00:00Z","subject":"c","data":{"objection":"price_too_high"}}"#
        }
        #expect(try decoder.decode(json(#"sales.objection.chose\u006e"#), referenceTime: reference).type == .objectionChosen)
        #expect(try decoder.decode(json("sales.objection.chosen"), referenceTime: reference).type == .objectionChosen)
        for wrong in ["sales.objection.chose", "sales.objection.chosen ", "sales.objection.chosem", "sales.objection.chosen\\u0000"] {
            #expect(throws: EventRejection.self, "\(wrong)") { try decoder.decode(json(wrong), referenceTime: reference) }
        }
    }

    /// A name differing from a catalogued one in any single byte, in the middle as at either
    /// end, is an unknown type, and every catalogued name is its own type. (Written for a lookup
    /// by a brief of the names — length, first and last eight bytes — that measured no faster
    /// and was not kept: BENCHMARKS.md, session 35.)
    @Test func aTypeNameDifferingInAnyOneByteIsUnknown() {
        let decoder = EventDecoder()
        func json(_ type: String) -> String {
            #"{"specversion":"1.0","id":"n-1","source":"app","type":"\#(type)","time":"2026-03-02T09:00:00Z","subject":"c","data":{}}"#
        }
        let names = Set(SalesEventType.allCases.map(\.name))
        var checked = 0
        for type in SalesEventType.allCases {
            let bytes = Array(type.name.utf8)
            for position in bytes.indices {
                var changed = bytes
                changed[position] = bytes[position] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
                let wrong = String(decoding: changed, as: UTF8.self)
                guard !names.contains(wrong) else { continue }
                #expect(throws: EventRejection.self, "\(wrong)") { try decoder.decode(json(wrong), referenceTime: reference) }
                do {
                    _ = try decoder.decode(json(wrong), referenceTime: reference)
                } catch {
                    #expect(error.reason == .unknownType, "\(wrong): \(error)")
                }
                checked += 1
            }
            do {
                _ = try decoder.decode(json(type.name), referenceTime: reference)
            } catch {
                // Its data is empty: whatever is wrong with it, the type was found.
                #expect(error.reason != .unknownType, "\(type.name): \(error)")
            }
        }
        #expect(checked > 17 * 16)
    }

    @Test func eventTimeFormatsAsRFC3339() {
        #expect(EventTime(epochMilliseconds: 1_772_414_104_123).rfc3339UTC == "2026-03-02T01:15:04.123Z")
        #expect(EventTime(epochMilliseconds: 0).rfc3339UTC == "1970-01-01T00:00:00.000Z")
        #expect(EventTime(epochMilliseconds: -1).rfc3339UTC == "1969-12-31T23:59:59.999Z")
        #expect(EventTime(epochMilliseconds: 253_402_300_799_999).rfc3339UTC == "9999-12-31T23:59:59.999Z")
        #expect(EventTime(epochMilliseconds: 253_402_300_800_000).rfc3339UTC == "10000-01-01T00:00:00.000Z")
    }

    /// The text written in place agrees with Foundation's formatter across four centuries,
    /// both sides of 1970 and every millisecond position.
    @Test func eventTimeFormattingAgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var random: UInt64 = 42
        for _ in 0..<2_000 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // 1700 … 2100, in milliseconds.
            let millis = -8_520_336_000_000 + Int64((random >> 20) % 12_623_040_000_000)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
            #expect(EventTime(epochMilliseconds: millis).rfc3339UTC == expected, "\(millis)")
        }
    }
}
