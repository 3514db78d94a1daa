/// Read-only queries over the pipeline's Redis state.
public protocol PipelineReader: Sendable {
    func snapshot(sku: String?, orderID: String?) async throws -> DashboardSnapshot
    func status(orderID: String) async throws -> OrderStatus?
}
