/// The runner's modes: each reads a vector file and returns one JSON result object per vector.
/// `main` prints them; the tests compare them with the expected files.
enum ConformanceModes {
    /// Every mode, with what it reads and writes.
    static let modes: [(name: String, help: String)] = [
        ("resp", #"RESP2 replies given as {"id","hex"} lines -> decoded values"#),
        ("resp-encode", #"commands given as {"id","args":[hex...]} lines -> {"id","hex"}"#),
        ("amqp", #"AMQP 0-9-1 frame streams given as {"id","hex"} lines -> decoded frames"#),
        ("amqp-encode", #"AMQP 0-9-1 frames given as {"id","frames"} lines -> {"id","hex"}"#),
        ("http", #"HTTP/1.1 request streams given as {"id","hex"} lines -> parsed requests"#),
        ("ws", #"WebSocket client frame streams given as {"id","hex"} lines -> frames and messages"#),
    ]

    /// The modes that decode a byte stream and so take `--feed`.
    static let decodingModes: Set = ["resp", "amqp", "http", "ws"]

    /// Runs `mode` with its arguments (the file first).
    static func run(_ mode: String, _ arguments: [String]) throws(ConformanceFailure) -> [[String: Any]] {
        switch mode {
        case "http": try HTTPConformance.run(arguments)
        case "resp": try RESPConformance.decode(arguments)
        case "resp-encode": try RESPConformance.encode(arguments)
        case "amqp": try AMQPConformance.decode(arguments: arguments)
        case "amqp-encode": try AMQPConformance.encode(arguments: arguments)
        case "ws": try WebSocketConformance.decode(arguments)
        default: throw .usage("unknown mode '\(mode)': expected \(modes.map(\.name).joined(separator: ", "))")
        }
    }
}
