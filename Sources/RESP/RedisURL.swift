import Bytes

/// The parts of a `redis://`, `redis-sentinel://` or `redis-cluster://` URL:
/// `scheme://[user[:password]@]host[:port][,host[:port]...][/path]`, where an IPv6 host is written
/// in brackets and user and password may be percent-encoded.
struct RedisURL {
    var scheme: String
    var username: String?
    var password: String?
    var endpoints: [RedisEndpoint]
    /// The path after the authority, without its leading `/` (empty when there is none).
    var path: Substring

    /// Parses `url`; hosts without a port get `defaultPort`.
    init(_ url: String, defaultPort: Int) throws(RedisClientError) {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
            throw .invalidURL("\(URLCredentials.redacted(url)) (expected scheme://)")
        }
        scheme = String(url[..<colon])
        var rest = url[url.index(colon, offsetBy: 3)...]
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
            path = ""
        }
        rest = authority
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user = userInfo.firstIndex(of: ":").map { userInfo[..<$0] } ?? userInfo
            let secret = userInfo.firstIndex(of: ":").map { userInfo[userInfo.index(after: $0)...] }
            do {
                let decodedUser = try PercentEncoding.decode(user)
                username = decodedUser.isEmpty ? nil : decodedUser
                password = try secret.map { secret throws(PercentEncoding.DecodingError) in try PercentEncoding.decode(secret) }
            } catch {
                throw .invalidURL("\(URLCredentials.redacted(url)) (bad percent-encoding)")
            }
        }
        endpoints = []
        for hostPort in rest.split(separator: ",", omittingEmptySubsequences: false) {
            endpoints.append(try Self.endpoint(hostPort, defaultPort: defaultPort, in: url))
        }
    }

    private static func endpoint(_ text: Substring, defaultPort: Int, in url: String) throws(RedisClientError) -> RedisEndpoint {
        let host: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidURL("\(URLCredentials.redacted(url)) (unclosed [)") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw .invalidURL(URLCredentials.redacted(url)) }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
            portText = nil
        }
        guard !host.isEmpty else { throw .invalidURL("\(URLCredentials.redacted(url)) (no host)") }
        guard let portText else { return RedisEndpoint(host: String(host), port: defaultPort) }
        guard let port = Int(portText), (1...65535).contains(port) else { throw .invalidURL("\(URLCredentials.redacted(url)) (bad port)") }
        return RedisEndpoint(host: String(host), port: port)
    }

    /// A database number from a path segment; an empty one is database 0.
    static func database(_ text: Substring, in url: String) throws(RedisClientError) -> Int {
        guard !text.isEmpty else { return 0 }
        guard let number = Int(text), number >= 0 else { throw .invalidURL("\(URLCredentials.redacted(url)) (database must be a number)") }
        return number
    }
}
