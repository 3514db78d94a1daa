import AMQP091
import Synchronization
import Transport

/// The services' broker clients: one that publishes to the first broker of `RABBITMQ_URLS` that
/// answers (trying them in turn), and, in a process that consumes, consuming clients. Independent
/// brokers get one consuming client each, so orders published to one while another was down are
/// drained wherever they are; the nodes of one cluster share their queues, so one consuming
/// client connects to any node and moves on to the next when it dies. Each client recovers on its own (see `AMQPClient`); this type
/// runs them, declares the pipeline's topology through each, and logs what they report.
final class PipelineBroker: Sendable {
    let urls: [AMQPURL]
    let publishing: AMQPClient
    /// One per independent broker, by its index in `urls`, or one for a whole cluster; empty in
    /// a process that does not consume.
    let consuming: [AMQPClient]
    private let logger: JSONLogger
    /// The index in `urls` of the broker the publishing client is connected to, or was last.
    private let publishingEndpoint = Atomic<Int>(0)
    /// Pauses between attempts at setting a client up.
    static let setupBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.2)

    init(urls: [String], clustered: Bool = false, consumes: Bool, logger: JSONLogger, on group: EventLoopGroup) throws(AMQPURL.ParseError) {
        self.urls = try urls.map { (url) throws(AMQPURL.ParseError) in try AMQPURL(parsing: url) }
        precondition(!self.urls.isEmpty, "at least one broker URL")
        publishing = AMQPClient(endpoints: self.urls, on: group)
        let endpoints = self.urls
        consuming = !consumes ? [] : clustered ? [AMQPClient(endpoints: endpoints, on: group)] : endpoints.map { AMQPClient(endpoints: [$0], on: group) }
        self.logger = logger
    }

    /// The broker the publishing client is connected to, or was last, as spans name it.
    var publishingBroker: BrokerAddress {
        let url = urls[publishingEndpoint.load(ordering: .relaxed)]
        return BrokerAddress(host: url.host, port: url.port)
    }

    /// Every client with the queues it consumes: the publishing one first.
    func clients(consuming queues: [String]) -> [(client: AMQPClient, queues: [String])] {
        [(publishing, [])] + consuming.map { ($0, queues) }
    }

    /// Runs `body` with a channel of `client` on which the pipeline's topology was declared (and
    /// so recorded by the client), retrying with backoff until it succeeds or `stop` is raised;
    /// false then.
    func setUp(_ client: AMQPClient, until stop: StopSignal, loops: EventLoopGroup, _ body: (RecoveringChannel) async throws(AMQPConnectionError) -> Void) async -> Bool {
        var failures = 0
        while !stop.isRaised {
            do {
                let channel = try await client.openChannel()
                try await PipelineTopology.declare(on: channel)
                try await body(channel)
                return true
            } catch {
                guard !stop.isRaised, error.code != .cancelled, error.code != .clientClosed else { return false }
                failures += 1
                let delay = Self.setupBackoff.delay(attempt: failures)
                logger.warning("broker setup failed; retrying", ["error": "\(error)", "retry_ms": .int(delay.milliseconds)])
                await stop.sleep(for: delay, on: loops)
            }
        }
        return false
    }

    /// Logs what `client` reports until it stops. `queues` are those it consumes, named in the
    /// lines about its consumers.
    func log(_ client: AMQPClient, consuming queues: [String]) async {
        var broker = client.endpointNames.first ?? ""
        for await event in client.events {
            switch event {
            case .connected(let endpoint), .recovered(let endpoint):
                broker = client.endpointNames[endpoint]
                if client === publishing { publishingEndpoint.store(endpoint, ordering: .relaxed) }
                logger.info(event == .connected(endpoint: endpoint) ? "broker connected" : "broker reconnected", ["broker": .string(broker)])
            case .connectionLost(let error):
                logger.warning("broker connection lost", ["broker": .string(broker), "cause": "\(error)"])
                for queue in queues {
                    logger.warning("consumer interrupted by the lost connection; it consumes again once reconnected", ["broker": .string(broker), "queue": .string(queue)])
                }
            case .recoveryFailed(let error):
                logger.error("broker client gave up", ["broker": .string(broker), "error": "\(error)"])
            case .blocked(let reason):
                logger.warning("broker blocked publishing", ["broker": .string(broker), "reason": .string(reason)])
            case .unblocked:
                logger.info("broker unblocked publishing", ["broker": .string(broker)])
            case .consumerCancelled(let queue, _):
                logger.warning("consumer cancelled by the broker; declaring the queue again and consuming again", ["broker": .string(broker), "queue": .string(queue)])
            case .consumerRecovered(let queue, _):
                logger.info("consumer consuming again", ["broker": .string(broker), "queue": .string(queue)])
            case .channelClosed(let error):
                logger.warning("broker closed a channel; opening it again", ["broker": .string(broker), "error": "\(error)"])
            case .returned(let exchange, let routingKey, let code, let text):
                logger.warning("broker returned an unroutable message; declaring its route again", [
                    "broker": .string(broker), "exchange": .string(exchange), "routing_key": .string(routingKey), "reply_code": .int(Int(code.rawValue)),
                    "reply_text": .string(text),
                ])
            case .routeRepaired(let exchange):
                logger.info("route declared again", ["broker": .string(broker), "exchange": .string(exchange)])
            case .recoveryStepFailed(let what, let error):
                logger.warning("broker recovery step failed; retrying", ["broker": .string(broker), "step": .string(what), "error": "\(error)"])
            }
        }
    }
}

extension AMQPClient {
    /// `host:port` of each endpoint, for logs.
    var endpointNames: [String] { endpoints.map { "\($0.host):\($0.port)" } }
}
