/// An error reply from the server, split into its code prefix and message.
///
/// Redis starts error replies with an upper-case code (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `MOVED`,
/// `ASK`, `READONLY`, `TRYAGAIN`, `CLUSTERDOWN`, `NOAUTH`, `WRONGPASS`, `EXECABORT`, ...) so
/// clients can react to the kind of failure. The cluster redirections `MOVED` and `ASK` are
/// parsed into `redirection`.
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

    /// The reply text as the server sent it.
    public var description: String { prefix.isEmpty ? message : "\(prefix) \(message)" }

    /// Where a cluster sends the command instead: parsed from `MOVED <slot> <host>:<port>` and
    /// `ASK <slot> <host>:<port>`; nil for any other reply or a malformed one.
    public var redirection: RedisRedirection? {
        let kind: RedisRedirection.Kind
        switch prefix {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        let parts = message.split(separator: " ")
        guard parts.count == 2, let slot = Int(parts[0]), (0..<RedisRedirection.slotCount).contains(slot),
              let colon = parts[1].lastIndex(of: ":"), let port = Int(parts[1][parts[1].index(after: colon)...]),
              (1...65535).contains(port)
        else { return nil }
        var host = parts[1][..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return RedisRedirection(kind: kind, slot: slot, host: String(host), port: port)
    }
}

/// A cluster node's answer that a key's slot is served elsewhere.
public struct RedisRedirection: Sendable, Hashable {
    /// Slots of a Redis Cluster.
    public static let slotCount = 16384

    /// The two redirections of the cluster protocol.
    public enum Kind: Sendable, Hashable {
        /// `MOVED`: the slot lives on another node for good; the client updates its slot map.
        case moved
        /// `ASK`: the slot is migrating and this key is already on the target; send `ASKING`
        /// and the command there once, without changing the slot map.
        case ask
    }

    /// Which redirection.
    public var kind: Kind
    /// The key's slot.
    public var slot: Int
    /// The node to ask; empty when the server does not know its own address (the client then
    /// uses the host of the node that answered).
    public var host: String
    /// The node's port.
    public var port: Int

    /// A redirection to `host:port` for `slot`.
    public init(kind: Kind, slot: Int, host: String, port: Int) {
        self.kind = kind
        self.slot = slot
        self.host = host
        self.port = port
    }
}
