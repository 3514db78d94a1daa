#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Bytes
import Foundation
@testable import HTTPServer
import Synchronization
import Testing
import TestSupport
import Transport

/// The connection limit, health checks beyond it, and accepting when the process is out of
/// descriptors, over real loopback sockets.
@Suite struct HTTPServerAdmissionTests {
    @Test(arguments: [
        (1024, 768), (20_000, 18_750), (65_536, 61_440), (1_048_576, 983_040), (300, 150), (1, 1),
    ] as [(Int, Int)])
    func theDefaultLimitLeavesDescriptorsForTheRestOfTheProcess(descriptors: Int, connections: Int) {
        #expect(HTTPDescriptorBudget.connectionLimit(descriptorLimit: descriptors) == connections)
    }

    @Test func withoutAConfiguredLimitTheServerDerivesItFromTheDescriptorLimit() async throws {
        let server = try await TestServer()
        #expect(server.server.connectionLimit == HTTPDescriptorBudget.connectionLimit(descriptorLimit: HTTPDescriptorBudget.openFileLimit))
        let limited = try await TestServer { $0.maxConnections = 7 }
        #expect(limited.server.connectionLimit == 7)
        await server.stop()
        await limited.stop()
    }

    /// At its limit the server still answers health checks, once per connection, and refuses
    /// everything else with 503 and Retry-After, without reading bodies.
    @Test func healthChecksAreAnsweredAtTheConnectionLimit() async throws {
        let reports = ServerReports()
        let server = try await TestServer {
            $0.maxConnections = 1
            $0.healthCheckPaths = ["/livez"]
            $0.log = reports.log
        }
        let holder = try await HTTPTestClient(port: server.port)
        try await holder.send("GET /hello/1 HTTP/1.1\r\nHost: t\r\n\r\n")
        var pending: [UInt8] = []
        #expect(try await holder.response(&pending)?.status == 200)

        for method in ["GET", "HEAD"] {
            let probe = try await HTTPTestClient(port: server.port)
            try await probe.send("\(method) /livez HTTP/1.1\r\nHost: t\r\n\r\n")
            var bytes: [UInt8] = []
            let alive = try #require(try await probe.response(&bytes, toHead: method == "HEAD"))
            #expect(alive.status == 200)
            #expect(alive.header("Connection") == "close")
            #expect(try await probe.isClosedByServer())
        }
        for request in ["GET /hello/2 HTTP/1.1\r\nHost: t\r\n\r\n",
                        "POST /livez HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n",
                        "GET /livez HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"] {
            let other = try await HTTPTestClient(port: server.port)
            try await other.send(request)
            var bytes: [UInt8] = []
            let refused = try #require(try await other.response(&bytes))
            #expect(refused.status == 503, "\(request)")
            #expect(refused.header("Retry-After") == "1")
        }
        // One that sends nothing gets the 503 once its time is up.
        let silent = try await HTTPTestClient(port: server.port)
        var silence: [UInt8] = []
        #expect(try await silent.response(&silence)?.status == 503)

        #expect(reports.named("connection limit reached").count == 1)
        #expect(reports.named("connection limit reached").first?.fields["limit"] == "1")
        holder.close()
        await server.stop()
    }

    /// Out of descriptors, the server cannot accept; it reports it, frees its spare descriptor
    /// to answer the waiting connection 503, backs off, and serves again once descriptors are
    /// free. Run in a child process, whose descriptor limit the test lowers.
    @Test func outOfDescriptorsTheWaitingConnectionIsAnsweredAndTheFailureReported() async {
        await #expect(processExitsWith: .success) {
            do {
                try await runOutOfDescriptors()
            } catch {
                Issue.record("descriptor exhaustion: \(error)")
                exit(EXIT_FAILURE)
            }
        }
    }
}

/// The body of the descriptor exhaustion test, in the child process: exits with a failure
/// status, saying why on stderr, when an expectation does not hold.
private func runOutOfDescriptors() async throws {
    func require(_ condition: Bool, _ what: String) {
        guard !condition else { return }
        Issue.record("descriptor exhaustion: \(what)")
        exit(EXIT_FAILURE)
    }
    let reports = ServerReports()
    var router = HTTPRouter()
    router.get("/hello") { _ in .text("hello") }
    let server = try await HTTPServer.bind(configuration: .init(host: "127.0.0.1", port: 0, maxConnections: 1000, log: reports.log),
                                           router: router)
    let running = Task { await server.run() }

    // The waits below sleep through Dispatch, which opens its timer descriptors on first use and
    // traps (SIGILL) when it cannot: have them open before the descriptors run out. A sleep of the
    // runtime itself, since its timer is what must be set up.
    try await Task.sleep(for: .milliseconds(1))
    // Leave the process one free descriptor, for the client's socket.
    let inUse = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    var limit = rlimit()
    require(getrlimit(HTTPDescriptorBudget.openFileResource, &limit) == 0, "getrlimit")
    limit.rlim_cur = rlim_t(inUse + 32)
    require(setrlimit(HTTPDescriptorBudget.openFileResource, &limit) == 0, "setrlimit")
    var fillers: [Int32] = []
    while case let fd = open("/dev/null", O_RDONLY | O_CLOEXEC), fd >= 0 { fillers.append(fd) }
    _ = close(fillers.removeLast())

    let client = try await TCPConnection.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
    try await client.write(ByteBuffer(string: "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), timeout: .seconds(5))
    var answer = ByteBuffer()
    while try await client.read(into: &answer, timeout: .seconds(10)) > 0 {}
    require(answer.description.hasPrefix("HTTP/1.1 503 Service Unavailable"), "answer \(answer.description.debugDescription)")
    require(answer.description.contains("Retry-After: 1"), "no Retry-After")
    client.close()
    let failure = try await reports.first("accept failed")
    require(failure.fields["answered_from_spare"] == "1", "reports \(reports.all)")
    require(failure.fields["error"]?.contains("errno \(EMFILE)") == true, "error \(failure)")
    require(failure.fields["retry_in_ms"] == "5", "first backoff \(failure)")

    // Descriptors free again: served, and the end of the failures reported.
    for fd in fillers { _ = close(fd) }
    let served = try await TCPConnection.connect(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
    try await served.write(ByteBuffer(string: "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), timeout: .seconds(5))
    var reply = ByteBuffer()
    while try await served.read(into: &reply, timeout: .seconds(10)) > 0 {}
    require(reply.description.hasPrefix("HTTP/1.1 200 OK"), "after: \(reply.description.debugDescription)")
    require(try await reports.first("accepting again").fields["failures"] == "1", "no report of accepting again: \(reports.all)")
    served.close()
    await server.shutdown(gracePeriod: .seconds(1))
    await running.value
}
