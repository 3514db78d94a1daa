/// A first-in, first-out queue on an array: appends at the back, removals at the front, both
/// amortised O(1), and access by position counted from the oldest element.
///
/// `Array.removeFirst()` moves every remaining element; this moves them only when the removed
/// prefix has grown to half the storage, and not at all when the queue runs empty.
struct FIFO<Element> {
    /// Removed slots are nil, so they hold no references until the storage is compacted.
    private var storage: [Element?] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }

    /// The element `offset` places after the oldest one.
    subscript(offset: Int) -> Element {
        get { storage[head + offset]! }
        set { storage[head + offset] = newValue }
    }

    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head].take()
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes everything, oldest first into `body`.
    mutating func removeAll(_ body: (Element) -> Void = { _ in }) {
        while let element = popFirst() { body(element) }
    }
}
