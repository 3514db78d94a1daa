import Bytes
import Testing
import TestSupport
import Glibc
import Transport

@Suite struct EchoTests {
    @Test func echoesAMessageWrittenInEveryFragmentation() async throws {
        let server = try await EchoServer()
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
        let message = Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".utf8)
        for feeding in Feeding.all(of: message) {
            for chunk in feeding.chunks {
                try await connection.write(ByteBuffer(bytes: chunk))
            }
            let echoed = try await connection.read(exactly: message.count)
            #expect(Array(echoed.readableBytesView) == message, "fed \(feeding)")
        }
        connection.close()
        await server.stop()
    }

    @Test func oneMebibyteBothWaysAtOnce() async throws {
        let server = try await EchoServer()
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
        let payload = pattern(count: 1 << 20, seed: 7)
        // Written while the echo is read back: neither side's socket buffers can hold 1 MiB, so
        // writing first and reading afterwards would deadlock.
        async let written: Void = connection.write(ByteBuffer(bytes: payload), timeout: .seconds(20))
        let echoed = try await connection.read(exactly: payload.count)
        try await written
        #expect(echoed == ByteBuffer(bytes: payload))
        connection.close()
        await server.stop()
    }

    @Test func serverSendsOneMebibyteThenCloses() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let payload = pattern(count: 1 << 20, seed: 3)
        let sender = Task {
            let connection = try await listener.accept(timeout: .seconds(5))
            try await connection.write(ByteBuffer(bytes: payload), timeout: .seconds(20))
            connection.close()
        }
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: listener.port)
        var received = ByteBuffer()
        while try await connection.read(into: &received, timeout: .seconds(10)) > 0 {}
        try await sender.value
        #expect(received == ByteBuffer(bytes: payload), "all bytes, then EOF")
        connection.close()
        listener.close()
    }

    @Test func ipv6Loopback() async throws {
        let server = try await EchoServer(host: "::1")
        #expect(server.listener.localAddress.description == "[::1]:\(server.port)")
        let connection = try await TCPConnection.connect(host: "[::1]", port: server.port, timeout: .seconds(5))
        #expect(connection.remoteAddress.family == AF_INET6)
        try await connection.write(ByteBuffer(string: "over IPv6"))
        #expect(try await connection.read(exactly: 9).description == "over IPv6")
        connection.close()
        await server.stop()
    }

    @Test func connectsByDNSName() async throws {
        // Listening on both families, whichever "localhost" resolves to first is served.
        let server = try await EchoServer(host: "::")
        let connection = try await TCPConnection.connect(host: "localhost", port: server.port, timeout: .seconds(5))
        #expect(connection.remoteAddress.port == server.port)
        try await connection.write(ByteBuffer(string: "by name"))
        #expect(try await connection.read(exactly: 7).description == "by name")
        connection.close()
        await server.stop()
    }

    @Test func connectsToAResolvedAddress() async throws {
        let server = try await EchoServer()
        let address = try #require(try await SocketAddress.resolve(host: "127.0.0.1", port: server.port).first)
        let connection = try await TCPConnection.connect(to: address, timeout: .seconds(5))
        #expect(connection.remoteAddress.description == "127.0.0.1:\(server.port)")
        try await connection.write(ByteBuffer(string: "by address"))
        #expect(try await connection.read(exactly: 10).description == "by address")
        connection.close()
        await server.stop()
    }

    @Test func thousandConnectionsOnOneLoop() async throws {
        SystemLimits.raiseOpenFileLimit()
        let group = EventLoopGroup(threads: 1)
        let server = try await EchoServer(group: group)
        try await withThrowingTaskGroup(of: Int.self) { clients in
            for index in 0..<1000 {
                clients.addTask {
                    let connection = try await TCPConnection.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(30), on: group)
                    defer { connection.close() }
                    var rounds = 0
                    for round in 0..<3 {
                        let message = "client \(index) round \(round)"
                        try await connection.write(ByteBuffer(string: message))
                        let echoed = try await connection.read(exactly: message.utf8.count)
                        if echoed.description == message { rounds += 1 }
                    }
                    return rounds
                }
            }
            var total = 0
            for try await rounds in clients { total += rounds }
            #expect(total == 3000)
        }
        await server.stop()
    }
}
