import Testing
@testable import SalesPulseModel

/// Attributes read by counters: each name resolves to the attribute of that name and back, a
/// name no event has resolves to nothing, reading a resolved attribute gives what reading it by
/// name gives, and a reference reads a derived value before the event's own.
@Suite struct EventAttributeTests {
    @Test func everyAttributeIsFoundByItsNameAndNothingElseIs() {
        for attribute in EventAttribute.allCases {
            #expect(EventAttribute(named: attribute.name) == attribute, "\(attribute.name)")
        }
        #expect(SalesEvent.attributeNames.count == EventAttribute.allCases.count)
        #expect(SalesEvent.attributeNames.contains("contactMode"))
        for name in ["", "Region", "timeToSignDays", "data", "id", "repId"] {
            #expect(EventAttribute(named: name) == nil, "\(name)")
        }
    }

    @Test func aResolvedAttributeReadsAsItsName() throws {
        let decoder = EventDecoder()
        let reference = EventTime(epochMilliseconds: 1_900_000_000_000)
        let events = [
            #"{"specversion":"1.0","id":"a-1","source":"app","type":"sales.quote.sent","time":"2026-03-02T09:15:04+08:00","subject":"c-1","repid":"r-1","region":"east","data":{"quoteId":"q-1","amount":1200.5,"currency":"CNY"}}"#,
            #"{"specversion":"1.0","id":"a-2","source":"app","type":"sales.lead.created","time":"2026-03-02T09:15:04+08:00","subject":"c-2","data":{"channel":"web","contactMode":"phone"}}"#,
            #"{"specversion":"1.0","id":"a-3","source":"app","type":"sales.step.blocked","time":"2026-03-02T09:15:04+08:00","subject":"c-3","repid":"r-2","data":{"flow":"f","step":"s","reason":"no_budget"}}"#,
        ].map { try! decoder.decode($0, referenceTime: reference) }
        #expect(events[0].attribute(.amount) == "1200.5")
        #expect(events[0].attribute(.region) == "east")
        #expect(events[0].attribute(.quote) == "q-1")
        #expect(events[1].attribute(.contactMode) == "phone")
        #expect(events[1].attribute(.repid) == nil)
        #expect(events[2].attribute(.reason) == "no_budget")
        #expect(events[2].attribute(.type) == "sales.step.blocked")
        for event in events {
            for attribute in EventAttribute.allCases {
                #expect(event.attribute(named: attribute.name) == event.attribute(attribute))
            }
            #expect(event.attribute(named: "timeToSignDays") == nil)
        }

        // A reference reads a derived value first, then the event's own; a name events do not
        // have reads only a derived value.
        let region = AttributeReference("region")
        let days = AttributeReference("timeToSignDays")
        #expect(region.attribute == .region && days.attribute == nil)
        #expect(region.value(in: events[0], derived: [:]) == "east")
        #expect(region.value(in: events[0], derived: ["region": "west"]) == "west")
        #expect(region.value(in: events[1], derived: ["timeToSignDays": "2.5"]) == nil)
        #expect(days.value(in: events[0], derived: [:]) == nil)
        #expect(days.value(in: events[0], derived: ["timeToSignDays": "2.5"]) == "2.5")
    }
}
