import Bytes

/// What one server connection should do next, decided from the bytes received and the
/// responses sent, without doing any I/O itself.
///
/// Requests are handled one at a time: a pipelined request waits in the parser until the
/// response to the one before it is sent, which keeps responses in request order. Bodies are
/// read in full before the request is dispatched, so nothing is left unread when the next
/// request is parsed.
struct HTTPConnectionStateMachine {
    enum Action {
        /// Read more bytes; apply the timeout of `readPhase`.
        case read
        /// The client sent `Expect: 100-continue`: answer 100 (then `continueAccepted()`) or a
        /// final response and close.
        case expectContinue(HTTPRequestHead)
        /// Run the handler and send its response, then call `responseSent(keepAlive:)`.
        case dispatch(HTTPRequest)
        /// Send an error response with this status and close (the framing of the rest of the
        /// stream is unknown); `version` is the request's, when its request line was read.
        case reject(status: HTTPStatus, message: String, version: HTTPVersion?)
        /// Close the connection.
        case close
    }

    /// Which wait a read is: it decides the timeout.
    enum ReadPhase: Equatable {
        /// Between requests (keep-alive idle).
        case idle
        /// Inside a request head (slowloris protection).
        case head
        /// Inside a request body.
        case body
    }

    private enum State {
        case head
        case awaitingContinue(HTTPRequestHead)
        case body(HTTPRequestHead)
        case responding
        case closing
    }

    private var parser: HTTPRequestParser
    private var state = State.head
    private var body = ByteBuffer()
    private var peerClosed = false
    /// A connection over the server's limit reads heads only: one with a body is refused (503)
    /// before its body is read.
    private let refusesBodies: Bool
    /// Shared, so releasing the parser's storage allocates nothing.
    private static let noBytes = ByteBuffer()

    init(limits: HTTPParserLimits, refusesBodies: Bool = false) {
        parser = HTTPRequestParser(limits: limits)
        self.refusesBodies = refusesBodies
    }

    /// The kind of wait the next read is.
    var readPhase: ReadPhase {
        switch state {
        case .head: parser.isIdle ? .idle : .head
        case .body, .awaitingContinue: .body
        case .responding, .closing: .idle
        }
    }

    /// The version of the request being received, once its request line is read: error
    /// responses to it use that version.
    var requestVersion: HTTPVersion? {
        switch state {
        case .awaitingContinue(let head), .body(let head): head.version
        case .head: parser.versionOfHeadInProgress
        case .responding, .closing: nil
        }
    }

    /// Hands over received bytes.
    mutating func received(_ bytes: ByteBuffer) {
        parser.feed(bytes)
    }

    /// The peer closed its sending side (read returned 0).
    mutating func receivedEndOfStream() {
        peerClosed = true
    }

    /// The 100 Continue was sent; the body will follow.
    mutating func continueAccepted() {
        guard case .awaitingContinue(let head) = state else { preconditionFailure("no expectation pending") }
        state = .body(head)
    }

    /// The response to the dispatched request was sent completely.
    mutating func responseSent(keepAlive: Bool) {
        guard case .responding = state else { preconditionFailure("no response pending") }
        state = keepAlive ? .head : .closing
    }

    /// The connection switches protocols after the response just sent (101): no more HTTP is
    /// read; returns the bytes received after the request, which belong to the new protocol.
    mutating func switchProtocols() -> ByteBuffer {
        guard case .responding = state else { preconditionFailure("no response pending") }
        state = .closing
        return parser.takeBufferedBytes()
    }

    /// The next thing to do.
    mutating func nextAction() -> Action {
        while true {
            switch state {
            case .responding:
                preconditionFailure("nextAction() while a response is pending")
            case .closing:
                return .close
            case .awaitingContinue(let head):
                return .expectContinue(head)
            case .head, .body:
                break
            }
            let part: HTTPRequestPart?
            do {
                part = try parser.next()
            } catch {
                let version = requestVersion
                state = .closing
                return .reject(status: error.status, message: error.message, version: version)
            }
            switch part {
            case .head(let head):
                body = ByteBuffer()
                if refusesBodies && head.framing != .none {
                    state = .closing
                    return .reject(status: .serviceUnavailable, message: "too many connections", version: head.version)
                }
                if head.expectsContinue && head.framing != .none {
                    state = .awaitingContinue(head)
                } else {
                    state = .body(head)
                }
            case .body(let bytes):
                // A body that arrived in one piece is kept as the received slice, without copying.
                if body.readableBytes == 0 { body = bytes } else { body.writeBuffer(bytes) }
            case .end(let trailers):
                guard case .body(let head) = state else { preconditionFailure("end without head") }
                state = .responding
                let request = HTTPRequest(head: head, body: body, trailers: trailers)
                body = ByteBuffer()
                return .dispatch(request)
            case nil:
                if peerClosed {
                    state = .closing
                    return .close
                }
                if parser.isIdle {
                    // The parser still references the storage of the last read (it adopts what
                    // it is fed); swapping in an empty buffer frees it, so a connection waiting
                    // for its next request holds no read buffer.
                    parser.feed(Self.noBytes)
                }
                return .read
            }
        }
    }
}
