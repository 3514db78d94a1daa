import Testing
import Transport

@Suite struct BackoffTests {
    @Test func delaysGrowByTheMultiplierUpToTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1))
        let delays = (1...6).map { backoff.delay(attempt: $0) }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    }

    @Test func hugeAttemptCountsStayAtTheMaximum() {
        let backoff = Backoff(initial: .milliseconds(1), maximum: .seconds(5), multiplier: 3)
        #expect(backoff.delay(attempt: .max) == .seconds(5))
        #expect(backoff.delay(attempt: 0) == .milliseconds(1))
    }

    @Test func jitterTakesAtMostItsShareOffTheDelay() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10), jitter: 0.5)
        var seen = Set<Duration>()
        for _ in 0..<200 {
            let delay = backoff.delay(attempt: 3)
            #expect(delay >= .milliseconds(200) && delay <= .milliseconds(400))
            seen.insert(delay)
        }
        #expect(seen.count > 1, "jitter varies the delay")
    }

    @Test func outOfRangeSettingsAreClamped() {
        let backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(10), multiplier: 0.5, jitter: 7)
        #expect(backoff.multiplier == 1)
        #expect(backoff.jitter == 1)
    }
}
