extension SmallMap where Value == Alert {
    /// Stores `alert` under its id, where the id sorts: the place is found by the ids' digits
    /// (``Alert/digits``), which lie in the entries, instead of by comparing id strings, whose
    /// bytes lie in heap blocks of their own (each comparison waited for one). An alert with
    /// the same id is replaced. An id that is not 16 hex digits, on either side, is placed by
    /// comparing strings.
    mutating func store(_ alert: consuming Alert) {
        let digits = alert.digits
        let place = entries.withUnsafeBufferPointer { entries -> (index: Int, found: Bool)? in
            guard digits != .none else { return nil }
            for index in entries.indices {
                let other = entries[index].value.digits
                if other == digits { return (index, true) }
                guard other != .none else { return nil }
                if digits.sorts(before: other) { return (index, false) }
            }
            return (entries.count, false)
        }
        guard let place else {
            self[alert.id] = alert
            return
        }
        if place.found { entries[place.index].value = alert } else { entries.insert(Entry(key: alert.id, value: alert), at: place.index) }
    }
}
