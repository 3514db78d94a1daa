/// The time limit of the next read on a server connection.
///
/// A request's head and its body each get a deadline for the whole of it, set by the first read
/// of that part, so a client trickling a byte at a time cannot keep a connection busy for longer
/// than the deadline (a timeout per read would let it go on forever). The next request starts
/// afresh once a request is dispatched, even when part of its head arrived earlier. Between
/// requests the idle timeout applies to each wait.
struct HTTPReadDeadline {
    private let headerTimeout: Duration
    private let bodyTimeout: Duration
    private let idleTimeout: Duration
    /// The part being read and its deadline; nil between requests.
    private var current: (phase: HTTPConnectionStateMachine.ReadPhase, deadline: ContinuousClock.Instant)?

    init(headerTimeout: Duration, bodyTimeout: Duration, idleTimeout: Duration) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
    }

    /// The timeout of a read in `phase` starting at `now`; zero or less once the deadline of the
    /// part being read has passed.
    mutating func timeout(for phase: HTTPConnectionStateMachine.ReadPhase, now: ContinuousClock.Instant) -> Duration {
        let limit: Duration
        switch phase {
        case .idle:
            current = nil
            return idleTimeout
        case .head: limit = headerTimeout
        case .body: limit = bodyTimeout
        }
        if let current, current.phase == phase { return current.deadline - now }
        current = (phase, now + limit)
        return limit
    }

    /// A request was read completely: the next one gets deadlines of its own.
    mutating func requestRead() {
        current = nil
    }
}
