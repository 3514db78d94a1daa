import Bytes
import Glibc
import Testing
import TestSupport
@testable import Transport

@Suite struct FailureTests {
    @Test func peerCloseWhileReadingEndsWithEOF() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        try await accepted.write(ByteBuffer(string: "partial"))
        let pending = Task {
            var buffer = ByteBuffer()
            var reads: [Int] = []
            while true {
                let count = try await connection.read(into: &buffer, timeout: .seconds(5))
                reads.append(count)
                if count == 0 { return (buffer.description, reads) }
            }
        }
        try await eventually("the reader to wait for more") { connection.socket.readiness.hasWaiter(for: .read) }
        accepted.close()
        let (received, reads) = try await pending.value
        #expect(received == "partial")
        #expect(reads.last == 0 && reads.dropLast().allSatisfy { $0 > 0 })
        #expect(try await connection.read(timeout: .seconds(5)) == nil, "EOF stays EOF")
        connection.close()
        listener.close()
    }

    @Test func dataAndCloseArrivingTogetherStillEndWithEOF() async throws {
        // The reader waits while the peer sends and closes at once, so one readiness edge can
        // carry both the data and the FIN; the read after the data must still see the EOF.
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        for round in 0..<200 {
            let connection = try await TCPConnection.connect(host: "127.0.0.1", port: listener.port)
            let accepted = try await listener.accept(timeout: .seconds(5))
            let reader = Task {
                var buffer = ByteBuffer()
                while try await connection.read(into: &buffer, timeout: .seconds(5)) > 0 {}
                return buffer.description
            }
            try await letTimePass(.microseconds(round % 4 * 100), because: .stagger)
            try await accepted.write(ByteBuffer(string: "last words"))
            accepted.close()
            #expect(try await reader.value == "last words", "round \(round)")
            connection.close()
        }
        listener.close()
    }

    @Test func peerResetIsTypedError() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        try await connection.write(ByteBuffer(string: "unread"))
        try await eventually("the bytes in the peer's receive queue") { try unreadBytes(accepted) == 6 }
        // Closing with unread data in the receive queue makes the kernel send RST instead of FIN.
        accepted.close()
        await #expect {
            _ = try await connection.read(timeout: .seconds(5))
        } throws: { error in
            guard let error = error as? TransportError, error.code == .connectionReset, let code = error.errno else { return false }
            return error.operation == "read" && code == ECONNRESET
        }
        connection.close()
        listener.close()
    }

    @Test func connectRefused() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let port = listener.port
        listener.close()
        await #expect(throws: TransportError.connectionRefused(address: "127.0.0.1:\(port)")) {
            _ = try await TCPConnection.connect(host: "127.0.0.1", port: port, timeout: .seconds(5))
        }
    }

    @Test func connectToARefusingAddressIsTypedError() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let address = listener.localAddress
        listener.close()
        await #expect(throws: TransportError.connectionRefused(address: address.description)) {
            _ = try await TCPConnection.connect(to: address, timeout: .seconds(5))
        }
    }

    @Test func connectTimesOutWhenTheAcceptQueueIsFull() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0, backlog: 0)
        var queued: [TCPConnection] = []
        var outcome: Error?
        var elapsed = 0.0
        // The listener never accepts: once its queue is full the kernel drops further SYNs, so a
        // connect neither succeeds nor is refused until it times out.
        for _ in 0..<16 {
            let start = now()
            do {
                queued.append(try await TCPConnection.connect(host: "127.0.0.1", port: listener.port, timeout: .milliseconds(300)))
            } catch {
                outcome = error
                elapsed = now() - start
                break
            }
        }
        #expect(outcome as? TransportError == .timedOut(operation: "connect", address: "127.0.0.1:\(listener.port)"))
        // The upper bound is generous: parallel test suites can hold both cooperative threads for seconds.
        #expect(elapsed >= 0.29 && elapsed < 20, "waited \(elapsed) s for a 0.3 s timeout")
        #expect(queued.count >= 1, "the queue took some connections before it was full")
        for connection in queued { connection.close() }
        listener.close()
    }

    @Test func cancellingAPendingReadLeavesTheConnectionUsable() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        let pending = Task { try await connection.read(timeout: .seconds(30)) }
        try await eventually("the read to wait") { connection.socket.readiness.hasWaiter(for: .read) }
        let start = now()
        pending.cancel()
        await #expect(throws: CancellationError.self) { _ = try await pending.value }
        #expect(now() - start < 20, "prompt, not after the 30 s read timeout")
        try await accepted.write(ByteBuffer(string: "still here"))
        #expect(try await connection.read(exactly: 10).description == "still here")
        connection.close()
        accepted.close()
        listener.close()
    }

    @Test func readTimeoutLeavesTheConnectionUsable() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        let start = now()
        await #expect(throws: TransportError.timedOut(operation: "read", address: connection.remoteAddress.description)) {
            _ = try await connection.read(timeout: .milliseconds(100))
        }
        let elapsed = now() - start
        #expect(elapsed >= 0.099 && elapsed < 20, "waited \(elapsed) s for a 0.1 s timeout")
        try await accepted.write(ByteBuffer(string: "late"))
        #expect(try await connection.read(exactly: 4).description == "late")
        connection.close()
        accepted.close()
        listener.close()
    }

    @Test func closeFailsAPendingReadPromptly() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        let pending = Task { try await connection.read(timeout: .seconds(30)) }
        try await eventually("the read to wait") { connection.socket.readiness.hasWaiter(for: .read) }
        let start = now()
        connection.close()
        await #expect(throws: TransportError.closed(operation: "read")) { _ = try await pending.value }
        #expect(now() - start < 20, "prompt, not after the 30 s read timeout")
        await #expect(throws: TransportError.closed(operation: "write")) {
            try await connection.write(ByteBuffer(string: "x"))
        }
        #expect(try await accepted.read(timeout: .seconds(5)) == nil, "the peer sees the close")
        accepted.close()
        listener.close()
    }

    @Test func closingTheListenerFailsAPendingAccept() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let pending = Task { try await listener.accept() }
        try await eventually("the accept to wait") { listener.socket.readiness.hasWaiter(for: .read) }
        listener.close()
        await #expect(throws: TransportError.closed(operation: "accept")) { _ = try await pending.value }
    }

    @Test func writingToAClosedPeerIsTypedErrorNotSIGPIPE() async throws {
        let (listener, connection, accepted) = try await loopbackPair()
        accepted.close()
        try await eventually("the peer's FIN") { connection.socket.readiness.peerHungUp }
        // The first write succeeds locally and draws an RST; a later one fails with EPIPE/ECONNRESET.
        await #expect {
            for _ in 0..<100 {
                try await connection.write(ByteBuffer(bytes: pattern(count: 4096)), timeout: .seconds(5))
                try await letTimePass(.milliseconds(5), because: .retryDelay)
            }
        } throws: { error in
            guard let error = error as? TransportError, error.code == .connectionReset, let code = error.errno else { return false }
            return error.operation == "write" && (code == EPIPE || code == ECONNRESET)
        }
        connection.close()
        listener.close()
    }

    @Test func bindingAPortInUseIsTypedError() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        await #expect(throws: TransportError.system(operation: "bind", address: "127.0.0.1:\(listener.port)", errno: EADDRINUSE)) {
            _ = try await TCPListener.bind(host: "127.0.0.1", port: listener.port)
        }
        listener.close()
    }

    @Test func unresolvableHost() async throws {
        await #expect {
            _ = try await TCPConnection.connect(host: "no-such-host.invalid", port: 80, timeout: .seconds(10))
        } throws: { error in
            guard let error = error as? TransportError, error.code == .unresolvable else { return false }
            return error.address == "no-such-host.invalid"
        }
    }

    @Test func errorsDescribeOperationAddressAndErrno() {
        let error = TransportError.connectionReset(operation: "write", address: "127.0.0.1:6379", errno: EPIPE)
        #expect(error.description == "write 127.0.0.1:6379: connection closed by peer: Broken pipe")
        #expect(TransportError.connectionRefused(address: "[::1]:1").description == "connect to [::1]:1 refused: Connection refused")
    }
}

/// Bytes waiting in `connection`'s receive queue, unread.
private func unreadBytes(_ connection: TCPConnection) throws -> Int32 {
    try connection.socket.withDescriptor(operation: "ioctl") { fd in
        var count: Int32 = 0
        _ = ioctl(fd, UInt(FIONREAD), &count)
        return count
    }
}
