/// The last `capacity` elements appended, oldest first, in a ring: appending to a full history
/// overwrites the oldest element in place. (An array trimmed with `removeFirst` moved every kept
/// element on each append once full: 10,000 live events per published alert or step change.)
struct BoundedHistory<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element] = []
    /// Where the oldest element is, once the storage is full.
    private var oldest = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a history keeps at least one element")
        self.capacity = capacity
    }

    /// Appends `element`, dropping the oldest when full.
    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[oldest] = element
            oldest = (oldest + 1) % capacity
        }
    }

    /// The elements, oldest first.
    var elements: [Element] { Array(storage[oldest...] + storage[..<oldest]) }
}
