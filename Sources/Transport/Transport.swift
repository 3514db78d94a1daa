/// Non-blocking TCP sockets on an epoll event loop, with an async/await surface.
///
/// ```swift
/// let connection = try await TCPConnection.connect(host: "localhost", port: 6379, timeout: .seconds(5))
/// try await connection.write(ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
/// var reply = ByteBuffer()
/// let count = try await connection.read(into: &reply, timeout: .seconds(1)) // 0 = peer closed
/// connection.close()
///
/// let listener = try await TCPListener.bind(host: "0.0.0.0", port: 0)   // listener.port = chosen port
/// let peer = try await listener.accept()
/// ```
///
/// Reads, writes, accepts and connects are attempted directly in the calling task; only when the
/// kernel answers EAGAIN does the task suspend until its `EventLoop` (one thread in `epoll_wait`,
/// sockets registered edge-triggered once) reports readiness. Every wait can time out and is
/// cancelled with its task. `EventLoopGroup.shared` runs one loop per core; a task started with
/// `Task(executorPreference: connection.eventLoop)` runs on that loop's thread and resumes there
/// without a thread hop.
