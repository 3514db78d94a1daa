import Bytes

/// One RESP2 reply value.
///
/// String payloads are `ByteBuffer` slices of the bytes the decoder was fed, so decoding copies
/// nothing; RESP2 strings are binary, and `string` / `text` decode them as UTF-8 on demand.
public enum RESPValue: Sendable, Hashable {
    /// `+text\r\n`: a status reply such as `OK` or `QUEUED`.
    case simpleString(ByteBuffer)
    /// `-PREFIX message\r\n`: an error reply. See `RedisServerError` for the parsed form.
    case error(ByteBuffer)
    /// `:n\r\n`: a signed 64-bit integer.
    case integer(Int64)
    /// `$len\r\n<bytes>\r\n`: a binary-safe string; `$0` is the empty string, not null.
    case bulkString(ByteBuffer)
    /// `$-1\r\n`: the null bulk string (for example GET of a missing key).
    case nullBulkString
    /// `*count\r\n` followed by `count` values; `*0` is the empty array, not null.
    case array([RESPValue])
    /// `*-1\r\n`: the null array (for example an EXEC aborted by WATCH).
    case nullArray

    /// The payload of a simple string, error or bulk string decoded as UTF-8, or nil for other values.
    public var string: String? {
        switch self {
        case .simpleString(let bytes), .error(let bytes), .bulkString(let bytes): String(describing: bytes)
        default: nil
        }
    }

    /// True for the two null values.
    public var isNull: Bool {
        switch self {
        case .nullBulkString, .nullArray: true
        default: false
        }
    }
}

extension RESPValue {
    /// A map sent as a RESP2 flat array (`[key, value, key, value, ...]`), by key; empty for
    /// anything else.
    var fields: [String: RESPValue] {
        guard case .array(let items) = self else { return [:] }
        var fields: [String: RESPValue] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            if let key = items[index].string { fields[key] = items[index + 1] }
        }
        return fields
    }

    /// An integer, sent as one or as decimal text.
    var int: Int? {
        switch self {
        case .integer(let number): Int(number)
        case .bulkString, .simpleString: string.flatMap { Int($0) }
        default: nil
        }
    }
}
