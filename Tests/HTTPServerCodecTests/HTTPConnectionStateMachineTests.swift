@testable import Bytes
@testable import HTTPServer
import Testing

/// The connection logic driven by hand, without sockets.
@Suite struct HTTPConnectionStateMachineTests {
    /// What the machine asked for, in comparable form.
    enum Step: Equatable {
        case read, close
        case expectContinue(String)
        case dispatch(String, body: String)
        case reject(Int, version: String?)
    }

    /// Feeds `chunks` one by one, answering every dispatch with a response that keeps the
    /// connection open, and records the actions; the peer closes after the last chunk.
    static func run(_ chunks: [ArraySlice<UInt8>], acceptContinue: Bool = true) -> [Step] {
        var machine = HTTPConnectionStateMachine(limits: HTTPParserLimits())
        var steps: [Step] = []
        var pending = chunks[...]
        while true {
            switch machine.nextAction() {
            case .read:
                if steps.last != .read { steps.append(.read) }
                if let chunk = pending.popFirst() {
                    machine.received(ByteBuffer(bytes: chunk))
                } else {
                    machine.receivedEndOfStream()
                }
            case .expectContinue(let head):
                steps.append(.expectContinue(head.target))
                guard acceptContinue else { return steps }
                machine.continueAccepted()
            case .dispatch(let request):
                steps.append(.dispatch(request.head.target, body: String(decoding: request.body.readableBytesView, as: UTF8.self)))
                machine.responseSent(keepAlive: request.head.keepAlive)
            case .reject(let status, _, let version):
                steps.append(.reject(status.code, version: version?.description))
            case .close:
                steps.append(.close)
                return steps
            }
        }
    }

    static func everyWay(_ text: String) -> [[Step]] {
        let bytes = Array(text.utf8)
        var results = [run([bytes[...]])]
        for cut in 1..<bytes.count { results.append(run([bytes[..<cut], bytes[cut...]])) }
        return results
    }

    @Test func pipelinedRequestsAreDispatchedInOrder() {
        let text = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: h\r\n\r\n"
        let whole = Self.run([Array(text.utf8)[...]])
        #expect(whole == [.read, .dispatch("/a", body: ""), .dispatch("/b", body: "hi"), .dispatch("/c", body: ""), .read, .close])
        for steps in Self.everyWay(text) {
            #expect(steps.filter { if case .dispatch = $0 { true } else { false } } == [
                .dispatch("/a", body: ""), .dispatch("/b", body: "hi"), .dispatch("/c", body: ""),
            ])
            #expect(steps.last == .close)
        }
    }

    @Test func connectionCloseStopsAfterTheResponse() {
        let steps = Self.run([Array("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n".utf8)[...]])
        #expect(steps == [.read, .dispatch("/a", body: ""), .close])
    }

    @Test func expectContinueComesBeforeTheBody() {
        let head = Array("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8)
        let steps = Self.run([head[...], Array("abc".utf8)[...]])
        #expect(steps == [.read, .expectContinue("/x"), .read, .dispatch("/x", body: "abc"), .read, .close])
        let refused = Self.run([head[...]], acceptContinue: false)
        #expect(refused == [.read, .expectContinue("/x")])
    }

    @Test func malformedRequestIsRejectedThenClosed() {
        let steps = Self.run([Array("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nBad Header: x\r\n\r\n".utf8)[...]])
        #expect(steps == [.read, .dispatch("/a", body: ""), .reject(400, version: "1.1"), .close])
    }

    /// Error responses answer in the request's version once its request line was read.
    @Test(arguments: [
        ("GET / HTTP/1.0\r\nBad Header: x\r\n\r\n", 400, "1.0"),
        ("POST / HTTP/1.0\r\nContent-Length: 99999999999\r\n\r\n", 413, "1.0"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "1.1"),
        ("GET / HTTP/2.0\r\n\r\n", 505, nil),
        ("GET /\u{1} HTTP/1.0\r\n\r\n", 400, nil),
    ] as [(String, Int, String?)])
    func rejectionCarriesTheRequestVersion(text: String, status: Int, version: String?) {
        for steps in Self.everyWay(text) {
            #expect(steps.contains(.reject(status, version: version)))
        }
    }

    @Test func requestVersionIsKnownOnceTheRequestLineIsRead() {
        var machine = HTTPConnectionStateMachine(limits: HTTPParserLimits())
        machine.received(ByteBuffer(string: "GET / HTTP/1.0\r"))
        _ = machine.nextAction()
        #expect(machine.requestVersion == nil)
        machine.received(ByteBuffer(string: "\nConnection: keep"))
        _ = machine.nextAction()
        #expect(machine.requestVersion == .http1_0)
    }

    @Test func peerClosingMidRequestCloses() {
        let steps = Self.run([Array("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nabc".utf8)[...]])
        #expect(steps == [.read, .close])
    }

    @Test func readPhaseFollowsTheRequest() {
        var machine = HTTPConnectionStateMachine(limits: HTTPParserLimits())
        #expect(machine.readPhase == .idle)
        machine.received(ByteBuffer(string: "POST /a HTTP/1.1\r\nHo"))
        guard case .read = machine.nextAction() else {
            Issue.record("expected a read")
            return
        }
        #expect(machine.readPhase == .head)
        machine.received(ByteBuffer(string: "st: h\r\nContent-Length: 2\r\n\r\n"))
        guard case .read = machine.nextAction() else {
            Issue.record("expected a read")
            return
        }
        #expect(machine.readPhase == .body)
    }

    @Test func idleConnectionHoldsNoReadStorage() {
        var machine = HTTPConnectionStateMachine(limits: HTTPParserLimits())
        weak var storage: ByteStorage?
        do {
            var received = ByteBuffer(capacity: 16384)
            received.writeString("GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
            storage = received.storage
            machine.received(received)
            guard case .dispatch(let request) = machine.nextAction() else {
                Issue.record("expected a dispatch")
                return
            }
            #expect(request.head.target == "/a")
            machine.responseSent(keepAlive: true)
        }
        #expect(storage != nil, "the parser adopts the received bytes without copying")
        guard case .read = machine.nextAction() else {
            Issue.record("expected a read")
            return
        }
        #expect(machine.readPhase == .idle)
        #expect(storage == nil)
    }
}
