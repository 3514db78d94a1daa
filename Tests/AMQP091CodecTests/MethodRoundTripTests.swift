@testable import AMQP091
import AMQP091Reflection
import Bytes
import Testing

/// Every method in the spec, with non-default arguments, survives encode then decode in every feeding.
@Suite struct MethodRoundTripTests {
    /// A value unlike the spec defaults for each type; `variant` flips bits so both packings are seen.
    static func sample(_ type: ArgumentType, position: Int, variant: Int) -> ArgumentValue {
        switch type {
        case .octet: .octet(0xA5)
        case .short: .short(0xBEEF)
        case .long: .long(0xDEAD_BEEF)
        case .longlong: .longlong(0x0123_4567_89AB_CDEF)
        case .timestamp: .timestamp(1_700_000_000)
        case .bit: .bit((position + variant) % 2 == 0)
        case .shortstr: .shortstr("név-\(position)")
        case .longstr: .longstr(ByteBuffer(bytes: [0x00, 0xFF, 0x10, UInt8(position)]))
        case .table: .table(["x-arg": .int32(7), "nested": .table(["a": .array([.void, .bool(false)])])])
        }
    }

    @Test(arguments: AMQPMethod.descriptors.map { "\($0.className).\($0.methodName)" })
    func roundTrip(_ name: String) throws {
        let descriptor = try #require(AMQPMethod.descriptors.first { "\($0.className).\($0.methodName)" == name })
        for variant in 0..<2 {
            let values = descriptor.arguments.enumerated().map { Self.sample($1.type, position: $0, variant: variant) }
            let method = try #require(descriptor.make(values))
            #expect(method.name == name)
            #expect(method.classID == descriptor.classID && method.methodID == descriptor.methodID)
            #expect(method.argumentValues == values)
            let frame = AMQPFrame.method(channel: 5, method)
            expectDecoding(try encoded([frame]), .frames([frame], incomplete: false))
        }
    }

    @Test func everyClassAndMethodOfTheSpecIsPresent() {
        let names = Set(AMQPMethod.descriptors.map { "\($0.className).\($0.methodName)" })
        for name in [
            "connection.blocked", "connection.unblocked", "connection.update-secret", "connection.update-secret-ok",
            "exchange.bind", "exchange.unbind-ok", "basic.nack", "confirm.select", "tx.rollback-ok", "channel.flow",
        ] {
            #expect(names.contains(name), "\(name)")
        }
        #expect(AMQPMethod.descriptors.first { $0.className == "exchange" && $0.methodName == "unbind-ok" }?.methodID == 51)
        let ids = Set(AMQPMethod.descriptors.map { [$0.classID, $0.methodID] })
        #expect(ids.count == AMQPMethod.descriptors.count)
    }

    @Test func flagsAndTypedAccess() throws {
        #expect(BasicPublish.hasContent && !BasicPublish.isSynchronous)
        #expect(QueueDeclare.isSynchronous && !QueueDeclareOk.isSynchronous)
        let method = QueueDeclareOk(queue: "q", messageCount: 3, consumerCount: 1).method
        #expect(QueueDeclareOk(method)?.messageCount == 3)
        #expect(QueueDeclare(method) == nil)
    }

    @Test func basicPropertiesRoundTripEachAlone() throws {
        for (index, descriptor) in BasicProperties.descriptors.enumerated() {
            var properties = BasicProperties()
            let accepted = properties.setProperty(descriptor.name, to: Self.sample(descriptor.type, position: index, variant: 0))
            #expect(accepted)
            #expect(properties.propertyValues.map(\.name) == [descriptor.name])
            let frame = AMQPFrame.header(channel: 1, ContentHeader(bodySize: 9, properties: properties))
            expectDecoding(try encoded([frame]), .frames([frame], incomplete: false))
        }
    }

    @Test func encodingRefusesOverlongShortString() {
        var buffer = ByteBuffer()
        let name = String(repeating: "q", count: 256)
        #expect(throws: AMQPError(.valueTooLong("queue", length: 256), at: 13)) {
            try FrameEncoder().encode(.method(channel: 1, .queueDeclare(QueueDeclare(queue: name))), into: &buffer)
        }
    }
}
