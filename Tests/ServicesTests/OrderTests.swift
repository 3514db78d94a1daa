import Services
import Testing

@Suite struct OrderTests {
    private func parse(_ text: String) throws(OrderInputError) -> Order {
        try Order.parse(json: Array(text.utf8))
    }

    @Test func acceptsTheSeedsExampleOrder() throws {
        let order = try parse(#"{"id":"order-1","sku":"sku-123","qty":2}"#)
        #expect(order == Order(id: "order-1", sku: "sku-123", qty: 2))
    }

    @Test func keepsAnOptionalEmail() throws {
        let order = try parse(#"{"id":"a","sku":"b","qty":1,"email":"x@example.com"}"#)
        #expect(order.email == "x@example.com")
    }

    @Test(arguments: ["", "{", "not json", "[1,2]", "\"text\"", "42", #"{"id":"a","sku":"b","qty":1"#])
    func rejectsWhatIsNotAJSONObject(body: String) {
        #expect(throws: OrderInputError.invalidJSON) { try parse(body) }
    }

    @Test(arguments: [
        (#"{"sku":"b","qty":1}"#, "id"),
        (#"{"id":"","sku":"b","qty":1}"#, "id"),
        (#"{"id":"a","sku":"","qty":1}"#, "sku"),
        (#"{"id":"a","sku":"b","qty":0}"#, "qty"),
        (#"{"id":"a","sku":"b","qty":-3}"#, "qty"),
        (#"{"id":"a","sku":"b","qty":1.5}"#, "qty"),
        (#"{"id":"a","sku":"b","qty":"1"}"#, "qty"),
        (#"{"id":"a","sku":"b","qty":true}"#, "qty"),
        (#"{"id":"a","sku":"b","qty":99999999999999999999}"#, "qty"),
        (#"{"id":"a","sku":"b","qty":1000001}"#, "qty"),
        (#"{"id":7,"sku":"b","qty":1}"#, "id"),
        (#"{"id":"a\u0000b","sku":"b","qty":1}"#, "id"),
        (#"{"id":"a","sku":"b","qty":1,"email":"nobody"}"#, "email"),
    ])
    func rejectsMissingOrInvalidFields(body: String, field: String) {
        #expect(throws: OrderInputError.invalidField(field)) { try parse(body) }
    }

    @Test func enforcesLengthLimitsInBytes() {
        let long = String(repeating: "é", count: 65)  // 130 UTF-8 bytes
        #expect(throws: OrderInputError.invalidField("id")) { try parse(#"{"id":"\#(long)","sku":"b","qty":1}"#) }
        #expect(throws: OrderInputError.invalidField("sku")) { try parse(#"{"id":"a","sku":"\#(long)","qty":1}"#) }
    }

    @Test func canonicalJSONIsStableAndRoundTrips() throws {
        let a = try parse(#"{"qty":3,"sku":"s/1","id":"x"}"#)
        let b = try parse(#"{"id":"x","sku":"s/1","qty":3}"#)
        #expect(a.canonicalJSON == b.canonicalJSON)
        #expect(String(decoding: a.canonicalJSON, as: UTF8.self) == #"{"id":"x","qty":3,"sku":"s/1"}"#)
        #expect(try Order.parse(json: a.canonicalJSON) == a)
    }

    @Test(arguments: [
        #"{"id":"a","sku":"b","qty":1,}"#,
        #"{"id":"a","sku":"b","qty":01}"#,
        #"{"id":"a","sku":"b","qty":1} x"#,
        #"{"id":"a\x","sku":"b","qty":1}"#,
        #"{"id":"a\ud800","sku":"b","qty":1}"#,
        #"{"id":"a\udc00x","sku":"b","qty":1}"#,
        #"{"id":"a\u12","sku":"b","qty":1}"#,
        "{\"id\":\"a\tb\",\"sku\":\"b\",\"qty\":1}",
        #"{"id":"a","sku":"b","qty":1,"extra":[1,2,}"#,
        #"{"id":"a","sku":"b","qty":-}"#,
        #"{"id":"a","sku":"b","qty":1.}"#,
        #"{"id":"a","sku":"b","qty":tru}"#,
        #"{'id':"a","sku":"b","qty":1}"#,
    ])
    func rejectsEveryDepartureFromTheJSONGrammar(body: String) {
        #expect(throws: OrderInputError.invalidJSON) { try parse(body) }
    }

    @Test func rejectsInvalidUTF8() {
        var body = Array(#"{"id":"a","sku":"b","qty":1}"#.utf8)
        body[7] = 0xC3
        #expect(throws: OrderInputError.invalidJSON) { try Order.parse(json: body) }
    }

    @Test func rejectsNestingBeyondTheLimitInSkippedFields() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: OrderInputError.invalidJSON) { try parse(#"{"id":"a","sku":"b","qty":1,"x":\#(deep)}"#) }
        let shallow = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(throws: Never.self) { try parse(#"{"id":"a","sku":"b","qty":1,"x":\#(shallow)}"#) }
    }

    @Test func unescapesStringsAndSkipsUnknownMembers() throws {
        let order = try parse(#" { "extra" : {"a":[true,false,null,-1.5e3,"\""]}, "id" : "\u00e9\ud83d\ude00\/\\" , "sku":"s","qty": 7 , "email":null } "#)
        #expect(order == Order(id: "é😀/\\", sku: "s", qty: 7))
    }

    @Test func theLastOfARepeatedMemberCounts() throws {
        #expect(try parse(#"{"id":7,"id":"a","sku":"b","qty":1}"#).id == "a")
    }

    @Test(arguments: [#"{"id":"a","sku":"b","qty":2.0}"#, #"{"id":"a","sku":"b","qty":1e2}"#, #"{"id":"a","sku":"b","qty":null}"#, #"{"id":null,"sku":"b","qty":1}"#])
    func aQuantityIsAnIntegerLiteralAndRequiredFieldsAreNotNull(body: String) {
        #expect(throws: OrderInputError.self) { try parse(body) }
        #expect((try? parse(body)) == nil)
    }

    @Test func aFieldErrorIsReportedOnlyForAWellFormedDocument() {
        #expect(throws: OrderInputError.invalidJSON) { try parse(#"{"id":7,"sku":"b","qty":1"#) }
        #expect(throws: OrderInputError.invalidField("id")) { try parse(#"{"id":7,"sku":"b","qty":1}"#) }
    }
}
