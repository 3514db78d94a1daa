import Glibc

/// Runs `body` on a new detached OS thread (not one of Swift's cooperative pool).
/// - Throws: `TransportError.system` with operation `pthread_create` and its error code.
func startThread(_ body: @escaping @Sendable () -> Void) throws(TransportError) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, box.toOpaque())
    guard result == 0 else {
        box.release()
        throw .system(operation: "pthread_create", address: nil, errno: result)
    }
    pthread_detach(thread)
}
