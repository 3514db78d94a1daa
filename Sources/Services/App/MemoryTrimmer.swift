import Dispatch
import Glibc

import Transport

/// Gives the C allocator's free memory back to the system at an interval (glibc's
/// `malloc_trim`). After a burst (thousands of requests held through a hung dependency) glibc
/// keeps most of the freed memory in its arenas, so each fault left the gateway's RSS a few MiB
/// higher than before; trimmed, it returns to about its idle size. `import Glibc` does not
/// declare `malloc_trim`, so it is looked up with `dlsym`; on another C library it is absent and
/// nothing runs.
enum MemoryTrimmer {
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    private static let mallocTrim: MallocTrim? = {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, "malloc_trim") else { return nil }
        return unsafeBitCast(address, to: MallocTrim.self)
    }()

    /// Trims every `interval` until `stop` is raised or the task is cancelled. The call walks the
    /// arenas and can take a few milliseconds, so it runs on a Dispatch queue, never on an event
    /// loop or the cooperative pool.
    static func run(every interval: Duration, until stop: StopSignal, on loops: EventLoopGroup) async {
        guard mallocTrim != nil else { return }
        while !stop.isRaised, !Task.isCancelled {
            await stop.sleep(for: interval, on: loops)
            DispatchQueue.global(qos: .utility).async { trimNow() }
        }
    }

    /// Trims once, on the calling thread; false where the C library has no `malloc_trim`.
    @discardableResult
    static func trimNow() -> Bool {
        guard let trim = mallocTrim else { return false }
        _ = trim(0)
        return true
    }
}
