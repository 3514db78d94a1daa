import Foundation
import Synchronization

/// Starts `process`, one start at a time in the test process. Foundation's `Process.run()` on
/// Linux is not safe to call from two threads at once: a test run crashed inside it (a bad
/// pointer in its memcpy) while another test's `Process.run()` was reading the process's open
/// descriptors. A lock rather than an actor: it is held only for the start, which does not
/// suspend.
public func launch(_ process: Process) throws {
    try processLaunches.withLock { _ in try process.run() }
}

private let processLaunches = Mutex<Void>(())
