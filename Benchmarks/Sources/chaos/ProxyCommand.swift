import Bytes
import CommandLineOptions
import Dispatch
import Foundation
import Glibc
import Synchronization
import Transport

/// `chaos proxy`: a loopback TCP proxy that forwards to one target and, on SIGUSR1 (or every
/// `--cut-every-ms`), cuts every connection it carries mid-frame; SIGUSR2 toggles a stall in
/// which it holds the connections open but forwards nothing; SIGHUP toggles lost replies, in
/// which it forwards what clients send but drops what the server answers.
///
/// A cut forwards only the first half of the next chunk in flight before closing both sides, so
/// the peers see a frame that starts and never ends, not just a clean close between frames.
/// Lost replies end with a cut of every connection: the commands ran, their replies are gone,
/// and a client reading on would take later replies for earlier commands. Held past the client's
/// command timeout, this is a server that did the work and whose answer never came back.
struct ProxyCommand {
    var listenPort: Int
    var target: (host: String, port: Int)
    var cutEvery: Duration?

    init(_ options: ParsedCommandLine) throws(CommandLineError) {
        listenPort = try options.int("listen")
        target = try options.endpoint("target")
        cutEvery = options.optionalString("cut-every-ms") == nil ? nil : .milliseconds(try options.int("cut-every-ms"))
    }

    /// Shared by all pumps; a mutex because signal handlers and every pump touch it briefly.
    private final class Control: Sendable {
        private let state = Mutex<(cuts: Int, stalled: Bool, losingReplies: Bool)>((0, false, false))
        var cuts: Int { state.withLock { $0.cuts } }
        var stalled: Bool { state.withLock { $0.stalled } }
        var losingReplies: Bool { state.withLock { $0.losingReplies } }
        func cut() { state.withLock { $0.cuts += 1 } }
        func toggleStall() -> Bool { state.withLock { $0.stalled.toggle(); return $0.stalled } }
        /// Starts or ends lost replies; ending them cuts every connection.
        func toggleLostReplies() -> Bool {
            state.withLock { state in
                state.losingReplies.toggle()
                if !state.losingReplies { state.cuts += 1 }
                return state.losingReplies
            }
        }
    }

    func run() async throws -> Int32 {
        let control = Control()
        signal(SIGUSR1, SIG_IGN)
        signal(SIGUSR2, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        let cutSource = DispatchSource.makeSignalSource(signal: SIGUSR1)
        cutSource.setEventHandler {
            control.cut()
            log("cut #\(control.cuts)")
        }
        cutSource.resume()
        let stallSource = DispatchSource.makeSignalSource(signal: SIGUSR2)
        stallSource.setEventHandler { log(control.toggleStall() ? "stalled" : "resumed") }
        stallSource.resume()
        let repliesSource = DispatchSource.makeSignalSource(signal: SIGHUP)
        repliesSource.setEventHandler {
            log(control.toggleLostReplies() ? "losing replies" : "replies back; cut #\(control.cuts)")
        }
        repliesSource.resume()
        defer { cutSource.cancel(); stallSource.cancel(); repliesSource.cancel() }

        let listener = try await TCPListener.bind(host: "127.0.0.1", port: listenPort)
        log("listening on 127.0.0.1:\(listener.port), forwarding to \(target.host):\(target.port)")
        let target = target
        // Discarding: the accept loop never ends, so a plain group would keep every finished
        // connection's result for the life of the proxy.
        await withDiscardingTaskGroup { group in
            if let cutEvery {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: cutEvery)
                        control.cut()
                    }
                }
            }
            while true {
                guard let client = try? await listener.accept() else {
                    // Out of descriptors, say: back off instead of spinning.
                    try? await Task.sleep(for: .milliseconds(50))
                    continue
                }
                group.addTask {
                    guard let server = try? await TCPConnection.connect(host: target.host, port: target.port, timeout: .seconds(5)) else {
                        client.close()
                        return
                    }
                    let generation = control.cuts
                    await withDiscardingTaskGroup { pair in
                        pair.addTask { await Self.pump(from: client, to: server, replies: false, control: control, generation: generation) }
                        pair.addTask { await Self.pump(from: server, to: client, replies: true, control: control, generation: generation) }
                    }
                }
            }
        }
        return 0
    }

    /// Copies one direction until EOF, an error or a cut; a short read timeout lets an idle pump
    /// notice a cut or a stall. `replies`: this is the server-to-client direction, whose bytes are
    /// read and dropped while replies are being lost (so the server never blocks on them).
    private static func pump(from source: TCPConnection, to sink: TCPConnection, replies: Bool, control: Control, generation: Int) async {
        defer { source.close(); sink.close() }
        var buffer = ByteBuffer()
        while true {
            if control.cuts != generation { return }
            if control.stalled {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            buffer.clear()
            let count: Int
            do {
                count = try await source.read(into: &buffer, timeout: .milliseconds(100))
            } catch TransportError.Code.timedOut {
                continue
            } catch {
                return
            }
            if count == 0 { return }
            if replies, control.losingReplies { continue }
            if control.cuts != generation {
                if let half = buffer.readSlice(length: max(1, count / 2)) { try? await sink.write(half, timeout: .seconds(1)) }
                return
            }
            guard (try? await sink.write(buffer, timeout: .seconds(30))) != nil else { return }
        }
    }
}

/// Progress for the operator, on stderr so stdout stays for results.
func log(_ message: String) {
    FileHandle.standardError.write(Data("chaos: \(message)\n".utf8))
}
