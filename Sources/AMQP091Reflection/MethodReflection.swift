import AMQP091
import Bytes

/// The wire types of method arguments and content properties.
public enum ArgumentType: String, Sendable {
    case octet, short, long, longlong, bit, shortstr, longstr, table, timestamp
}

/// A method argument or property value tagged with its wire type, for tools (the conformance
/// runner, tests) that handle every method generically by its spec names.
public enum ArgumentValue: Sendable, Hashable {
    case octet(UInt8)
    case short(UInt16)
    case long(UInt32)
    case longlong(UInt64)
    case bit(Bool)
    case shortstr(String)
    /// A short string that is not UTF-8, which only `ReflectedFrame` carries.
    case binaryShortstr(ByteBuffer)
    case longstr(ByteBuffer)
    case table(FieldTable)
    case timestamp(UInt64)
}

/// One method as the spec describes it, with a constructor from argument values in spec order.
public struct MethodDescriptor: Sendable {
    public let className: String
    public let methodName: String
    public let classID: UInt16
    public let methodID: UInt16
    public let arguments: [(name: String, type: ArgumentType)]
    /// The method built from values in spec order; nil when a value's type does not match.
    public let make: @Sendable ([ArgumentValue]) -> AMQPMethod?
}
