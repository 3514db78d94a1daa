import AMQP091
import Bytes

/// A frame with its method arguments or content properties as `ArgumentValue`s by spec name,
/// for tools that show frames generically, such as the conformance runner.
///
/// Unlike `AMQPFrame` it can hold short strings that are not UTF-8 (`.binaryShortstr`): the
/// wire allows any octets there, the typed method structs (`String`) do not, and the client
/// refuses such frames. Decoding goes through the typed decoder first, so both agree on every
/// frame the typed one accepts; only a short string that is not UTF-8 takes the generic path.
public enum ReflectedFrame: Sendable {
    case method(channel: UInt16, MethodDescriptor, [ArgumentValue])
    case header(channel: UInt16, classID: UInt16, bodySize: UInt64, properties: [(name: String, value: ArgumentValue)])
    case body(channel: UInt16, ByteBuffer)
    case heartbeat
}

extension FrameDecoder {
    /// The next whole frame as a `ReflectedFrame`, or nil when more bytes are needed.
    public mutating func nextReflected() throws(AMQPError) -> ReflectedFrame? {
        try nextChecked { raw throws(AMQPError) in
            do throws(AMQPError) {
                return ReflectedFrame(try raw.frame())
            } catch let error where error.code == .invalidUTF8 {
                return try ReflectedFrame(generic: raw)
            }
        }
    }
}

extension ReflectedFrame {
    init(_ frame: AMQPFrame) {
        switch frame {
        case .method(let channel, let method):
            self = .method(channel: channel, method.descriptor, method.argumentValues)
        case .header(let channel, let header):
            self = .header(channel: channel, classID: header.classID, bodySize: header.bodySize, properties: header.properties.propertyValues)
        case .body(let channel, let body):
            self = .body(channel: channel, body)
        case .heartbeat:
            self = .heartbeat
        }
    }

    /// Decodes a method or header payload by the spec's argument and property types.
    init(generic raw: FrameDecoder.RawFrame) throws(AMQPError) {
        var payload = raw.payload
        do throws(AMQPError) {
            switch raw.type {
            case FrameConstant.method:
                let classID = try payload.readShort("class-id")
                let methodID = try payload.readShort("method-id")
                guard let descriptor = AMQPMethod.descriptor(classID: classID, methodID: methodID) else {
                    throw AMQPError(.unknownMethod(classID: classID, methodID: methodID), at: 0)
                }
                let values = try ArgumentValue.decode(descriptor.arguments, from: &payload)
                try FrameDecoder.expectEnd(of: payload)
                self = .method(channel: raw.channel, descriptor, values)
            default:
                let prefix = try ContentHeader.Prefix(decoding: &payload)
                var properties: [(name: String, value: ArgumentValue)] = []
                for (index, property) in BasicProperties.descriptors.enumerated() where prefix.flags & (0x8000 >> UInt16(index)) != 0 {
                    properties.append((property.name, try ArgumentValue.decode([property], from: &payload)[0]))
                }
                try FrameDecoder.expectEnd(of: payload)
                self = .header(channel: raw.channel, classID: BasicProperties.classID, bodySize: prefix.bodySize, properties: properties)
            }
        } catch {
            throw error.shifted(by: raw.payloadOffset)
        }
    }
}

extension FrameEncoder {
    /// Appends a reflected frame; offsets in errors are relative to where it starts in `buffer`.
    public func encode(_ frame: ReflectedFrame, into buffer: inout ByteBuffer) throws(AMQPError) {
        switch frame {
        case .method(let channel, let descriptor, let values):
            try writeFrame(type: FrameConstant.method, channel: channel, into: &buffer) { payload throws(AMQPError) in
                payload.writeInteger(descriptor.classID)
                payload.writeInteger(descriptor.methodID)
                try ArgumentValue.encode(values, as: descriptor.arguments, into: &payload)
            }
        case .header(let channel, let classID, let bodySize, let properties):
            try writeFrame(type: FrameConstant.header, channel: channel, into: &buffer) { payload throws(AMQPError) in
                payload.writeInteger(classID)
                payload.writeInteger(UInt16(0))
                payload.writeInteger(bodySize)
                var flags: UInt16 = 0
                var present: [(name: String, type: ArgumentType)] = []
                var values: [ArgumentValue] = []
                for (index, property) in BasicProperties.descriptors.enumerated() {
                    guard let value = properties.first(where: { $0.name == property.name })?.value else { continue }
                    flags |= 0x8000 >> UInt16(index)
                    present.append(property)
                    values.append(value)
                }
                payload.writeInteger(flags)
                try ArgumentValue.encode(values, as: present, into: &payload)
            }
        case .body(let channel, let body):
            try encode(AMQPFrame.body(channel: channel, body), into: &buffer)
        case .heartbeat:
            try encode(AMQPFrame.heartbeat, into: &buffer)
        }
    }
}

extension ArgumentValue {
    /// Decodes values of `arguments`, in order. Consecutive bits share octets, first bit lowest.
    public static func decode(_ arguments: [(name: String, type: ArgumentType)], from buffer: inout ByteBuffer) throws(AMQPError) -> [ArgumentValue] {
        var values: [ArgumentValue] = []
        var bits: UInt8 = 0
        var nextBit = 8
        for (name, type) in arguments {
            if type == .bit {
                if nextBit == 8 {
                    bits = try buffer.readOctet(name)
                    nextBit = 0
                }
                values.append(.bit(bits & (1 << nextBit) != 0))
                nextBit += 1
                continue
            }
            nextBit = 8
            switch type {
            case .octet: values.append(.octet(try buffer.readOctet(name)))
            case .short: values.append(.short(try buffer.readShort(name)))
            case .long: values.append(.long(try buffer.readLong(name)))
            case .longlong: values.append(.longlong(try buffer.readLongLong(name)))
            case .timestamp: values.append(.timestamp(try buffer.readLongLong(name)))
            case .longstr: values.append(.longstr(try buffer.readLongString(name)))
            case .table: values.append(.table(try buffer.readFieldTable(name)))
            case .shortstr:
                let start = buffer.readerIndex
                guard let length = buffer.readInteger(as: UInt8.self), let bytes = buffer.readSlice(length: Int(length)) else {
                    throw AMQPError(.truncated(name), at: start)
                }
                let text = bytes.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) }
                values.append(text.map(ArgumentValue.shortstr) ?? .binaryShortstr(bytes))
            case .bit: break
            }
        }
        return values
    }

    /// Encodes `values` as `arguments` (same count and types), in order, bits packed as `decode` reads them.
    public static func encode(_ values: [ArgumentValue], as arguments: [(name: String, type: ArgumentType)], into buffer: inout ByteBuffer) throws(AMQPError) {
        var bitsIndex: Int?
        var nextBit = 8
        for (value, (name, _)) in zip(values, arguments) {
            if case .bit(let flag) = value {
                if nextBit == 8 {
                    bitsIndex = buffer.writerIndex
                    buffer.writeInteger(UInt8(0))
                    nextBit = 0
                }
                if flag, let index = bitsIndex {
                    buffer.setInteger(buffer.getInteger(at: index, as: UInt8.self)! | 1 << nextBit, at: index)
                }
                nextBit += 1
                continue
            }
            nextBit = 8
            switch value {
            case .octet(let number): buffer.writeInteger(number)
            case .short(let number): buffer.writeInteger(number)
            case .long(let number): buffer.writeInteger(number)
            case .longlong(let number), .timestamp(let number): buffer.writeInteger(number)
            case .shortstr(let text): try buffer.writeShortString(text, name)
            case .binaryShortstr(let bytes):
                guard bytes.readableBytes <= Int(UInt8.max) else { throw AMQPError(.valueTooLong(name, length: bytes.readableBytes), at: buffer.writerIndex) }
                buffer.writeInteger(UInt8(bytes.readableBytes))
                buffer.writeBuffer(bytes)
            case .longstr(let bytes): try buffer.writeLongString(bytes, name)
            case .table(let table): try buffer.writeFieldTable(table, name)
            case .bit: break
            }
        }
    }
}

extension AMQPMethod {
    /// The spec description of this method.
    public var descriptor: MethodDescriptor { Self.descriptor(classID: classID, methodID: methodID)! }

    /// The spec description of the method with these ids, if there is one.
    public static func descriptor(classID: UInt16, methodID: UInt16) -> MethodDescriptor? {
        descriptors.first { $0.classID == classID && $0.methodID == methodID }
    }
}
