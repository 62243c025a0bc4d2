import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseRuntime

/// De-duplication by id fingerprints: duplicates within the capacity are caught, the oldest ids
/// are evicted first, the table stays correct through growth and backward-shift deletions, and
/// fingerprints are stable and survive a checkpoint round trip.
@Suite struct RecentIDsTests {
    @Test func anIdSeenAgainIsADuplicateAndADifferentOneIsNot() {
        var ids = RecentIDs(capacity: 10)
        let first = ids.insert("5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e01")
        let again = ids.insert("5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e01")
        let other = ids.insert("5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e02")
        #expect(first && !again && other)
        #expect(ids.count == 2)
    }

    @Test func theOldestIdIsEvictedFirst() {
        var ids = RecentIDs(capacity: 3)
        for id in ["a", "b", "c", "d"] { let inserted = ids.insert(id); #expect(inserted) }
        #expect(!ids.contains("a"))
        #expect(ids.contains("b") && ids.contains("c") && ids.contains("d"))
        let again = ids.insert("a")
        #expect(again, "an evicted id is new again")
        #expect(!ids.contains("b"))
        #expect(ids.count == 3)
    }

    /// Many inserts and evictions against a reference model (a set and a queue of strings):
    /// the table grows several times and deletes from long probe runs.
    @Test(arguments: [1, 7, 1_000, 5_000])
    func agreesWithAReferenceModel(_ capacity: Int) {
        var ids = RecentIDs(capacity: capacity)
        var reference: [String] = []
        var members = Set<String>()
        var generator = SystemRandomNumberGenerator()
        let universe = capacity * 3 + 10
        for _ in 0..<30_000 {
            let id = "evt-\(Int.random(in: 0..<universe, using: &generator))"
            let fresh = !members.contains(id)
            let inserted = ids.insert(id)
            #expect(inserted == fresh, "\(id)")
            if fresh {
                reference.append(id)
                members.insert(id)
                if reference.count > capacity { members.remove(reference.removeFirst()) }
            }
        }
        #expect(ids.count == members.count)
        for id in members { #expect(ids.contains(id)) }
        #expect(ids.oldestFirst == reference.map(EventFingerprint.init))
    }

    @Test func fingerprintsAreStableAcrossProcessesAndReleases() {
        // Checkpoints store fingerprints: these values must never change.
        let fingerprint = EventFingerprint("5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e01")
        #expect(fingerprint == EventFingerprint("5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e01"))
        #expect(fingerprint != EventFingerprint("5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e02"))
        #expect(EventFingerprint("") != EventFingerprint("\u{0}"))
        let known = (fingerprint.high, fingerprint.low)
        #expect(known.0 == Self.knownHigh && known.1 == Self.knownLow, "got \(String(known.0, radix: 16)) \(String(known.1, radix: 16))")
        // An id as an event keeps it (in the value, or as a string when long) has its string's fingerprint.
        for id in ["5b0c7a52-0d6e-4f0e-9a51-3f7c2a1d9e01", "", "a", String(repeating: "x", count: 40), String(repeating: "x", count: 41), "订单-0001"] {
            #expect(EventFingerprint(EventID(id)) == EventFingerprint(id), "\(id)")
        }
    }

    @Test func aMillionDistinctIdsHaveDistinctFingerprints() {
        var seen = Set<EventFingerprint>()
        for index in 0..<1_000_000 { seen.insert(EventFingerprint(String(format: "%08x-0d6e-4f0e-9a51-3f7c2a1d9e01", index))) }
        #expect(seen.count == 1_000_000)
    }

    @Test func encodedFingerprintsRoundTripAndBadLengthsAreRefused() {
        var ids = RecentIDs(capacity: 4)
        for id in ["a", "b", "c", "d", "e"] { _ = ids.insert(id) }
        let restored = RecentIDs(capacity: 4, oldestFirst: RecentIDs.fingerprints(decoding: ids.encoded)!)
        #expect(restored == ids)
        #expect(!restored.contains("a") && restored.contains("e"))
        #expect(RecentIDs.fingerprints(decoding: [1, 2, 3]) == nil)
    }

    /// Pinned when format version 2 was introduced: a change here makes old checkpoints' ids unknown.
    static let knownHigh: UInt64 = 0x4a9c_d83e_c491_2997
    static let knownLow: UInt64 = 0x9634_9251_5ade_35b7
}
