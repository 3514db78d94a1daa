import Testing
import TestSupport

@Suite struct TCPProbeTests {
    @Test func acceptsWhenSomethingListens() async throws {
        let listener = try #require(LoopbackSocket(listening: true))
        defer { listener.close() }
        #expect(await TCPProbe.canConnect(host: "127.0.0.1", port: listener.port))
    }

    @Test func refusesWhenNothingListens() async throws {
        // A port just bound and released has nobody accepting on it.
        let bound = try #require(LoopbackSocket(listening: false))
        bound.close()
        #expect(await TCPProbe.canConnect(host: "127.0.0.1", port: bound.port) == false)
    }
}
