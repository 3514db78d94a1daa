import Foundation
import JSON
import Testing

@Suite struct JSONWriterTests {
    private func text(_ writer: JSONWriter) -> String { String(decoding: writer.bytes, as: UTF8.self) }

    @Test func nestedContainersAndScalars() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("s", "x")
        writer.field("i", -42)
        writer.field("u", UInt64.max)
        writer.field("q", quoting: Int64.min)
        writer.field("d", 1.5)
        writer.field("t", true)
        writer.nullField("n")
        writer.beginArray("a")
        writer.value("y")
        writer.value(7)
        writer.value(quoting: Int64(8))
        writer.value(0.25)
        writer.value(false)
        writer.null()
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.raw(Array("{\"r\":1}".utf8))
        writer.endArray()
        writer.beginObject("o")
        writer.rawField("r", Array("[]".utf8))
        writer.endObject()
        writer.endObject()
        #expect(text(writer) == #"{"s":"x","i":-42,"u":18446744073709551615,"q":"-9223372036854775808","d":1.5,"t":true,"n":null,"a":["y",7,"8",0.25,false,null,{},[],{"r":1}],"o":{"r":[]}}"#)
    }

    @Test func stringsAreEscapedAsRFC8259Requires() throws {
        var writer = JSONWriter()
        writer.value("quote\" backslash\\ newline\n tab\t cr\r nul\u{0} bell\u{7} unit\u{1F} é 🙂 /")
        #expect(text(writer) == #""quote\" backslash\\ newline\n tab\t cr\r nul\u0000 bell\u0007 unit\u001f é 🙂 /""#)
        let decoded = try JSONSerialization.jsonObject(with: Data(writer.bytes), options: [.fragmentsAllowed]) as? String
        #expect(decoded == "quote\" backslash\\ newline\n tab\t cr\r nul\u{0} bell\u{7} unit\u{1F} é 🙂 /")
    }

    @Test func integersAndDoublesReadBackExactly() throws {
        var writer = JSONWriter()
        writer.beginArray()
        let integers: [Int] = [0, 1, -1, 10, 99, 100, Int.max, Int.min]
        for value in integers { writer.value(value) }
        let doubles: [Double] = [0, -0.5, 1e-7, 5e20, 3.141592653589793, 1e308, -2.2250738585072014e-308]
        for value in doubles { writer.value(value) }
        writer.endArray()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [NSNumber])
        #expect(parsed.prefix(integers.count).map(\.int64Value) == integers.map(Int64.init))
        #expect(parsed.suffix(doubles.count).map(\.doubleValue) == doubles)
    }
}
