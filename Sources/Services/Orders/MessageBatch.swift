import JSON

/// The body format of the pipeline's messages: one JSON object, or a JSON array of them when a
/// producer batches. Batching shares the broker's per-message cost among the documents of a
/// burst; a lone document stays a plain object, as consumers of the seed expect.
enum MessageBatch {
    /// One document as itself, several as an array.
    static func body(_ documents: [[UInt8]]) -> [UInt8] {
        guard documents.count != 1 else { return documents[0] }
        var writer = JSONWriter(capacity: documents.reduce(2) { $0 + $1.count + 1 })
        writer.beginArray()
        for document in documents { writer.raw(document) }
        writer.endArray()
        return writer.bytes
    }
}

extension MessageBatch {
    /// The order ids a message names, as far as it can be read (an order or event object, or an
    /// array of them): for the dead-letter headers and log line of a message that is otherwise
    /// malformed. Empty when not even that much is JSON.
    static func orderIDs(in body: [UInt8]) -> [String] {
        guard let fields = try? OrderReader.readMessage(body) else { return [] }
        return fields.compactMap { fields in
            guard case .value(let id) = fields.id, !id.isEmpty else { return nil }
            return id
        }
    }
}
