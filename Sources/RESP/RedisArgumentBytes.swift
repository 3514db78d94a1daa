import Bytes

/// The bytes an argument is sent as, for the client's own routing decisions (the command's
/// name, a key's hash slot).
enum RedisArgumentBytes {
    /// Calls `body` with the bytes of `argument`: without copying for strings and buffers,
    /// through the encoder for anything else.
    static func with<Result>(_ argument: any RESPArgument, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch argument {
        case var text as String:
            return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        case let buffer as ByteBuffer:
            return buffer.withUnsafeReadableBytes(body)
        default:
            var encoded = ByteBuffer()
            argument.writeBulkString(into: &encoded)
            return encoded.withUnsafeReadableBytes { bytes in
                // `$<length>\r\n<payload>\r\n`: the payload starts after the first LF.
                let start = (bytes.firstIndex(of: 10) ?? bytes.count - 1) + 1
                return body(UnsafeRawBufferPointer(rebasing: bytes[start..<max(start, bytes.count - 2)]))
            }
        }
    }

    /// `argument` as text (its bytes read as UTF-8).
    static func text(_ argument: any RESPArgument) -> String {
        with(argument) { String(decoding: $0, as: UTF8.self) }
    }

    /// The command's name in upper case; empty for an empty command.
    static func commandName(_ arguments: [any RESPArgument]) -> String {
        guard let first = arguments.first else { return "" }
        return with(first) { bytes in
            let name = String(decoding: bytes, as: UTF8.self)
            // Names are mostly sent in upper case already: no second string then.
            return bytes.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } ? name.uppercased() : name
        }
    }
}
