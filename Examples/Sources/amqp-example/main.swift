import AMQP091
import Foundation

let url = ProcessInfo.processInfo.environment["AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/"
// A recovering client: its run() reconnects through the endpoints, declares the recorded topology
// again, consumes again after a server cancel and repairs the route of an unroutable publish.
let client = AMQPClient(endpoints: [try AMQPURL(parsing: url)])
try await withThrowingDiscardingTaskGroup { group in
    group.addTask { try await client.run() }                        // ends when the group is cancelled
    let channel = try await client.openChannel()
    try await channel.queueDeclare("example.jobs", durable: true)   // recorded: declared again after a reconnect
    try await channel.confirmSelect()
    // A body is a String, [UInt8], any sequence of bytes, or a ByteBuffer (import Bytes).
    let verdict = try await channel.publishConfirmed(routingKey: "example.jobs", body: "hello", mandatory: true)
    print("amqp: published, \(verdict)")
    for try await delivery in try await channel.consume(queue: "example.jobs") {
        print("amqp: received \(delivery.body)")
        try delivery.ack()
        break
    }
    group.cancelAll()
}
// Errors are AMQPConnectionError, a struct with a code: catch AMQPConnectionError.Code.channelClosed.
// AMQPConnection.connect(to:) is the plain connection underneath, without recovery, and
// channel.call(QueueDeclare(...)) returns a QueueDeclareOk, typed by the method.
