import Bytes
import HTTPServer

/// `conformance http FILE [--feed whole|bytewise]`: parses each vector's bytes as a stream of
/// requests and prints the requests, how the stream ended, and on error the status, message and
/// offset. An error raised only after bytes beyond its offset were fed adds `late`, how many:
/// the parser must reject at the offending byte, so fed byte by byte it never appears.
enum HTTPConformance {
    static func run(_ arguments: [String]) throws(ConformanceFailure) -> [[String: Any]] {
        var results: [[String: Any]] = []
        guard let path = arguments.first else { throw .usage("http FILE [--feed whole|bytewise]") }
        let feed = try FeedMode(arguments: arguments)
        for (line, object) in try VectorIO.objects(inFile: path) {
            guard let id = object["id"] as? String else { throw .input(line: line, "field 'id' must be a string") }
            let bytes = try VectorIO.hexField(object, line: line)
            var result = parse(feed.chunks(of: bytes))
            result["id"] = id
            results.append(result)
        }
        return results
    }

    /// Feeds every chunk, draining the parser after each, and describes the outcome.
    static func parse(_ chunks: [ArraySlice<UInt8>]) -> [String: Any] {
        var parser = HTTPRequestParser()
        var requests: [[String: Any]] = []
        var current: [String: Any] = [:]
        var body: [UInt8] = []
        // Where the chunk being parsed starts in the stream.
        var chunkStart = 0
        do {
            for chunk in chunks {
                parser.feed(ByteBuffer(bytes: chunk))
                while let part = try parser.next() {
                    switch part {
                    case .head(let head):
                        current = [
                            "method": head.method.rawValue, "target": head.target, "version": head.version.description,
                            "headers": fields(head.headers), "keep_alive": head.keepAlive,
                        ]
                        body = []
                    case .body(let bytes):
                        body += bytes.readableBytesView
                    case .end(let trailers):
                        current["body"] = Hex.encode(body)
                        current["trailers"] = fields(trailers ?? HTTPHeaders())
                        requests.append(current)
                    }
                }
                chunkStart += chunk.count
            }
            return ["requests": requests, "end": parser.isIdle ? "complete" : "incomplete"]
        } catch {
            var result: [String: Any] = ["requests": requests, "end": "error", "status": error.status.code,
                                         "message": error.message, "offset": error.offset]
            if error.offset < chunkStart { result["late"] = chunkStart - error.offset }
            return result
        }
    }

    private static func fields(_ headers: HTTPHeaders) -> [[String]] {
        headers.map { [$0.name, $0.value] }
    }
}
