import AMQP091
import Bytes
import CommandLineOptions
import Foundation

/// AMQP 0-9-1 throughput of this project's client, mirroring the peer amqpbench (amqp091-go)
/// flag for flag so scripts/bench/amqp.sh can run both against the same broker (Go's `-flag`
/// spelling works, as `--flag` does). Without -confirm the clock stops after a synchronous round
/// trip on the same channel, so every publish has reached the broker. Prints msgs/s=<n>.
let syntax = CommandSyntax(
    "amqp-bench",
    summary: "AMQP 0-9-1 throughput of this project's client, flag for flag as the amqp091-go peer; prints msgs/s=N",
    arguments: [.init("MODE", "publish: persistent messages to a durable queue; consume: manual acks, each or every -multiple")],
    options: [
        .value("url", "URL", default: "amqp://guest:guest@127.0.0.1:5672/", "the broker"),
        .value("queue", "NAME", default: "peer.bench", "the durable queue"),
        .value("n", "N", default: "100000", "messages"),
        .value("size", "BYTES", default: "200", "body size (publish)"),
        .flag("confirm", "publish with publisher confirms (publish)"),
        .value("window", "N", default: "256", "unconfirmed publishes at once (publish -confirm)"),
        .value("qos", "N", default: "200", "prefetch (consume)"),
        .value("multiple", "M", default: "1", "ack every M deliveries at once with multiple (consume)"),
    ])

/// The run's settings, read from the command line.
struct Options {
    var mode: String
    var url: String
    var queue: String
    var count: Int
    var size: Int
    var confirm: Bool
    var window: Int
    var qos: UInt16
    var multiple: Int

    init(_ parsed: ParsedCommandLine) throws(CommandLineError) {
        mode = parsed.arguments[0]
        guard mode == "publish" || mode == "consume" else { throw CommandLineError("MODE is publish or consume, not '\(mode)'") }
        url = try parsed.string("url")
        queue = try parsed.string("queue")
        count = try parsed.int("n", in: 1...Int.max)
        size = try parsed.int("size", in: 0...Int.max)
        confirm = parsed.has("confirm")
        window = try parsed.int("window", in: 1...Int.max)
        qos = UInt16(try parsed.int("qos", in: 1...Int(UInt16.max)))
        multiple = try parsed.int("multiple", in: 1...Int.max)
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func publish(_ options: Options, _ channel: AMQPChannel) async throws {
    let body = ByteBuffer(bytes: [UInt8](repeating: 0, count: options.size))
    let properties = BasicProperties(contentType: "application/octet-stream", deliveryMode: 2)
    guard options.confirm else {
        for _ in 0..<options.count { try channel.publish(routingKey: options.queue, body: body, properties: properties) }
        let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: options.queue, passive: true, durable: true))
        return
    }
    try await channel.confirmSelect(window: options.window)
    // As many publishers as the window has room: each awaits its own confirm, so the window stays full.
    let workers = min(options.window, options.count)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<workers {
            let share = options.count / workers + (worker < options.count % workers ? 1 : 0)
            group.addTask {
                for _ in 0..<share {
                    let outcome = try await channel.publishConfirmed(routingKey: options.queue, body: body, properties: properties)
                    guard outcome == .ack else { throw Failure("broker answered \(outcome)") }
                }
            }
        }
        try await group.waitForAll()
    }
}

func consume(_ options: Options, _ channel: AMQPChannel) async throws {
    try await channel.qos(prefetchCount: options.qos)
    let consumer = try await channel.consume(queue: options.queue)
    var received = 0
    for try await delivery in consumer {
        received += 1
        if received % options.multiple == 0 || received == options.count {
            try delivery.ack(multiple: options.multiple > 1)
        }
        if received == options.count { return }
    }
    throw Failure("deliveries ended after \(received) messages")
}

let options: Options
do {
    options = try Options(syntax.parseOrExit())
} catch {
    syntax.fail(error)
}
do {
    let connection = try await AMQPConnection.connect(to: AMQPURL(parsing: options.url))
    let channel = try await connection.openChannel()
    let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: options.queue, durable: true))
    let clock = ContinuousClock()
    let start = clock.now
    if options.mode == "publish" { try await publish(options, channel) } else { try await consume(options, channel) }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("msgs/s=\(Int(Double(options.count) / seconds))")
    try await connection.close()
} catch {
    FileHandle.standardError.write(Data("amqp-bench: \(error)\n".utf8))
    exit(1)
}
