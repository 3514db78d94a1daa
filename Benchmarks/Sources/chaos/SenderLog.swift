import Foundation

/// The notification sender's own account of what it sent: the default sender logs one JSON line,
/// `{"msg":"notification sent","order_id":...}`, per send, before the notifier records the send
/// in Redis. Counting these lines sees a send whose record never happened (a notifier killed,
/// or Redis gone, between send and record), which the `sends` field in Redis cannot.
enum SenderLog {
    /// Sends per order id in the log at `path` (every notifier incarnation appends to it) from
    /// byte `offset` on (where the scenario began), for the ids in `ids`. Lines that are not
    /// JSON, such as a crash message, are skipped.
    static func sends(in path: String, from offset: UInt64, ids: Set<String>) throws -> [String: Int] {
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? file.close() }
        try file.seek(toOffset: offset)
        let text = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
        var sends: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.contains(#""msg":"notification sent""#) {
            // Fields are typed (numbers, booleans): read the line as any JSON object.
            guard let fields = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  fields["msg"] as? String == "notification sent", let id = fields["order_id"] as? String, ids.contains(id) else { continue }
            sends[id, default: 0] += 1
        }
        return sends
    }
}
