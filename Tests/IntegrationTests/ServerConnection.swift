import TestSupport
import Transport

extension TestServer {
    /// Opens a TCP connection to the server named by the environment.
    func connect() async throws -> TCPConnection {
        let endpoint = try endpoint()
        return try await TCPConnection.connect(host: endpoint.host, port: endpoint.port, timeout: testPatience)
    }
}
