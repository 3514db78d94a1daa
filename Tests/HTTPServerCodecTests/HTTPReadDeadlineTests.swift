@testable import HTTPServer
import Testing

/// Read deadlines driven with explicit instants.
@Suite struct HTTPReadDeadlineTests {
    let start = ContinuousClock.now
    var deadline = HTTPReadDeadline(headerTimeout: .seconds(10), bodyTimeout: .seconds(60), idleTimeout: .seconds(5))

    @Test mutating func headDeadlineCoversTheWholeHead() {
        #expect(deadline.timeout(for: .idle, now: start) == .seconds(5))
        #expect(deadline.timeout(for: .head, now: start + .seconds(1)) == .seconds(10))
        #expect(deadline.timeout(for: .head, now: start + .seconds(8)) == .seconds(3))
        #expect(deadline.timeout(for: .head, now: start + .seconds(12)) == .seconds(-1))
    }

    @Test mutating func bodyDeadlineCoversTheWholeBody() {
        _ = deadline.timeout(for: .head, now: start)
        #expect(deadline.timeout(for: .body, now: start + .seconds(2)) == .seconds(60))
        #expect(deadline.timeout(for: .body, now: start + .seconds(32)) == .seconds(30))
    }

    /// A bodiless request read in several pieces, then a handler slower than the header
    /// timeout: the next head, already partly received, gets a full deadline.
    @Test mutating func nextHeadAfterADispatchStartsAfresh() {
        _ = deadline.timeout(for: .head, now: start)
        deadline.requestRead()
        #expect(deadline.timeout(for: .head, now: start + .seconds(30)) == .seconds(10))
    }
}
