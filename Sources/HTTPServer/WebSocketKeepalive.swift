/// When to ping a silent WebSocket peer and when to give it up, decided from what was heard and
/// when, without I/O or timers of its own: the connection asks `due(at:)` when its timer fires
/// and sets the timer to the instant it gets back.
///
/// Any byte from the peer counts as a sign of life, not only a pong: a peer busy sending need
/// not answer pings to show it is there. Hearing from the peer is recorded cheaply (an instant
/// stored); the timer is not moved on every read but finds, when it fires, that it is early.
struct WebSocketKeepalive: Sendable, Equatable {
    /// What the connection should do now.
    enum Decision: Equatable {
        /// Nothing yet: set the timer for this instant.
        case wait(until: ContinuousClock.Instant)
        /// Send a ping, then set the timer for this instant (when the answer is due).
        case ping(answerBy: ContinuousClock.Instant)
        /// The peer did not answer the ping in time: close the connection.
        case giveUp
    }

    let interval: Duration
    let timeout: Duration
    private(set) var lastHeard: ContinuousClock.Instant
    /// When the unanswered ping was sent, if one was.
    private(set) var pingSent: ContinuousClock.Instant?

    init(interval: Duration, timeout: Duration, start: ContinuousClock.Instant) {
        self.interval = interval
        self.timeout = timeout
        lastHeard = start
    }

    /// When the timer should first fire.
    var firstDeadline: ContinuousClock.Instant { lastHeard + interval }

    /// Bytes arrived from the peer at `instant`.
    mutating func heard(at instant: ContinuousClock.Instant) {
        if instant > lastHeard { lastHeard = instant }
        if let pingSent, lastHeard >= pingSent { self.pingSent = nil }
    }

    /// What to do when the timer fires at `now`.
    mutating func due(at now: ContinuousClock.Instant) -> Decision {
        if let pingSent {
            let answerBy = pingSent + timeout
            return now >= answerBy ? .giveUp : .wait(until: answerBy)
        }
        let quietUntil = lastHeard + interval
        guard now >= quietUntil else { return .wait(until: quietUntil) }
        pingSent = now
        return .ping(answerBy: now + timeout)
    }
}
