import Bytes
import Testing

@Suite struct URLCredentialsTests {
    @Test func passwordsAreMasked() {
        #expect(URLCredentials.redacted("redis://app:s3cret@cache:6379/0") == "redis://app:***@cache:6379/0")
        #expect(URLCredentials.redacted("redis://:s3cret@cache") == "redis://:***@cache")
        #expect(URLCredentials.redacted("amqp://guest:p@ss@rabbit/") == "amqp://guest:***@rabbit/")
        // Without a scheme separator the user information starts the text.
        #expect(URLCredentials.redacted("app:s3cret@cache:6379") == "app:***@cache:6379")
        #expect(URLCredentials.redacted("amqp:/app:s3cret@cache") == "amqp:***@cache")
    }

    @Test func aLoneTokenIsMaskedWhole() {
        #expect(URLCredentials.redacted("redis://s3cret@cache") == "redis://***@cache")
    }

    @Test func textWithoutCredentialsIsUnchanged() {
        #expect(URLCredentials.redacted("redis://cache:6379/0") == "redis://cache:6379/0")
        #expect(URLCredentials.redacted("localhost:5672") == "localhost:5672")
        #expect(URLCredentials.redacted("") == "")
    }
}
