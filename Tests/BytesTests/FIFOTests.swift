@testable import Bytes
import Testing

@Suite struct FIFOTests {
    /// Random appends and pops, checked against an array after every step: positions, first,
    /// count and order stay right across the compactions (which start once 64 were popped).
    @Test func behavesLikeAnArrayThroughCompactions() {
        var fifo = FIFO<Int>()
        var model: [Int] = []
        var random = SystemRandomNumberGenerator()
        var next = 0
        for _ in 0..<20_000 {
            // Appends slightly more often than pops, so the queue grows and shrinks by turns.
            if model.isEmpty || Int.random(in: 0..<9, using: &random) < 5 {
                fifo.append(next)
                model.append(next)
                next += 1
            } else {
                #expect(fifo.popFirst() == model.removeFirst())
            }
            #expect(fifo.count == model.count)
            #expect(fifo.first == model.first)
            if !model.isEmpty {
                let position = Int.random(in: 0..<model.count, using: &random)
                #expect(fifo[position] == model[position])
            }
        }
        #expect(Array(fifo) == model)
    }

    @Test func positionsCountFromTheOldestAndCanBeChanged() {
        var fifo = FIFO<String>()
        for word in ["a", "b", "c", "d"] { fifo.append(word) }
        #expect(fifo.popFirst() == "a")
        fifo[1] = "C"
        #expect(Array(fifo) == ["b", "C", "d"])
        #expect(fifo.firstIndex(of: "d") == 2)
        #expect(fifo.indices == 0..<3)
    }

    @Test func removeAllHandsOverTheOldestFirstAndLeavesItEmpty() {
        var fifo = FIFO<Int>()
        for value in 1...100 { fifo.append(value) }
        for _ in 0..<70 { _ = fifo.popFirst() }
        var seen: [Int] = []
        fifo.removeAll { seen.append($0) }
        #expect(seen == Array(71...100))
        #expect(fifo.isEmpty)
        #expect(fifo.popFirst() == nil)
        fifo.append(7)
        #expect(Array(fifo) == [7])
    }

    /// A popped element is released at once, not when the storage is next compacted.
    @Test func aPoppedElementIsNotRetained() {
        final class Token {}
        var fifo = FIFO<Token>()
        weak var popped: Token?
        do {
            let token = Token()
            popped = token
            fifo.append(token)
            fifo.append(Token())
        }
        _ = fifo.popFirst()
        #expect(popped == nil)
        #expect(fifo.count == 1)
    }
}
