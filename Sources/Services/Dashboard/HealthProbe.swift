import Bytes
import HTTPClient

/// Asks each service's `/readyz` how it is, for the dashboard's health panel: one kept-alive
/// client per target, every probe bounded by `timeout`, all at once.
final class HealthProbe: Sendable {
    /// A service to probe, by the name the page shows.
    struct Target: Sendable, Equatable {
        var name: String
        var url: String
    }

    private let targets: [(target: Target, client: HTTPClient?, endpoint: HTTPEndpoint?)]
    private let timeout: Duration

    init(targets: [Target], timeout: Duration = .milliseconds(800)) {
        self.timeout = timeout
        self.targets = targets.map { target in
            let endpoint = try? HTTPEndpoint(url: target.url)
            let configuration = HTTPClientConfiguration(connectTimeout: timeout, writeTimeout: timeout, readTimeout: timeout,
                                                        requestTimeout: timeout, maxIdleConnections: 1)
            return (target, endpoint.map { HTTPClient(endpoint: $0, configuration: configuration) }, endpoint)
        }
    }

    /// Every target's health, in the order given.
    func probe() async -> [ServiceHealth] {
        await withTaskGroup(of: (Int, ServiceHealth).self) { group in
            for (index, entry) in targets.enumerated() {
                group.addTask {
                    guard let client = entry.client, let endpoint = entry.endpoint else {
                        return (index, ServiceHealth(name: entry.target.name, status: .down))
                    }
                    let start = ContinuousClock.now
                    do {
                        let response = try await client.execute(HTTPClientRequest(method: "GET", target: endpoint.target))
                        let elapsed = start.duration(to: .now)
                        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                        return (index, ServiceHealth(name: entry.target.name, status: response.status == 200 ? .ready : .notReady,
                                                     milliseconds: milliseconds))
                    } catch {
                        return (index, ServiceHealth(name: entry.target.name, status: .down))
                    }
                }
            }
            var results = [ServiceHealth?](repeating: nil, count: targets.count)
            for await (index, health) in group { results[index] = health }
            return results.compactMap { $0 }
        }
    }
}
