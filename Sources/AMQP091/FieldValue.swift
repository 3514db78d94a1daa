import Bytes

/// A value in a field table or field array, with RabbitMQ's type set (its errata to 0-9-1).
public enum FieldValue: Sendable, Hashable {
    /// `t`
    case bool(Bool)
    /// `b`
    case int8(Int8)
    /// `B`
    case uint8(UInt8)
    /// `s`
    case int16(Int16)
    /// `u`
    case uint16(UInt16)
    /// `I`
    case int32(Int32)
    /// `i`
    case uint32(UInt32)
    /// `l`
    case int64(Int64)
    /// `f`
    case float(Float)
    /// `d`
    case double(Double)
    /// `D`: `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: Int32)
    /// `S`: a long string; bytes, usually UTF-8.
    case longString(ByteBuffer)
    /// `x`: a byte array.
    case bytes(ByteBuffer)
    /// `A`: an array of values.
    case array([FieldValue])
    /// `T`: seconds since the Unix epoch.
    case timestamp(UInt64)
    /// `F`: a nested table.
    case table(FieldTable)
    /// `V`: no value.
    case void

    /// The type octet on the wire, e.g. `S` for `.longString`.
    public var typeCode: UInt8 {
        let letter: Unicode.Scalar =
            switch self {
            case .bool: "t"
            case .int8: "b"
            case .uint8: "B"
            case .int16: "s"
            case .uint16: "u"
            case .int32: "I"
            case .uint32: "i"
            case .int64: "l"
            case .float: "f"
            case .double: "d"
            case .decimal: "D"
            case .longString: "S"
            case .bytes: "x"
            case .array: "A"
            case .timestamp: "T"
            case .table: "F"
            case .void: "V"
            }
        return UInt8(letter.value)
    }
}

extension FieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    /// A string literal is a long string (`S`), the type RabbitMQ uses for header strings.
    public init(stringLiteral value: String) { self = .longString(ByteBuffer(string: value)) }
    /// An integer literal is a signed 64-bit integer (`l`).
    public init(integerLiteral value: Int64) { self = .int64(value) }
    /// A boolean literal is a boolean (`t`).
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Nesting limit for tables and arrays, so hostile input cannot exhaust the stack.
let maximumFieldNesting = 32

extension ByteBuffer {
    /// Reads one type-tagged value; `depth` counts enclosing tables and arrays.
    mutating func readFieldValue(depth: Int) throws(AMQPError) -> FieldValue {
        let typeOffset = readerIndex
        let type = try readOctet("field value type")
        switch type {
        case UInt8(ascii: "t"): return .bool(try readOctet("bool value") != 0)
        case UInt8(ascii: "b"): return .int8(Int8(bitPattern: try readOctet("int8 value")))
        case UInt8(ascii: "B"): return .uint8(try readOctet("uint8 value"))
        case UInt8(ascii: "s"): return .int16(Int16(bitPattern: try readShort("int16 value")))
        case UInt8(ascii: "u"): return .uint16(try readShort("uint16 value"))
        case UInt8(ascii: "I"): return .int32(Int32(bitPattern: try readLong("int32 value")))
        case UInt8(ascii: "i"): return .uint32(try readLong("uint32 value"))
        case UInt8(ascii: "l"): return .int64(Int64(bitPattern: try readLongLong("int64 value")))
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try readLong("float value")))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try readLongLong("double value")))
        case UInt8(ascii: "D"):
            let scale = try readOctet("decimal scale")
            return .decimal(scale: scale, value: Int32(bitPattern: try readLong("decimal value")))
        case UInt8(ascii: "S"): return .longString(try readLongString("long string value"))
        case UInt8(ascii: "x"): return .bytes(try readLongString("byte array value"))
        case UInt8(ascii: "A"): return .array(try readFieldArray(depth: depth + 1))
        case UInt8(ascii: "T"): return .timestamp(try readLongLong("timestamp value"))
        case UInt8(ascii: "F"): return .table(try readFieldTable(depth: depth + 1))
        case UInt8(ascii: "V"): return .void
        default: throw AMQPError(.unknownFieldType(type), at: typeOffset)
        }
    }

    /// Reads an array: a 32-bit byte length, then values filling exactly that many bytes.
    mutating func readFieldArray(depth: Int) throws(AMQPError) -> [FieldValue] {
        guard depth <= maximumFieldNesting else { throw AMQPError(.nestingTooDeep(limit: maximumFieldNesting), at: readerIndex) }
        var content = try readLengthPrefixed("array")
        var values: [FieldValue] = []
        do {
            while content.buffer.readableBytes > 0 {
                values.append(try content.buffer.readFieldValue(depth: depth))
            }
        } catch {
            throw error.shifted(by: content.offset)
        }
        return values
    }

    mutating func writeFieldValue(_ value: FieldValue, _ field: String) throws(AMQPError) {
        writeInteger(value.typeCode)
        switch value {
        case .bool(let flag): writeInteger(UInt8(flag ? 1 : 0))
        case .int8(let number): writeInteger(number)
        case .uint8(let number): writeInteger(number)
        case .int16(let number): writeInteger(number)
        case .uint16(let number): writeInteger(number)
        case .int32(let number): writeInteger(number)
        case .uint32(let number): writeInteger(number)
        case .int64(let number): writeInteger(number)
        case .float(let number): writeInteger(number.bitPattern)
        case .double(let number): writeInteger(number.bitPattern)
        case .decimal(let scale, let number):
            writeInteger(scale)
            writeInteger(number)
        case .longString(let bytes), .bytes(let bytes): try writeLongString(bytes, field)
        case .array(let values):
            try writeLengthPrefixed(field) { buffer throws(AMQPError) in
                for element in values { try buffer.writeFieldValue(element, field) }
            }
        case .timestamp(let seconds): writeInteger(seconds)
        case .table(let table): try writeFieldTable(table, field)
        case .void: break
        }
    }
}
