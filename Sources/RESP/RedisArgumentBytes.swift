import Bytes

/// The bytes an argument is sent as, for the client's own routing decisions (the command's
/// name, a key's hash slot).
enum RedisArgumentBytes {
    /// Calls `body` with the bytes of `argument`: without copying for strings and buffers,
    /// through the encoder for anything else.
    static func with<Result>(_ argument: any RESPArgument, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withOpened(argument, body)
    }

    /// `with` on the argument's own type. A cluster client reads the name and keys of every
    /// command it sends, and comparing the type is far cheaper than a dynamic cast.
    private static func withOpened<Argument: RESPArgument, Result>(_ argument: Argument, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if Argument.self == String.self {
            var text = unsafeBitCast(argument, to: String.self)
            return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
        if Argument.self == ByteBuffer.self {
            return unsafeBitCast(argument, to: ByteBuffer.self).withUnsafeReadableBytes(body)
        }
        var encoded = ByteBuffer()
        argument.writeBulkString(into: &encoded)
        return encoded.withUnsafeReadableBytes { bytes in
            // `$<length>\r\n<payload>\r\n`: the payload starts after the first LF.
            let start = (bytes.firstIndex(of: 10) ?? bytes.count - 1) + 1
            return body(UnsafeRawBufferPointer(rebasing: bytes[start..<max(start, bytes.count - 2)]))
        }
    }

    /// `argument` as text (its bytes read as UTF-8).
    static func text(_ argument: any RESPArgument) -> String {
        textOpened(argument)
    }

    private static func textOpened<Argument: RESPArgument>(_ argument: Argument) -> String {
        if Argument.self == String.self { return unsafeBitCast(argument, to: String.self) }
        return withOpened(argument) { String(decoding: $0, as: UTF8.self) }
    }

    /// The command's name in upper case; empty for an empty command.
    static func commandName(_ arguments: [any RESPArgument]) -> String {
        guard let first = arguments.first else { return "" }
        return upperCased(text(first))
    }

    /// `name` in upper case. Names are mostly sent in upper case already: no second string then.
    static func upperCased(_ name: String) -> String {
        name.utf8.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } ? name.uppercased() : name
    }
}
