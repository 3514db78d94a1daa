import RESP
import Testing

@Suite struct RedisConfigurationTests {
    @Test func fullURL() throws {
        let configuration = try RedisConfiguration(url: "redis://app:s%40cret@cache.local:6380/3")
        #expect(configuration.host == "cache.local")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "app")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == 3)
    }

    @Test func defaultsAndPasswordOnly() throws {
        let plain = try RedisConfiguration(url: "redis://127.0.0.1")
        #expect(plain.port == 6379 && plain.database == 0 && plain.username == nil && plain.password == nil)
        let passwordOnly = try RedisConfiguration(url: "redis://:pw@localhost:7000/")
        #expect(passwordOnly.username == nil && passwordOnly.password == "pw" && passwordOnly.port == 7000)
        let ipv6 = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(ipv6.host == "::1" && ipv6.port == 6390 && ipv6.database == 1)
    }

    @Test func invalidURLsAreRejected() {
        for url in ["http://localhost", "redis://", "redis://host:0", "redis://host:99999", "redis://host:x", "redis://host/db", "redis://[::1", "redis://:%zz@host"] {
            #expect(throws: RedisClientError.self, "\(url)") { try RedisConfiguration(url: url) }
        }
    }

    /// Services log a bad REDIS_URL's error: the password must not be in it.
    @Test func invalidURLErrorsMaskThePassword() {
        for url in ["rediss://app:s3cret@host", "redis://app:s3cret@host:x", "redis://:s3cret@host/db", "redis://app:s3cret@[::1",
                    "redis://app:s3cret@", "redis://app:s3cret%zz@host", "redis://s3cret@host:0"] {
            #expect(throws: RedisClientError.self, "\(url)") { try RedisConfiguration(url: url) }
            do {
                _ = try RedisConfiguration(url: url)
            } catch {
                #expect(!"\(error)".contains("s3cret"), "\(error)")
                #expect("\(error)".contains("***@"), "\(error)")
            }
        }
    }
}

@Suite struct RedisServerErrorTests {
    @Test func prefixIsSplitFromTheMessage() {
        let moved = RedisServerError(reply: "MOVED 3999 127.0.0.1:6381")
        #expect(moved.prefix == "MOVED" && moved.message == "3999 127.0.0.1:6381")
        let noScript = RedisServerError(reply: "NOSCRIPT No matching script. Please use EVAL.")
        #expect(noScript.prefix == "NOSCRIPT" && noScript.message == "No matching script. Please use EVAL.")
        let bare = RedisServerError(reply: "something odd")
        #expect(bare.prefix == "" && bare.message == "something odd")
        #expect(moved.description == "MOVED 3999 127.0.0.1:6381")
    }
}
