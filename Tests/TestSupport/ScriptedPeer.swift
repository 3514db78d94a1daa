import Synchronization
import Transport

/// A scripted peer on a free loopback port, for what a real server never does on demand
/// (malformed, trickled, unsolicited or cut-off replies, silence): it accepts every connection
/// and runs `script` on it with the connection's number (0 for the first), closing it when the
/// script returns, until `stop()`. Protocol-specific fakes build their sessions on it.
public final class ScriptedPeer: Sendable {
    public typealias Script = @Sendable (_ connection: TCPConnection, _ number: Int) async throws -> Void

    public let listener: TCPListener
    private let accepted = Atomic<Int>(0)
    private let failedAccepts = Atomic<Int>(0)

    private init(listener: TCPListener) {
        self.listener = listener
    }

    public var port: Int { listener.port }

    /// Connections accepted so far.
    public var connections: Int { accepted.load(ordering: .relaxed) }

    /// What the peer saw, for failure messages.
    public var summary: String { "\(connections) connection(s) accepted, \(failedAccepts.load(ordering: .relaxed)) accept failure(s)" }

    /// Listens on a free loopback port and runs `script` for every connection until `stop()`.
    public static func start(_ script: @escaping Script) async throws -> ScriptedPeer {
        let peer = ScriptedPeer(listener: try await TCPListener.bind(host: "127.0.0.1", port: 0))
        // Owned by the peer: `stop()` closes the listener, which ends this loop.
        Task {
            while true {
                let connection: TCPConnection
                do {
                    connection = try await peer.listener.accept()
                } catch TransportError.Code.closed {
                    return
                } catch {
                    // A transient failure (out of descriptors under a parallel test run, say) must
                    // not end the listener: a client reconnecting would wait for it in vain.
                    peer.failedAccepts.add(1, ordering: .relaxed)
                    try? await letTimePass(.milliseconds(10), because: .retryDelay)
                    continue
                }
                let number = peer.accepted.add(1, ordering: .relaxed).oldValue
                // Owned by the connection, which the script's end or the client's closes.
                Task {
                    try? await script(connection, number)
                    connection.close()
                }
            }
        }
        return peer
    }

    /// Stops accepting; connections already accepted run their scripts to the end.
    public func stop() {
        listener.close()
    }
}
