import Foundation

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

    /// True when `body` is an array (a batch) rather than a single document.
    static func isBatch(_ body: [UInt8]) -> Bool {
        body.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D } == UInt8(ascii: "[")
    }

    /// Decodes a single document or a non-empty batch of them.
    /// - Throws: the decoder's error, or `EmptyBatch` for `[]`.
    static func decode<Document: Decodable>(_ body: [UInt8], as type: Document.Type) throws -> [Document] {
        let decoder = JSONDecoder()
        guard isBatch(body) else { return [try decoder.decode(Document.self, from: Data(body))] }
        let documents = try decoder.decode([Document].self, from: Data(body))
        guard !documents.isEmpty else { throw EmptyBatch() }
        return documents
    }

    /// A batch with no documents, which no producer sends.
    struct EmptyBatch: Error {}
}
