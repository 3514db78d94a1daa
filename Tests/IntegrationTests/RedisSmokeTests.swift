import Bytes
import Testing
import TestSupport

@Suite(.requires(.redis)) struct RedisSmokeTests {
    @Test func pingOverRawSocketAnswersPong() async throws {
        let connection = try await TestServer.redis.connect()
        defer { connection.close() }
        try await connection.write(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"), timeout: testPatience)
        let reply = try await connection.read(exactly: 7)
        #expect(reply == ByteBuffer(string: "+PONG\r\n"))
    }
}
