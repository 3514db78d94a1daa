import AMQP091
import Bytes
import Foundation

/// AMQP 0-9-1 throughput of this project's client, mirroring the peer amqpbench (amqp091-go)
/// flag for flag so scripts/bench/amqp.sh can run both against the same broker:
///
///     amqp-bench publish [-confirm -window W] [-n N] [-size B]   persistent messages to a durable queue
///     amqp-bench consume [-qos Q] [-multiple M] [-n N]           manual ack, each or every M with multiple
///
/// Without -confirm the clock stops after a synchronous round trip on the same channel, so every
/// publish has reached the broker. Prints msgs/s=<n>.
struct Options {
    var mode = ""
    var url = "amqp://guest:guest@127.0.0.1:5672/"
    var queue = "peer.bench"
    var count = 100_000
    var size = 200
    var confirm = false
    var window = 256
    var qos: UInt16 = 200
    var multiple = 1

    init(_ arguments: [String]) throws {
        guard let mode = arguments.first, ["publish", "consume"].contains(mode) else { throw Failure("usage: amqp-bench publish|consume [flags]") }
        self.mode = mode
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            if flag == "-confirm" {
                confirm = true
                continue
            }
            guard let value = rest.popFirst() else { throw Failure("\(flag) needs a value") }
            switch flag {
            case "-url": url = value
            case "-queue": queue = value
            case "-n": count = try Self.number(flag, value)
            case "-size": size = try Self.number(flag, value)
            case "-window": window = try Self.number(flag, value)
            case "-qos": qos = UInt16(try Self.number(flag, value))
            case "-multiple": multiple = try Self.number(flag, value)
            default: throw Failure("unknown flag \(flag)")
            }
        }
    }

    static func number(_ flag: String, _ value: String) throws -> Int {
        guard let number = Int(value), number >= 1 else { throw Failure("\(flag) needs a number >= 1") }
        return number
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

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
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
