import Bytes

/// What one server-side WebSocket connection should do next, decided from the bytes received
/// and the application's requests, without doing any I/O itself.
///
/// Lifecycle (RFC 6455 §7): open → closing (this side sent a close and waits for the peer's) →
/// closed. A ping is answered with a pong carrying its payload. A close from the peer is echoed
/// with its code, and then the server closes the TCP connection, as §7.1.1 asks of servers. A
/// protocol violation is answered with a close frame carrying the violation's code, then the
/// connection is closed. After this side has sent a close, it sends nothing more, and data that
/// still arrives is dropped.
struct WebSocketConnectionStateMachine: Sendable {
    enum Action: Equatable {
        /// Read more bytes (with the idle timeout; the closing timeout once `isClosing`).
        case read
        /// Hand a message to the application.
        case deliver(WebSocketMessage)
        /// Write these bytes (a pong), then ask again.
        case write(ByteBuffer)
        /// Write this close frame, then close the TCP connection.
        case writeAndClose(ByteBuffer)
        /// Close the TCP connection.
        case close
    }

    private enum State {
        case open
        /// This side sent a close frame and waits for the peer's.
        case closeSent
        case closed
    }

    private var decoder: WebSocketFrameDecoder
    private var assembler = WebSocketMessageAssembler()
    private var state = State.open
    private var peerClosedStream = false

    /// How the connection ended, once it has: the status of the peer's close frame (code 1005
    /// when it had none), the code of the violation this side closed with, or 1006 when the
    /// stream ended without a close frame.
    private(set) var closeStatus: WebSocketCloseStatus?

    init(limits: WebSocketLimits = WebSocketLimits()) {
        decoder = WebSocketFrameDecoder(limits: limits)
    }

    /// Whether this side has sent a close and waits for the peer's: reads then wait at most the
    /// closing timeout.
    var isClosing: Bool {
        if case .closeSent = state { return true }
        return false
    }

    /// Whether messages may still be sent: neither side has started the closing handshake.
    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// Hands over received bytes.
    mutating func received(_ bytes: ByteBuffer) {
        decoder.feed(bytes)
    }

    /// The peer closed its sending side (read returned 0).
    mutating func receivedEndOfStream() {
        peerClosedStream = true
    }

    /// The frame that sends `message`, or nil once the closing handshake has started.
    func send(_ message: WebSocketMessage) -> ByteBuffer? {
        guard case .open = state else { return nil }
        let frame = switch message {
        case .text(let text): WebSocketFrame(opcode: .text, payload: ByteBuffer(string: text))
        case .binary(let bytes): WebSocketFrame(opcode: .binary, payload: bytes)
        }
        return Self.encode(frame)
    }

    /// The frame that pings the peer with `payload` (at most 125 bytes), or nil once closing.
    func ping(_ payload: ByteBuffer = ByteBuffer()) -> ByteBuffer? {
        guard case .open = state else { return nil }
        precondition(payload.readableBytes <= WebSocketFrame.maxControlPayload, "ping payload over 125 bytes")
        return Self.encode(WebSocketFrame(opcode: .ping, payload: payload))
    }

    /// Starts the closing handshake: the close frame to write, or nil when it has already
    /// started. Keep reading until the action is `.close`.
    mutating func close(_ status: WebSocketCloseStatus) -> ByteBuffer? {
        guard case .open = state else { return nil }
        state = .closeSent
        return Self.encode(WebSocketFrame(opcode: .close, payload: status.payload))
    }

    /// The next thing to do.
    mutating func nextAction() -> Action {
        while true {
            if case .closed = state { return .close }
            let frame: WebSocketFrame?
            do {
                frame = try decoder.next()
            } catch {
                return closeAfterViolation(error)
            }
            guard let frame else {
                guard peerClosedStream else { return .read }
                state = .closed
                closeStatus = closeStatus ?? WebSocketCloseStatus(code: .abnormalClosure)
                return .close
            }
            switch frame.opcode {
            case .ping:
                guard case .open = state else { continue }
                return .write(Self.encode(WebSocketFrame(opcode: .pong, payload: frame.payload)))
            case .pong:
                // Unsolicited pongs are heartbeats; answers to our pings need no action either.
                continue
            case .close:
                return closeAfterPeerClose(frame.payload)
            case .text, .binary, .continuation:
                guard let message = assembler.append(frame), case .open = state else { continue }
                return .deliver(message)
            }
        }
    }

    private mutating func closeAfterPeerClose(_ payload: ByteBuffer) -> Action {
        let status = WebSocketCloseStatus(checkedPayload: payload)
        closeStatus = status.code == nil ? WebSocketCloseStatus(code: .noStatusReceived) : status
        let echo = !isClosing
        state = .closed
        guard echo else { return .close }
        return .writeAndClose(Self.encode(WebSocketFrame(opcode: .close, payload: WebSocketCloseStatus(code: status.code).payload)))
    }

    private mutating func closeAfterViolation(_ error: WebSocketError) -> Action {
        let status = WebSocketCloseStatus(code: error.closeCode, reason: error.closeReason)
        closeStatus = status
        let sendClose = !isClosing
        state = .closed
        guard sendClose else { return .close }
        return .writeAndClose(Self.encode(WebSocketFrame(opcode: .close, payload: status.payload)))
    }

    /// A frame this side builds, which is always encodable.
    private static func encode(_ frame: WebSocketFrame) -> ByteBuffer {
        do {
            return try WebSocketFrameEncoder.encoded(frame)
        } catch {
            preconditionFailure("unencodable frame: \(error)")
        }
    }
}
