import Glibc
import HTTPServer
import Synchronization

import Transport

/// The live dashboard: one sampler for every watcher reads the pipeline once per tick (totals,
/// the stream of recent orders, stock of the SKUs seen recently, queue depths, health) and
/// publishes the update; each WebSocket sends the newest update when it is ready for one.
///
/// Watchers cost the pipeline nothing: what Redis, the broker and the services see is one
/// reader whatever the number of pages open. A watcher that falls behind gets the newest
/// update, never a queue of old ones: a `snapshot` with the whole history (so its charts have
/// no hole), where a watcher that kept up gets the small `tick`. Both are encoded once per tick
/// for all watchers.
final class DashboardLive: Sendable {
    /// One tick's messages, shared by every watcher.
    struct Update: Sendable {
        let tick: WebSocketPreparedMessage
        let snapshot: WebSocketPreparedMessage
    }

    /// Orders of the stream shown when the dashboard starts, before any tick.
    static let initialFeed = 25

    let broadcast = WebSocketBroadcast<Update>()
    private let source: any DashboardSource
    private let gauge: QueueDepthGauge
    private let interval: Duration
    /// Written by the sampler alone; a lock because the sampler's task may move between threads
    /// and the state is not an actor's.
    private let state = Mutex(DashboardState())
    /// The stream cursors, one per shard; nil until the first read.
    private let cursors = Mutex<[String]?>(nil)

    init(source: any DashboardSource, gauge: QueueDepthGauge, interval: Duration = .seconds(1)) {
        self.source = source
        self.gauge = gauge
        self.interval = interval
    }

    /// Samples every `interval` until `stop` is raised, timed by `loops`.
    func run(probe: HealthProbe, until stop: StopSignal, loops: EventLoopGroup) async {
        var next = ContinuousClock.now
        while !stop.isRaised {
            await sample(probe: probe)
            next += interval
            // Behind by more than a tick (a slow Redis): skip the ticks missed rather than burst.
            if next < .now { next = .now + interval }
            await stop.sleep(for: ContinuousClock.now.duration(to: next), on: loops)
        }
    }

    /// Reads everything once, concurrently, each part bounded, and publishes the update.
    func sample(probe: HealthProbe) async {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let time = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
        async let totals = try? source.totals()
        async let depths = gauge.depths(of: DashboardState.queues.map(\.0))
        async let health = probe.probe()
        var reading = DashboardReading(time: time)
        if let (events, next) = try? await source.recentOrders(after: cursors.withLock { $0 }, initial: Self.initialFeed) {
            reading.events = events
            cursors.withLock { $0 = next }
        }
        let skus = state.withLock { state in
            var skus = state.skus
            for event in reading.events { skus.saw(event.sku) }
            return skus.skus
        }
        reading.inventory = (try? await source.inventory(skus: skus)) ?? [:]
        reading.totals = await totals
        reading.depths = await depths
        reading.health = await health
        let update = state.withLock { state in
            state.record(reading)
            return Update(tick: WebSocketPreparedMessage(text: state.json(full: false)),
                          snapshot: WebSocketPreparedMessage(text: state.json(full: true)))
        }
        broadcast.publish(update)
    }

    /// Serves one watcher until it goes: the newest update whenever the previous one is written,
    /// a snapshot first and after any update it missed. What the page sends is read and ignored,
    /// so it cannot fill the connection's queue.
    func serve(_ socket: WebSocket) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in socket.messages {}
            }
            group.addTask { [broadcast] in
                var seen: UInt64 = 0
                while true {
                    let (version, update) = try await broadcast.next(after: seen)
                    try await socket.send(seen != 0 && version == seen + 1 ? update.tick : update.snapshot)
                    seen = version
                }
            }
            // Either ends only with the connection.
            try await group.next()
            group.cancelAll()
        }
    }
}
