import Glibc
import Testing
@testable import Transport

@Suite struct SocketOptionTests {
    @Test func noDelayIsOnForConnectedAndAcceptedSockets() async throws {
        try await withLoopbackPair { listener, client, server in
            #expect(client.socket.option(Int32(IPPROTO_TCP), TCP_NODELAY) == 1, "connected socket")
            #expect(server.socket.option(Int32(IPPROTO_TCP), TCP_NODELAY) == 1, "accepted socket")
            let byAddress = try await TCPConnection.connect(to: listener.localAddress, timeout: .seconds(5))
            defer { byAddress.close() }
            #expect(byAddress.socket.option(Int32(IPPROTO_TCP), TCP_NODELAY) == 1, "socket connected to a resolved address")
        }
    }
}
