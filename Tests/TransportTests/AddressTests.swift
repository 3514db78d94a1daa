import Glibc
import Testing
import Transport

@Suite struct AddressTests {
    @Test func numericHostsOfBothFamilies() async throws {
        let v4 = try await SocketAddress.resolve(host: "127.0.0.1", port: 6379)
        #expect(v4.map(\.description) == ["127.0.0.1:6379"])
        #expect(v4.first?.family == AF_INET)
        for host in ["::1", "[::1]"] {
            let v6 = try await SocketAddress.resolve(host: host, port: 80)
            #expect(v6.map(\.description) == ["[::1]:80"])
            #expect(v6.first?.family == AF_INET6 && v6.first?.host == "::1" && v6.first?.port == 80)
        }
    }

    @Test func namesResolveThroughGetaddrinfo() async throws {
        let addresses = try await SocketAddress.resolve(host: "localhost", port: 5672, timeout: .seconds(10))
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0.port == 5672 && ($0.host == "127.0.0.1" || $0.host == "::1") })
    }

    @Test func malformedNumericHostIsUnresolvable() async throws {
        await #expect {
            _ = try await SocketAddress.resolve(host: "[::1", port: 80, timeout: .seconds(10))
        } throws: { error in
            guard let error = error as? TransportError, error.code == .unresolvable else { return false }
            return error.address == "[::1"
        }
    }

    @Test func openFileLimitIsRaisedToTheHardLimit() {
        let soft = SystemLimits.raiseOpenFileLimit()
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(soft == Int(clamping: limit.rlim_cur))
        #expect(limit.rlim_cur == limit.rlim_max)
    }
}
