/// A server's address: a host (a DNS name or an IPv4/IPv6 literal, without brackets) and a port.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// An endpoint for `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension RedisConfiguration {
    /// The server this configuration connects to.
    public var endpoint: RedisEndpoint {
        get { RedisEndpoint(host: host, port: port) }
        set {
            host = newValue.host
            port = newValue.port
        }
    }
}
