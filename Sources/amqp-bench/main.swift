import AMQP091
import Bytes
import Foundation

/// AMQP 0-9-1 throughput of this project's client, mirroring the peer amqpbench (amqp091-go)
/// flag for flag so scripts/bench-amqp.sh can run both against the same broker:
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

func publish(_ options: Options, _ connection: AMQPConnection, _ channel: AMQPChannel) async throws {
    let body = ByteBuffer(bytes: [UInt8](repeating: 0, count: options.size))
    let properties = BasicProperties(contentType: "application/octet-stream", deliveryMode: 2)
    guard options.confirm else {
        for _ in 0..<options.count { try channel.publish(routingKey: options.queue, body: body, properties: properties) }
        let _: QueueDeclareOk = try await channel.call(QueueDeclare(queue: options.queue, passive: true, durable: true))
        return
    }
    let _: ConfirmSelectOk = try await channel.call(ConfirmSelect())
    var events = connection.events.makeAsyncIterator()
    var unconfirmed = Set<UInt64>()
    var published: UInt64 = 0
    func awaitConfirm() async throws {
        guard let event = await events.next() else { throw Failure("connection closed while waiting for confirms") }
        guard case .confirm(_, let tag, let multiple, let ack) = event else { return }
        guard ack else { throw Failure("broker nacked delivery tag \(tag)") }
        if multiple { unconfirmed = unconfirmed.filter { $0 > tag } } else { unconfirmed.remove(tag) }
    }
    for _ in 0..<options.count {
        try channel.publish(routingKey: options.queue, body: body, properties: properties)
        published += 1
        unconfirmed.insert(published)
        while unconfirmed.count >= options.window { try await awaitConfirm() }
    }
    while !unconfirmed.isEmpty { try await awaitConfirm() }
}

func consume(_ options: Options, _ channel: AMQPChannel) async throws {
    let _: BasicQosOk = try await channel.call(BasicQos(prefetchCount: options.qos))
    let consumer = try await channel.consume(queue: options.queue)
    var received = 0
    for try await message in consumer.messages {
        received += 1
        guard case .basicDeliver(let deliver) = message.method else { continue }
        if received % options.multiple == 0 || received == options.count {
            try channel.ack(deliveryTag: deliver.deliveryTag, multiple: options.multiple > 1)
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
    if options.mode == "publish" { try await publish(options, connection, channel) } else { try await consume(options, channel) }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("msgs/s=\(Int(Double(options.count) / seconds))")
    try await connection.close()
} catch {
    FileHandle.standardError.write(Data("amqp-bench: \(error)\n".utf8))
    exit(1)
}
