/// A first-in, first-out queue on an array: appends at the back, removals at the front, both
/// amortised O(1), and access by position counted from the oldest element (position 0).
///
/// `Array.removeFirst()` moves every remaining element; this moves them only when the removed
/// prefix has grown to half the storage, and not at all when the queue runs empty. The protocol
/// clients keep their waiters in it (replies, confirms and deliveries all come back in order).
/// Public and inlinable, so that it is specialised in the modules that use it: a `package` type
/// was not, and its generic calls cost a third of the Redis client's pipelined throughput.
public struct FIFO<Element>: RandomAccessCollection, MutableCollection {
    /// Removed slots are nil, so they hold no references until the storage is compacted.
    @usableFromInline var storage: [Element?] = []
    @usableFromInline var head = 0

    @inlinable public init() {}

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storage.count - head }

    /// The element `position` places after the oldest one.
    @inlinable public subscript(position: Int) -> Element {
        get { storage[head + position]! }
        set { storage[head + position] = newValue }
    }

    @inlinable public mutating func append(_ element: Element) {
        storage.append(element)
    }

    /// Makes room for `minimumCapacity` elements in all without growing the storage again.
    @inlinable public mutating func reserveCapacity(_ minimumCapacity: Int) {
        storage.reserveCapacity(head + minimumCapacity)
    }

    @inlinable public mutating func popFirst() -> Element? {
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
    @inlinable public mutating func removeAll(_ body: (Element) -> Void = { _ in }) {
        while let element = popFirst() { body(element) }
    }
}

extension FIFO: Sendable where Element: Sendable {}
