import Bytes
import Testing

@Suite struct Base64Tests {
    /// RFC 4648 §10.
    static let rfcVectors = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func rfc4648Vectors() throws {
        for (plain, encoded) in Self.rfcVectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(try Base64.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test func everyByteValueRoundTrips() throws {
        let bytes = (0...255).map(UInt8.init)
        for length in [254, 255, 256] {
            let text = Base64.encode(bytes.prefix(length))
            #expect(text.utf8.count == (length + 2) / 3 * 4)
            #expect(try Base64.decode(text) == Array(bytes.prefix(length)))
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
    }

    @Test func webSocketKeyDecodesToSixteenBytes() throws {
        #expect(try Base64.decode("dGhlIHNhbXBsZSBub25jZQ==") == Array("the sample nonce".utf8))
    }

    @Test(arguments: [
        ("Zg=", 3),          // not a whole group
        ("Zg", 2),
        ("Z", 1),
        ("Zm9v!A==", 4),      // outside the alphabet
        ("Zm9v\nZg==", 4),    // no line breaks
        ("Zm-v", 2),          // the URL-safe alphabet is another encoding
        ("Zm_v", 2),
        ("Z===", 1),          // at most two padding characters
        ("====", 0),
        ("Zg==Zm8=", 2),      // padding only in the last group
        ("Zm=v", 3),          // a digit after padding
        ("Zh==", 1),          // bits set in the padding: not the canonical spelling of "f"
        ("Zm9=", 2),
        (" Zm8", 0),
    ])
    func strictDecodingReportsTheOffendingCharacter(text: String, offset: Int) {
        #expect(throws: Base64.DecodingError(offset: offset)) { try Base64.decode(text) }
    }
}
