/// Reads the replies and messages of the sentinel protocol.
enum RedisSentinelReplies {
    /// The address in a `SENTINEL get-master-addr-by-name` reply (`[host, port]`); `.some(nil)`
    /// for the null reply of an unknown master, nil for anything else.
    static func masterAddress(_ reply: RESPValue) -> RedisEndpoint?? {
        switch reply {
        case .nullArray, .nullBulkString:
            return .some(nil)
        case .array(let parts):
            guard parts.count == 2, let host = parts[0].string, let port = parts[1].string.flatMap({ Int($0) }) else { return nil }
            return .some(RedisEndpoint(host: host, port: port))
        default:
            return nil
        }
    }

    /// The role in a `ROLE` reply (`master`, `slave`, `sentinel`), or nil for anything else.
    static func role(_ reply: RESPValue) -> String? {
        guard case .array(let parts) = reply else { return nil }
        return parts.first?.string
    }

    /// The master name and new address in a `+switch-master` message:
    /// `<name> <old-host> <old-port> <new-host> <new-port>`.
    static func switchMaster(_ payload: String) -> (name: String, endpoint: RedisEndpoint)? {
        let words = payload.split(separator: " ")
        guard words.count == 5, let port = Int(words[4]) else { return nil }
        return (String(words[0]), RedisEndpoint(host: String(words[3]), port: port))
    }

    /// The master name and the replica's address in an event about a replica, such as
    /// `+failover-state-wait-promotion` or `+promoted-slave`:
    /// `slave <host>:<port> <host> <port> @ <name> <master-host> <master-port>`.
    static func replicaEvent(_ payload: String) -> (name: String, endpoint: RedisEndpoint)? {
        let words = payload.split(separator: " ")
        guard words.count == 8, words[0] == "slave", words[4] == "@", let port = Int(words[3]) else { return nil }
        return (String(words[5]), RedisEndpoint(host: String(words[2]), port: port))
    }
}
