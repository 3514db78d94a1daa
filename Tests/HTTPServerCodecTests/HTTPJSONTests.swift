import Bytes
import HTTPServer
import Testing

/// JSON bodies in and out, and the errors that say what was wrong where.
@Suite struct HTTPJSONTests {
    struct Order: Codable, Equatable {
        var id: String
        var items: [Item]
    }

    struct Item: Codable, Equatable {
        var sku: String
        var qty: Int
        var kind: Kind = .goods
    }

    enum Kind: String, Codable {
        case goods
    }

    static func request(body: String) throws -> HTTPRequest {
        var parser = HTTPRequestParser()
        parser.feed(ByteBuffer(string: "POST /orders HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .head(let head) = try parser.next() else { throw HTTPParserError(.invalidRequestLine, offset: 0) }
        return HTTPRequest(head: head, body: ByteBuffer(string: body))
    }

    @Test func roundTrip() throws {
        let order = Order(id: "o-1", items: [Item(sku: "a", qty: 2)])
        let response = try HTTPResponse.json(order, status: 201)
        #expect(response.status == 201)
        #expect(response.headers.contains { $0.name == "Content-Type" && $0.value == "application/json" })
        guard case .bytes(let body) = response.body else {
            Issue.record("expected a body in full")
            return
        }
        #expect(try Self.request(body: String(decoding: body.readableBytesView, as: UTF8.self)).decodeJSON(Order.self) == order)
    }

    @Test(arguments: [
        ("{\"id\":", HTTPJSONError.Reason.malformed, ""),
        ("{\"items\":[]}", .missingKey("id"), ""),
        ("{\"id\":\"o\",\"items\":[{\"sku\":\"a\"}]}", .missingKey("qty"), "items[0]"),
        ("{\"id\":\"o\",\"items\":[{\"sku\":\"a\",\"qty\":\"2\"}]}", .typeMismatch, "items[0].qty"),
        ("{\"id\":null,\"items\":[]}", .missingValue, "id"),
        ("{\"id\":\"o\",\"items\":[{\"sku\":\"a\",\"qty\":1,\"kind\":\"b\"}]}", .invalidValue, "items[0].kind"),
    ])
    func decodingErrorsSayWhatAndWhere(body: String, reason: HTTPJSONError.Reason, path: String) throws {
        let request = try Self.request(body: body)
        do {
            let order = try request.decodeJSON(Order.self)
            Issue.record("decoded \(order)")
        } catch {
            #expect(error.reason == reason)
            #expect(error.path == path)
            #expect(!error.detail.isEmpty)
        }
    }

    @Test func unencodableValueSaysWhere() {
        do {
            let response = try HTTPResponse.json(["ratio": Double.infinity])
            Issue.record("encoded \(response.body)")
        } catch {
            #expect(error.reason == .unencodable)
            #expect(error.path == "ratio")
        }
    }
}
