/// Deadlines of an event loop: a binary min-heap of (deadline, id) with the actions kept by id.
///
/// Cancelling only drops the action; its heap entry is skipped when it surfaces, and the heap is
/// rebuilt once stale entries outnumber live ones, so a busy connection that keeps setting and
/// cancelling timeouts costs O(log n) per timer and bounded memory.
struct TimerQueue {
    typealias Action = @Sendable () -> Void

    private var heap: [(deadline: UInt64, id: UInt64)] = []
    private var actions: [UInt64: Action] = [:]
    private var lastID: UInt64 = 0

    var isEmpty: Bool { actions.isEmpty }

    /// Heap entries held, including cancelled ones not yet dropped.
    var storedEntries: Int { heap.count }

    /// Adds `action` to run at `deadline` and returns the id that cancels it.
    mutating func schedule(at deadline: UInt64, _ action: @escaping Action) -> UInt64 {
        lastID &+= 1
        actions[lastID] = action
        heap.append((deadline, lastID))
        siftUp(heap.count - 1)
        return lastID
    }

    mutating func cancel(_ id: UInt64) {
        guard actions.removeValue(forKey: id) != nil else { return }
        if heap.count > 64 && heap.count > 2 * actions.count { rebuild() }
    }

    /// The earliest live deadline.
    mutating func nextDeadline() -> UInt64? {
        dropStaleTop()
        return heap.first?.deadline
    }

    /// Removes and returns the actions whose deadline is at or before `now`, earliest first.
    mutating func popExpired(now: UInt64) -> [Action] {
        var expired: [Action] = []
        while true {
            dropStaleTop()
            guard let top = heap.first, top.deadline <= now else { return expired }
            removeTop()
            if let action = actions.removeValue(forKey: top.id) { expired.append(action) }
        }
    }

    private mutating func dropStaleTop() {
        while let top = heap.first, actions[top.id] == nil { removeTop() }
    }

    private mutating func rebuild() {
        heap.removeAll { actions[$0.id] == nil }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].deadline < heap[b].deadline || (heap[a].deadline == heap[b].deadline && heap[a].id < heap[b].id)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count && less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, parent) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
