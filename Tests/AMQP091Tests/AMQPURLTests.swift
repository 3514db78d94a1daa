import AMQP091
import Testing

@Suite struct AMQPURLTests {
    @Test func fullURL() throws {
        let url = try AMQPURL(parsing: "amqp://app:s3cret@rabbit.local:5673/orders")
        #expect(url == AMQPURL(host: "rabbit.local", port: 5673, user: "app", password: "s3cret", virtualHost: "orders"))
    }

    @Test func defaults() throws {
        #expect(try AMQPURL(parsing: "amqp://") == AMQPURL())
        #expect(try AMQPURL(parsing: "amqp://guest:guest@127.0.0.1:5672/") == AMQPURL(host: "127.0.0.1"))
        #expect(try AMQPURL(parsing: "AMQP://h").virtualHost == "/")
    }

    @Test func percentDecoding() throws {
        let url = try AMQPURL(parsing: "amqp://us%40er:p%3Ass%2Fw@h/%2Fprod%20eu")
        #expect(url.user == "us@er")
        #expect(url.password == "p:ss/w")
        #expect(url.virtualHost == "/prod eu")
        #expect(try AMQPURL(parsing: "amqp://h/%2f").virtualHost == "/")
        #expect(try AMQPURL(parsing: "amqp://h/caf%C3%A9").virtualHost == "café")
    }

    @Test func ipv6Host() throws {
        let url = try AMQPURL(parsing: "amqp://[::1]:5673")
        #expect(url.host == "::1" && url.port == 5673)
    }

    @Test func errors() {
        #expect(throws: AMQPURL.ParseError.unsupportedScheme("amqps")) { try AMQPURL(parsing: "amqps://h") }
        #expect(throws: AMQPURL.ParseError.unsupportedScheme("localhost:5672")) { try AMQPURL(parsing: "localhost:5672") }
        #expect(throws: AMQPURL.ParseError.invalidPort("x")) { try AMQPURL(parsing: "amqp://h:x/") }
        #expect(throws: AMQPURL.ParseError.invalidPort("70000")) { try AMQPURL(parsing: "amqp://h:70000") }
        #expect(throws: AMQPURL.ParseError.invalidPercentEncoding(offset: 9)) { try AMQPURL(parsing: "amqp://h/%zz") }
        #expect(throws: AMQPURL.ParseError.invalidPercentEncoding(offset: 9)) { try AMQPURL(parsing: "amqp://h/%ff") }
    }

    /// Services log a bad RABBITMQ_URLS entry's error: the password must not be in it.
    @Test func errorsMaskThePassword() {
        #expect(throws: AMQPURL.ParseError.unsupportedScheme("app:***@rabbit:5672")) { try AMQPURL(parsing: "app:s3cret@rabbit:5672") }
        for url in ["app:s3cret@rabbit", "amqps://app:s3cret@rabbit", "amqp://app:s3cret@rabbit:x", "amqp://app:s3cret@[::1", "amqp:/app:s3cret@rabbit"] {
            do {
                _ = try AMQPURL(parsing: url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(!error.description.contains("s3cret"), "\(error)")
            }
        }
    }
}
