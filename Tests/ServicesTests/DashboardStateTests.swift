import Foundation
import Testing
@testable import Services

@Suite struct DashboardStateTests {
    func event(_ id: String, _ state: String, at ms: Int64, sku: String = "ABC", notified: Bool = false, latency: Int64? = nil) -> RecentOrderEvent {
        RecentOrderEvent(entryID: "\(ms)-0", orderID: id, state: state, sku: sku, qty: 1, notified: notified, latencyMilliseconds: latency)
    }

    func decoded(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func ratesComeFromTheTotalsOfConsecutiveTicks() throws {
        var state = DashboardState()
        state.record(DashboardReading(time: 1_000, totals: ["accepted": 10, "notified": 4]))
        #expect(state.points[0].rates == [nil, nil, nil, nil], "one reading gives no rate")
        state.record(DashboardReading(time: 3_000, totals: ["accepted": 30, "notified": 8, "reserved": 6]))
        #expect(state.points[1].rates == [10, 3, 0, 2], "per second over the 2 s between readings")
        state.record(DashboardReading(time: 4_000, totals: nil))
        #expect(state.points[2].rates == [nil, nil, nil, nil], "a failed read is a gap, not a zero")
        #expect(state.totals["accepted"] == 30)
    }

    @Test func theHistoryIsBoundedAndTicksCarryTheNewestPoint() throws {
        var state = DashboardState(historyLength: 5)
        for second in 1...8 { state.record(DashboardReading(time: Int64(second) * 1000, totals: ["accepted": Int64(second * 2)])) }
        #expect(state.points.count == 5)
        let snapshot = try decoded(state.json(full: true))
        let tick = try decoded(state.json(full: false))
        #expect(snapshot["type"] as? String == "snapshot" && tick["type"] as? String == "tick")
        #expect((snapshot["series"] as? [String: [Any]])?["t"]?.count == 5)
        #expect((tick["series"] as? [String: [Any]])?["t"] as? [Int] == [8000])
        #expect((tick["series"] as? [String: [Any]])?["accepted"] as? [Int] == [2])
        #expect(tick["seq"] as? Int == 8)
    }

    @Test func theFeedFoldsDecisionsAndNotificationsOfAnOrderAndStaysBounded() throws {
        var state = DashboardState(feedLength: 3)
        state.record(DashboardReading(time: 1_000, events: [event("a", "reserved", at: 900), event("b", "rejected", at: 950)]))
        state.record(DashboardReading(time: 2_000, events: [event("a", "notified", at: 1_500, notified: true, latency: 42)]))
        #expect(state.feed.items.map(\.id) == ["a", "b"], "the order notified last comes first, once")
        #expect(state.feed.items[0].state == "notified" && state.feed.items[0].latencyMilliseconds == 42)
        state.record(DashboardReading(time: 3_000, events: (1...10).map { event("n\($0)", "reserved", at: 2_000 + Int64($0)) }))
        #expect(state.feed.items.map(\.id) == ["n10", "n9", "n8"])
        let json = try decoded(state.json(full: false))
        let feed = try #require(json["feed"] as? [[String: Any]])
        #expect(feed.count == 3)
        #expect(feed.allSatisfy { $0["email"] == nil }, "no personal data")
    }

    @Test func latencyAndSKUsAreBounded() {
        var window = LatencyWindow(ticks: 2, maxPerTick: 100)
        window.add(Array(1...100))
        #expect(window.percentile(0.5) == 50 && window.percentile(0.99) == 99)
        window.add([1_000])
        window.add([2_000, 3_000])
        #expect(window.count == 3, "the oldest tick left the window")
        #expect(window.latestPercentile(0.99) == 3_000)
        var skus = RecentSKUs(capacity: 2)
        for sku in ["A", "B", "A", "C"] { skus.saw(sku) }
        #expect(skus.skus == ["C", "A"])
    }
}
