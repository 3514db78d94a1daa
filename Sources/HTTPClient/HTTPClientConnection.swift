import Bytes
import Transport

/// One connection to the server, used by one request at a time (the client checks it out of
/// its idle list and back in), so it holds no state between requests beyond the socket.
final class HTTPClientConnection: Sendable {
    let tcp: TCPConnection
    let address: String

    /// Why a round trip failed, and whether the server had sent nothing yet (then a request on
    /// a reused connection is tried again on a new one: the server may have closed it while
    /// idle, before the request arrived).
    struct Failure: Error {
        let error: HTTPClientError
        let nothingReceived: Bool
    }

    init(tcp: TCPConnection, address: String) {
        self.tcp = tcp
        self.address = address
    }

    static func connect(host: String, port: Int, deadline: ContinuousClock.Instant, configuration: HTTPClientConfiguration,
                        group: EventLoopGroup) async throws(HTTPClientError) -> HTTPClientConnection {
        let address = "\(host):\(port)"
        let timeout = try stepTimeout(configuration.connectTimeout, deadline: deadline, phase: .connect, address: address)
        do {
            return HTTPClientConnection(tcp: try await TCPConnection.connect(host: host, port: port, timeout: timeout, on: group), address: address)
        } catch {
            throw map(error, phase: .connect, address: address) { .connectFailed(address: address, $0) }
        }
    }

    /// Writes `request` and reads the whole response.
    /// - Returns: the response, and whether the connection may carry another request.
    func roundTrip(_ request: ByteBuffer, isHEAD: Bool, deadline: ContinuousClock.Instant,
                   configuration: HTTPClientConfiguration) async throws(Failure) -> (HTTPClientResponse, reusable: Bool) {
        do {
            let timeout = try Self.stepTimeout(configuration.writeTimeout, deadline: deadline, phase: .write, address: address)
            try await tcp.write(request, timeout: timeout)
        } catch let error as HTTPClientError {
            throw Failure(error: error, nothingReceived: true)
        } catch {
            throw Failure(error: Self.map(error, phase: .write, address: address) { .connectionLost(address: address, $0) }, nothingReceived: true)
        }
        var parser = HTTPResponseParser(limits: configuration.limits)
        parser.isResponseToHEAD = isHEAD
        var head: HTTPResponseHead?
        var body = ByteBuffer()
        var received = 0
        var readBuffer = ByteBuffer()
        while true {
            do {
                while let part = try parser.next() {
                    switch part {
                    case .head(let responseHead): head = responseHead
                    case .body(let bytes): body.writeBuffer(bytes)
                    case .end(let trailers):
                        let response = HTTPClientResponse(head: head!, body: body, trailers: trailers)
                        return (response, head!.keepAlive && parser.bufferedBytes == 0)
                    }
                }
            } catch where error.reason == .unexpectedEndOfStream {
                throw Failure(error: .connectionLost(address: address, nil), nothingReceived: false)
            } catch {
                throw Failure(error: .malformedResponse(address: address, error), nothingReceived: false)
            }
            do {
                let timeout = try Self.stepTimeout(configuration.readTimeout, deadline: deadline, phase: .read, address: address)
                readBuffer.clear()
                let count = try await tcp.read(into: &readBuffer, timeout: timeout)
                if count == 0 {
                    parser.finish()
                } else {
                    received += count
                    parser.feed(readBuffer)
                }
            } catch let error as HTTPClientError {
                throw Failure(error: error, nothingReceived: received == 0)
            } catch {
                throw Failure(error: Self.map(error, phase: .read, address: address) { .connectionLost(address: address, $0) }, nothingReceived: received == 0)
            }
            if received == 0 && parser.isIdle {
                // Closed before a single byte of response: the request may never have arrived.
                throw Failure(error: .connectionLost(address: address, nil), nothingReceived: true)
            }
        }
    }

    func close() {
        tcp.close()
    }

    /// The timeout of one wait: its own limit, or what is left before the deadline if less.
    static func stepTimeout(_ limit: Duration, deadline: ContinuousClock.Instant, phase: HTTPClientError.Phase, address: String) throws(HTTPClientError) -> Duration {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { throw .timedOut(phase, address: address) }
        return min(limit, remaining)
    }

    /// A typed error for a failure of `phase`: timeouts and cancellation by their own cases,
    /// other transport errors through `wrap`.
    static func map(_ error: any Error, phase: HTTPClientError.Phase, address: String, wrap: (TransportError) -> HTTPClientError) -> HTTPClientError {
        switch error {
        case let error as HTTPClientError: return error
        case is CancellationError: return .cancelled
        case let error as TransportError where error.code == .timedOut: return .timedOut(phase, address: address)
        case let error as TransportError: return wrap(error)
        default: return wrap(TransportError.system(operation: phase.rawValue, address: address, errno: 0))
        }
    }
}
