import SalesPulseModel

extension CounterState {
    /// Values per group for `count` windows whose ends are `stepSeconds` apart, the last at
    /// `now`, oldest first: at every point the same as ``values(at:counter:)``, but in one pass
    /// over each group's history instead of one pass over the whole state per point (a series
    /// of 3,600 points over weeks of retained buckets would otherwise take billions of steps).
    /// `groups` limits the series to those groups (nil: every group).
    public func series(endingAt now: EventTime, stepSeconds step: Int64, count: Int, counter: CounterDefinition, groups: Set<String>? = nil) -> [[String: Double]] {
        guard count > 0 else { return [] }
        let step = max(1, step)
        let last = Self.second(of: now)
        let width = max(1, counter.windowMilliseconds / 1000)
        // Point j back from the latest covers (last − j·step − width, last − j·step]: the
        // points covering second `s` are j with s ≤ last − j·step ≤ s + width − 1.
        func pointsBack(covering s: Int64) -> ClosedRange<Int>? {
            let newest = max(0, Self.ceilingDivision(last - s - width + 1, by: step))
            let oldest = min(Int64(count - 1), Self.floorDivision(last - s, by: step))
            return newest <= oldest ? Int(newest)...Int(oldest) : nil
        }
        var points = [[String: Double]](repeating: [:], count: count)
        switch counter.measure {
        case .distinct:
            for (group, values) in occurrences where groups?.contains(group) ?? true {
                // How many values occur in each point's window: each value's covered points
                // are merged into runs, then counted with a difference array.
                var changes = [Int](repeating: 0, count: count + 1)
                for seconds in values.values {
                    var run: ClosedRange<Int>?
                    for second in seconds.reversed() {
                        guard let covered = pointsBack(covering: second) else { continue }
                        if let current = run, covered.lowerBound <= current.upperBound + 1 {
                            run = current.lowerBound...max(current.upperBound, covered.upperBound)
                        } else {
                            if let current = run { changes[current.lowerBound] += 1; changes[current.upperBound + 1] -= 1 }
                            run = covered
                        }
                    }
                    if let current = run { changes[current.lowerBound] += 1; changes[current.upperBound + 1] -= 1 }
                }
                var total = 0
                for back in 0..<count {
                    total += changes[back]
                    if total > 0 { points[count - 1 - back][group] = Double(total) }
                }
            }
        case .count, .sum:
            for (group, seconds) in buckets where groups?.contains(group) ?? true {
                // Amounts are whole or in steps of 2⁻¹⁶ (see ``quantized(_:)``): adding and
                // taking them away again is exact, so each point equals a fresh sum.
                var changes = [Double](repeating: 0, count: count + 1)
                for (second, amount) in seconds {
                    guard let covered = pointsBack(covering: second) else { continue }
                    changes[covered.lowerBound] += amount
                    changes[covered.upperBound + 1] -= amount
                }
                var total = 0.0
                for back in 0..<count {
                    total += changes[back]
                    if total != 0 { points[count - 1 - back][group] = total }
                }
            }
        }
        return points
    }

    static func floorDivision(_ value: Int64, by divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient
    }

    static func ceilingDivision(_ value: Int64, by divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && value > 0) ? quotient + 1 : quotient
    }
}
