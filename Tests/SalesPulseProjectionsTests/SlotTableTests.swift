import Testing
import SalesPulseProjections

/// The slot table under ShardedMap and the runtime's recent ids: with few distinct tags (long
/// probe runs, many equal tags) every entry is still found after inserts, removals, moves and
/// growth, and none removed is.
@Suite struct SlotTableTests {
    @Test(arguments: [1, 7, 1 << 20])
    func findsEveryEntryThroughInsertsRemovalsMovesAndGrowth(_ distinctTags: Int) {
        var generator = SystemRandomNumberGenerator()
        var table = SlotTable()
        // Position → tag of the entries held; positions stay dense, as their owners keep them.
        var tags: [UInt32] = []
        for _ in 0..<20_000 {
            if tags.isEmpty || Int.random(in: 0..<3, using: &generator) > 0 {
                let tag = UInt32(Int.random(in: 0..<distinctTags, using: &generator))
                if table.needsToGrow(toHold: tags.count + 1) { table.grow() }
                table.insert(tag: tag, position: tags.count)
                tags.append(tag)
            } else {
                // Remove one, and move the last into its place (ShardedMap's removal).
                let removed = Int.random(in: 0..<tags.count, using: &generator)
                table.remove(tag: tags[removed], position: removed)
                let last = tags.count - 1
                if removed != last {
                    table.move(tag: tags[last], from: last, to: removed)
                    tags.swapAt(removed, last)
                }
                tags.removeLast()
            }
        }
        #expect(table.slotCount >= 2 * tags.count)
        for (position, tag) in tags.enumerated() {
            #expect(table.position(of: tag) { $0 == position } == position)
        }
        #expect(table.position(of: 0) { $0 >= tags.count } == nil, "a removed position is not found")
    }

    @Test func anEmptyTableFindsNothingAndIgnoresRemovals() {
        var table = SlotTable()
        #expect(table.slotCount == 0)
        #expect(table.position(of: 5) { _ in true } == nil)
        table.remove(tag: 5, position: 0)
        table.move(tag: 5, from: 0, to: 1)
        #expect(table.needsToGrow(toHold: 1))
        table.grow()
        #expect(table.slotCount == 16)
        table.insert(tag: 5, position: 0)
        #expect(table.position(of: 5) { _ in true } == 0)
        #expect(table.position(of: 6) { _ in true } == nil)
    }
}
