import Bytes
import Testing

@Suite struct PercentEncodingTests {
    @Test func strictDecodingDecodesEscapesInEitherCase() throws {
        #expect(try PercentEncoding.decode("a%2Fb%2fc") == "a/b/c")
        #expect(try PercentEncoding.decode("caf%C3%A9") == "café")
        #expect(try PercentEncoding.decode("a+b") == "a+b")
        #expect(try PercentEncoding.decode("a+b", plusAsSpace: true) == "a b")
        #expect(try PercentEncoding.decode("") == "")
    }

    @Test func strictDecodingReportsWhereAnEscapeIsMalformed() {
        #expect(throws: PercentEncoding.DecodingError(offset: 3)) { try PercentEncoding.decode("abc%2") }
        #expect(throws: PercentEncoding.DecodingError(offset: 1)) { try PercentEncoding.decode("x%zz") }
        #expect(throws: PercentEncoding.DecodingError(offset: 0)) { try PercentEncoding.decode("%") }
    }

    @Test func strictDecodingRefusesBytesThatAreNotUTF8() {
        #expect(throws: PercentEncoding.DecodingError(offset: 2)) { try PercentEncoding.decode("ok%FF") }
    }

    @Test func lenientDecodingKeepsMalformedEscapesAndRepairsUTF8() {
        #expect(PercentEncoding.decodeLeniently("50%+off", plusAsSpace: true) == "50% off")
        #expect(PercentEncoding.decodeLeniently("%zz%41") == "%zzA")
        #expect(PercentEncoding.decodeLeniently("%FF") == "\u{FFFD}")
    }
}
