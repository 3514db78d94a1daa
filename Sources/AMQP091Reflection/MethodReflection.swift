import AMQP091
import Bytes

/// The wire types of method arguments and content properties.
package enum ArgumentType: String, Sendable {
    case octet, short, long, longlong, bit, shortstr, longstr, table, timestamp
}

/// A method argument or property value tagged with its wire type, for tools (the conformance
/// runner, tests) that handle every method generically by its spec names.
package enum ArgumentValue: Sendable, Hashable {
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
package struct MethodDescriptor: Sendable {
    package let className: String
    package let methodName: String
    package let classID: UInt16
    package let methodID: UInt16
    package let arguments: [(name: String, type: ArgumentType)]
    /// The method built from values in spec order; nil when a value's type does not match.
    package let make: @Sendable ([ArgumentValue]) -> AMQPMethod?
}
