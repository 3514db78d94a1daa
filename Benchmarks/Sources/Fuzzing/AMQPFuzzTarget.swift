import AMQP091
import AMQP091Reflection
import Bytes

/// Fuzzes `FrameDecoder` (and through method and header frames, field tables) with a small
/// frame_max, so generated frames can exceed it.
public struct AMQPFuzzTarget: FuzzTarget {
    public let name = "amqp"
    public let seeds: [[UInt8]]
    public let isTextual = false
    public let maximumFrameSize = 4096
    /// The field nesting the decoder accepts: a method's table plus 32 levels inside it.
    static let fieldNestingLimit = 32

    public init(seeds: [[UInt8]]) {
        self.seeds = seeds
    }

    public func generate(using rng: inout SplitMix64, maxBytes: Int) -> [UInt8] {
        let encoder = FrameEncoder(maximumFrameSize: maximumFrameSize)
        var buffer = ByteBuffer()
        for _ in 0..<rng.int(1...4) where buffer.readableBytes < maxBytes {
            let channel = rng.chance(20) ? 0 : UInt16(rng.size(upTo: 65535))
            let frame: AMQPFrame
            switch rng.int(0...9) {
            case 0:
                frame = .heartbeat
            case 1, 2:
                let properties = randomProperties(using: &rng)
                frame = .header(channel: channel, ContentHeader(bodySize: rng.chance(20) ? .max : UInt64(rng.size(upTo: 1 << 20)), properties: properties))
            case 3, 4:
                frame = .body(channel: channel, ByteBuffer(bytes: rng.bytes(rng.size(upTo: min(maxBytes, maximumFrameSize - 8)))))
            default:
                guard let method = randomMethod(using: &rng) else { continue }
                frame = .method(channel: channel, method)
            }
            // Frames over frame_max are refused by the encoder; probes cover them.
            try? encoder.encode(frame, into: &buffer)
        }
        return Array(buffer.readableBytesView)
    }

    private func randomMethod(using rng: inout SplitMix64) -> AMQPMethod? {
        let descriptor = rng.pick(AMQPMethod.descriptors)
        let values = descriptor.arguments.map { randomArgument($0.type, using: &rng) }
        return descriptor.make(values)
    }

    private func randomArgument(_ type: ArgumentType, using rng: inout SplitMix64) -> ArgumentValue {
        switch type {
        case .octet: .octet(UInt8.random(in: 0...255, using: &rng))
        case .short: .short(rng.chance(30) ? rng.pick([0, 1, .max]) : UInt16.random(in: 0...UInt16.max, using: &rng))
        case .long: .long(rng.chance(30) ? rng.pick([0, 1, .max]) : UInt32.random(in: 0...UInt32.max, using: &rng))
        case .longlong: .longlong(rng.chance(30) ? rng.pick([0, 1, .max]) : rng.next())
        case .bit: .bit(rng.chance(50))
        case .shortstr: .shortstr(randomName(using: &rng))
        case .longstr: .longstr(ByteBuffer(bytes: rng.bytes(rng.size(upTo: 512))))
        case .table: .table(randomTable(depth: 0, using: &rng))
        case .timestamp: .timestamp(rng.next())
        }
    }

    /// A short string: mostly ASCII names, sometimes multi-byte UTF-8, up to 255 bytes.
    private func randomName(using rng: inout SplitMix64) -> String {
        let length = rng.chance(5) ? 255 : rng.size(upTo: 40)
        let scalars = (0..<length).map { _ in rng.chance(95) ? Character(Unicode.Scalar(UInt8(rng.int(32...126)))) : "é" }
        var name = String(scalars)
        while name.utf8.count > 255 { name.removeLast() }
        return name
    }

    private func randomTable(depth: Int, using rng: inout SplitMix64) -> FieldTable {
        var table = FieldTable()
        for _ in 0..<rng.size(upTo: depth < 3 ? 6 : 1) {
            table.entries.append((randomName(using: &rng), randomField(depth: depth, using: &rng)))
        }
        return table
    }

    private func randomField(depth: Int, using rng: inout SplitMix64) -> FieldValue {
        switch rng.int(0...16) {
        case 0: .bool(rng.chance(50))
        case 1: .int8(Int8.random(in: .min ... .max, using: &rng))
        case 2: .uint8(UInt8.random(in: 0...255, using: &rng))
        case 3: .int16(Int16.random(in: .min ... .max, using: &rng))
        case 4: .uint16(UInt16.random(in: 0...UInt16.max, using: &rng))
        case 5: .int32(Int32.random(in: .min ... .max, using: &rng))
        case 6: .uint32(UInt32.random(in: 0...UInt32.max, using: &rng))
        case 7: .int64(Int64(bitPattern: rng.next()))
        case 8: .float(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())))
        case 9: .double(Double(bitPattern: rng.next()))
        case 10: .decimal(scale: UInt8.random(in: 0...255, using: &rng), value: Int32.random(in: .min ... .max, using: &rng))
        case 11: .longString(ByteBuffer(bytes: rng.bytes(rng.size(upTo: 256))))
        case 12: .bytes(ByteBuffer(bytes: rng.bytes(rng.size(upTo: 64))))
        case 13: depth < 4 ? .array((0..<rng.size(upTo: 4)).map { _ in randomField(depth: depth + 1, using: &rng) }) : .void
        case 14: .timestamp(rng.next())
        case 15: depth < 4 ? .table(randomTable(depth: depth + 1, using: &rng)) : .void
        default: .void
        }
    }

    private func randomProperties(using rng: inout SplitMix64) -> BasicProperties {
        var properties = BasicProperties()
        for (name, type) in BasicProperties.descriptors where rng.chance(30) {
            _ = properties.setProperty(name, to: randomArgument(type, using: &rng))
        }
        return properties
    }

    public func probe(using rng: inout SplitMix64) -> (input: [UInt8], expectedError: String) {
        var buffer = ByteBuffer()
        if rng.chance(50) { buffer.writeBytes([8, 0, 0, 0, 0, 0, 0, 0xCE]) }
        if rng.chance(50) {
            // Only the header of a frame one byte too large (or far larger): refused before its payload.
            buffer.writeInteger(UInt8(rng.pick([1, 2, 3])))
            buffer.writeInteger(UInt16(1))
            buffer.writeInteger(UInt32(rng.pick([maximumFrameSize - 7, maximumFrameSize, Int(UInt32.max)])))
            return (Array(buffer.readableBytesView), "frameTooLarge")
        }
        var value = FieldValue.void
        for level in 0..<(Self.fieldNestingLimit + rng.int(1...3)) {
            value = level % 2 == 0 || rng.chance(50) ? .table(["n": value]) : .array([value])
        }
        let declare = AMQPMethod.descriptors.first { $0.className == "queue" && $0.methodName == "declare" }!
        let arguments = declare.arguments.map { argument -> ArgumentValue in
            switch argument.type {
            case .table: .table(["deep": value])
            case .shortstr: .shortstr("q")
            case .short: .short(0)
            default: .bit(false)
            }
        }
        try! FrameEncoder(maximumFrameSize: maximumFrameSize).encode(.method(channel: 1, declare.make(arguments)!), into: &buffer)
        return (Array(buffer.readableBytesView), "nestingTooDeep")
    }

    /// Frames are compared by their re-encoding: it is exact even for NaN floats, which are
    /// never equal to themselves.
    public func decode(_ chunks: [ArraySlice<UInt8>], asBuffers: Bool) -> DecodeOutcome<[UInt8]> {
        var decoder = FrameDecoder(maximumFrameSize: maximumFrameSize)
        let encoder = FrameEncoder(maximumFrameSize: maximumFrameSize)
        var outcome = DecodeOutcome<[UInt8]>()
        for chunk in chunks {
            if asBuffers {
                decoder.append(chunk.offsetBuffer)
            } else {
                decoder.append(contentsOf: chunk)
            }
            do {
                while let frame = try decoder.next() {
                    var encoded = ByteBuffer()
                    do {
                        try encoder.encode(frame, into: &encoded)
                    } catch {
                        outcome.violation = "decoded frame cannot be encoded again: \(error)"
                    }
                    outcome.values.append(Array(encoded.readableBytesView))
                }
            } catch {
                outcome.fail(error, kind: error.code.description, offset: error.offset) {
                    decoder.append(contentsOf: [8, 0, 0, 0, 0, 0, 0, 0xCE])
                    do throws(AMQPError) { _ = try decoder.next() } catch { return error }
                    return nil
                }
                return outcome
            }
        }
        outcome.partial = decoder.bufferedBytes > 0
        return outcome
    }
}
