/// An error reply from the server, split into its code prefix and message.
///
/// Redis starts error replies with an upper-case code (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `MOVED`,
/// `NOAUTH`, `WRONGPASS`, `EXECABORT`, ...) so clients can react to the kind of failure.
public struct RedisServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The leading code word, such as `WRONGTYPE`; empty when the reply has none.
    public var prefix: String
    /// The rest of the error text after the prefix.
    public var message: String

    /// Splits an error reply's text at its first space when the first word is an upper-case code.
    public init(reply: String) {
        let word = reply.prefix { $0 != " " }
        if !word.isEmpty, word.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
            prefix = String(word)
            message = String(reply.dropFirst(word.count).drop { $0 == " " })
        } else {
            prefix = ""
            message = reply
        }
    }

    public var description: String { prefix.isEmpty ? message : "\(prefix) \(message)" }
}
