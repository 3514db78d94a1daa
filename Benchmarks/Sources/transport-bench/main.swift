import Bytes
import CommandLineOptions
import Glibc
import Synchronization
import Transport

/// Loopback echo benchmark: `connections` clients each send the 14-byte RESP `PING` and wait for
/// its echo, round after round, for `seconds`; prints round trips per second. This is the traffic
/// pattern of `redis-benchmark -t ping`, so the two figures compare event loops.
///
/// Usage: transport-bench [--seconds S] [--connections N] [--executor loop|global]
///   loop   (default): each connection's task prefers its event loop as executor, so readiness
///          resumes it on the loop thread without a hop;
///   global: tasks run on Swift's cooperative pool and the loop resumes them across threads.

let syntax = CommandSyntax(
    "transport-bench", summary: "loopback PING echo round trips per second, as redis-benchmark -t ping measures them",
    options: [
        .value("seconds", "S", default: "3", "how long to measure"),
        .value("connections", "N", default: "64", "client connections"),
        .value("executor", "loop|global", default: "loop", "loop: tasks prefer their socket's event loop; global: the cooperative pool"),
    ])

/// The run's settings, read from the command line.
struct Options {
    var seconds: Double
    var connections: Int
    var onLoop: Bool

    init(_ parsed: ParsedCommandLine) throws(CommandLineError) {
        seconds = try parsed.double("seconds")
        connections = try parsed.int("connections", in: 1...100_000)
        onLoop = try parsed.choice("executor", ["loop", "global"]) == "loop"
        guard seconds > 0 else { throw CommandLineError("--seconds takes a positive number") }
    }
}

/// Set once the measuring period is over; read by every client between round trips.
final class StopFlag: Sendable {
    private let stopped = Atomic(false)
    var isSet: Bool { stopped.load(ordering: .relaxed) }
    func set() { stopped.store(true, ordering: .relaxed) }
}

/// User plus system CPU time of this process: unlike throughput, CPU time per round trip hardly
/// depends on what else the machine is running.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return value(usage.ru_utime) + value(usage.ru_stime)
}

func seconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Runs `body` on `connection`'s loop when asked to, so its waits end without a thread hop.
func spawn<T: Sendable>(on connection: TCPConnection, onLoop: Bool, _ body: @escaping @Sendable () async throws -> T) -> Task<T, Error> {
    onLoop ? Task(executorPreference: connection.eventLoop, operation: body) : Task(operation: body)
}

func echo(_ connection: TCPConnection) async {
    var buffer = ByteBuffer(capacity: 4096)
    while let count = try? await connection.read(into: &buffer, maxBytes: 4096), count > 0 {
        guard (try? await connection.write(buffer)) != nil else { break }
        buffer.clear()
    }
    connection.close()
}

func pingPong(_ connection: TCPConnection, stop: StopFlag) async throws -> Int {
    let ping = ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")
    var reply = ByteBuffer(capacity: 4096)
    var roundTrips = 0
    while !stop.isSet {
        try await connection.write(ping)
        reply.clear()
        while reply.readableBytes < ping.readableBytes {
            if try await connection.read(into: &reply, maxBytes: 4096) == 0 { return roundTrips }
        }
        roundTrips += 1
    }
    return roundTrips
}

let options: Options
do { options = try Options(syntax.parseOrExit()) } catch { syntax.fail(error) }
SystemLimits.raiseOpenFileLimit()
let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
let server = Task {
    while let connection = try? await listener.accept() {
        _ = spawn(on: connection, onLoop: options.onLoop) { await echo(connection) }
    }
}

var clients: [TCPConnection] = []
for _ in 0..<options.connections {
    clients.append(try await TCPConnection.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(5)))
}
let stop = StopFlag()
let start = seconds()
let startCPU = cpuSeconds()
let runs = clients.map { connection in
    spawn(on: connection, onLoop: options.onLoop) { try await pingPong(connection, stop: stop) }
}
try await Task.sleep(for: .milliseconds(Int(options.seconds * 1000)))
stop.set()
var total = 0
for run in runs { total += try await run.value }
let elapsed = seconds() - start
let cpu = cpuSeconds() - startCPU
for connection in clients { connection.close() }
listener.close()
await server.value

let executor = options.onLoop ? "loop" : "global"
print("transport-bench: \(options.connections) connections, executor \(executor), \(total) round trips in \((elapsed * 100).rounded() / 100) s")
print("round_trips_per_second \(Int(Double(total) / elapsed))")
print("cpu_microseconds_per_round_trip \((cpu / Double(max(total, 1)) * 1e7).rounded() / 10)")
