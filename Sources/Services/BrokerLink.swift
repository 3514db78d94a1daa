import AMQP091
import Synchronization
import Transport

/// Keeps the service connected to the first broker of its list that answers: connects, declares
/// the topology, runs the service's setup (channels, consumers), and when the connection is lost
/// starts over with the next broker after a backoff. In-flight publishes on a lost connection fail
/// (the gateway answers 503); consumers start again on the new connection, and deliveries the old
/// one had not acknowledged are redelivered by the broker.
public final class BrokerLink: Sendable {
    /// What the service sets up on each new connection.
    public typealias Setup = @Sendable (AMQPConnection) async throws -> Void

    private let urls: [AMQPURL]
    private let logger: JSONLogger
    private let connectTimeout: Duration
    private let group: EventLoopGroup
    /// The live connection, read by request handlers on every publish; a lock because readers
    /// must not suspend and writes happen only on (re)connection.
    private let live = Mutex<AMQPConnection?>(nil)

    /// A link to the first of `urls` that answers, its sockets served by `group`.
    public init(urls: [String], logger: JSONLogger, connectTimeout: Duration = .seconds(5), on group: EventLoopGroup = .shared) throws {
        self.urls = try urls.map { try AMQPURL(parsing: $0) }
        precondition(!self.urls.isEmpty, "at least one broker URL")
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.group = group
    }

    /// The current connection, or nil while (re)connecting.
    public var connection: AMQPConnection? { live.withLock { $0 } }

    /// Connects, sets up and reconnects until the task is cancelled; then closes the connection.
    public func run(setup: @escaping Setup) async {
        var attempt = 0
        var index = 0
        while !Task.isCancelled {
            let url = urls[index % urls.count]
            index += 1
            do {
                let connection = try await AMQPConnection.connect(to: url, timeout: connectTimeout, on: group)
                do {
                    let channel = try await connection.openChannel()
                    try await PipelineTopology.declare(on: channel)
                    try await channel.close()
                    try await setup(connection)
                } catch {
                    try? await connection.close()
                    throw error
                }
                live.withLock { $0 = connection }
                attempt = 0
                logger.info("broker connected", ["broker": url.host + ":" + String(url.port)])
                await watch(connection)
                live.withLock { $0 = nil }
                if Task.isCancelled { return }
                logger.warning("broker connection lost; reconnecting", ["broker": url.host + ":" + String(url.port)])
                index -= 1
            } catch {
                if Task.isCancelled { return }
                attempt += 1
                let delay = Self.backoff(attempt)
                logger.warning("broker unavailable", ["broker": url.host + ":" + String(url.port), "error": "\(error)", "retry_ms": String(delay.milliseconds)])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Suspends until `connection` ends (its event stream finishes) or the task is cancelled.
    private func watch(_ connection: AMQPConnection) async {
        await withTaskCancellationHandler {
            for await event in connection.events {
                switch event {
                case .blocked(let reason): logger.warning("broker blocked publishing", ["reason": reason])
                case .unblocked: logger.info("broker unblocked publishing")
                case .channelClosed(let channel, let error): logger.warning("broker closed a channel", ["channel": String(channel), "error": "\(error)"])
                default: break
                }
            }
        } onCancel: {
            Task { try? await connection.close() }
        }
    }

    /// 100 ms doubling to 5 s.
    static func backoff(_ attempt: Int) -> Duration {
        min(.milliseconds(100) * (1 << min(attempt - 1, 6)), .seconds(5))
    }
}
