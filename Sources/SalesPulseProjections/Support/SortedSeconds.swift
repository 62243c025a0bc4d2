/// Binary searches of ascending epoch seconds: a counter's distinct seconds of a value, a count
/// or sum group's seconds (``SecondAmounts``), a prepared rule series.
enum SortedSeconds {
    /// The first index whose second is ≥ `second` (`seconds.count` when there is none).
    static func lowerBound(_ seconds: [Int64], _ second: Int64) -> Int {
        var low = 0, high = seconds.count
        while low < high {
            let middle = (low + high) / 2
            if seconds[middle] < second { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The first index whose second is > `second` (`seconds.count` when there is none).
    static func upperBound(_ seconds: [Int64], _ second: Int64) -> Int {
        var low = 0, high = seconds.count
        while low < high {
            let middle = (low + high) / 2
            if seconds[middle] <= second { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
