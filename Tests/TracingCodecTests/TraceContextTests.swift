import Testing
@testable import Tracing

/// W3C Trace Context level 1: the specification's examples and the edge cases its test suite
/// checks, each written out here.
@Suite struct TraceContextTests {
    private static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    private static let spanID = "00f067aa0ba902b7"

    @Test func theSpecificationsExamples() throws {
        let sampled = try #require(SpanContext(traceparent: "00-\(Self.traceID)-\(Self.spanID)-01"))
        #expect(sampled.traceID.hexString == Self.traceID)
        #expect(sampled.spanID.hexString == Self.spanID)
        #expect(sampled.isSampled && sampled.isRemote)
        #expect(sampled.traceparent == "00-\(Self.traceID)-\(Self.spanID)-01")
        let unsampled = try #require(SpanContext(traceparent: "00-\(Self.traceID)-\(Self.spanID)-00"))
        #expect(!unsampled.isSampled)
        #expect(unsampled.traceparent == "00-\(Self.traceID)-\(Self.spanID)-00")
    }

    @Test func flagsAreReadAsBitsAndOnlySampledIsSent() throws {
        let context = try #require(SpanContext(traceparent: "00-\(Self.traceID)-\(Self.spanID)-09"))
        #expect(context.isSampled, "09 has the sampled bit with an undefined one")
        #expect(context.traceparent.hasSuffix("-01"), "undefined flags are sent as zero")
        #expect(SpanContext(traceparent: "00-\(Self.traceID)-\(Self.spanID)-fe")?.isSampled == false)
    }

    @Test func optionalWhitespaceAroundTheValueIsIgnored() {
        for value in [" 00-\(Self.traceID)-\(Self.spanID)-01", "\t00-\(Self.traceID)-\(Self.spanID)-01", "00-\(Self.traceID)-\(Self.spanID)-01 \t"] {
            #expect(SpanContext(traceparent: value)?.traceID.hexString == Self.traceID, "\(value.debugDescription)")
        }
    }

    @Test func malformedValuesAreIgnored() {
        let id = "12345678901234567890123456789012"
        let parent = "1234567890123456"
        let malformed = [
            "", "00", "00-\(id)-\(parent)",
            "00-\(id)-\(parent)-01.", "00-\(id)-\(parent)-01-what-the-future-will-be-like",     // 00 has exactly four fields
            "ff-\(id)-\(parent)-01",                                                           // version ff is invalid
            ".0-\(id)-\(parent)-01", "0.-\(id)-\(parent)-01", "0-\(id)-\(parent)-01", "000-\(id)-\(parent)-01",
            "00-00000000000000000000000000000000-\(parent)-01",                                // all-zero trace id
            "00-.2345678901234567890123456789012-\(parent)-01", "00-1234567890123456789012345678901.-\(parent)-01",
            "00-1234567890123456789012345678901-\(parent)-01", "00-123456789012345678901234567890123-\(parent)-01",
            "00-\(id)-0000000000000000-01",                                                    // all-zero parent id
            "00-\(id)-.234567890123456-01", "00-\(id)-123456789012345.-01",
            "00-\(id)-123456789012345-01", "00-\(id)-12345678901234567-01",
            "00-\(id)-\(parent)-.0", "00-\(id)-\(parent)-0.", "00-\(id)-\(parent)-1", "00-\(id)-\(parent)-001",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-\(parent)-01",                                // HEXDIGLC: lowercase only
            "00_\(id)_\(parent)_01",
            "cc-\(id)-\(parent)-01.what-the-future-will-be-like",                             // a later version continues with "-"
        ]
        for value in malformed {
            #expect(SpanContext(traceparent: value) == nil, "\(value.debugDescription)")
        }
    }

    @Test func laterVersionsAreReadAsFarAsVersion00Goes() throws {
        let id = "12345678901234567890123456789012"
        let parent = "1234567890123456"
        for value in ["cc-\(id)-\(parent)-01", "cc-\(id)-\(parent)-01-what-the-future-will-be-like"] {
            let context = try #require(SpanContext(traceparent: value), "\(value)")
            #expect(context.traceID.hexString == id && context.spanID.hexString == parent && context.isSampled)
            #expect(context.traceparent == "00-\(id)-\(parent)-01", "sent on as version 00")
        }
    }

    @Test func aRepeatedTraceparentIsIgnored() {
        let one = "00-12345678901234567890123456789011-1234567890123456-01"
        let two = "00-12345678901234567890123456789012-1234567890123456-01"
        #expect(SpanContext(traceparent: [one, two], tracestate: [String]()) == nil)
        #expect(SpanContext(traceparent: [String](), tracestate: ["foo=1"]) == nil, "tracestate alone is no parent")
        #expect(SpanContext(traceparent: [one], tracestate: [String]()) != nil)
    }

    @Test func tracestateTravelsWithTraceparentAndFailsAlone() throws {
        let parent = "00-12345678901234567890123456789012-1234567890123456-00"
        let context = try #require(SpanContext(traceparent: [parent], tracestate: ["foo=1,bar=2", "rojo=1,congo=2", "baz=3"]))
        #expect(context.tracestate == "foo=1,bar=2,rojo=1,congo=2,baz=3")
        let badState = try #require(SpanContext(traceparent: [parent], tracestate: ["foo=1,foo=2"]))
        #expect(badState.traceState.isEmpty, "a malformed tracestate is dropped, traceparent still holds")
        #expect(badState.tracestate == nil)
    }

    @Test func idsFormatAndParseAsLowercaseHex() throws {
        let trace = TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736)
        #expect(trace.hexString == Self.traceID)
        #expect(TraceID(hex: Self.traceID) == trace)
        #expect(TraceID(hex: Self.traceID.uppercased()) == nil)
        #expect(SpanID(0x00f0_67aa_0ba9_02b7).hexString == Self.spanID)
        #expect(SpanID(hex: "00f067aa0ba902b") == nil)
        var ids = Set<TraceID>()
        for _ in 0..<1000 { ids.insert(TraceID.random()) }
        #expect(ids.count == 1000 && !ids.contains(.invalid))
    }
}

@Suite struct TraceStateTests {
    @Test func membersParseWithOptionalWhitespaceAndEmptyMembers() throws {
        let state = try #require(TraceState(headerValues: ["foo=1 \t , \t bar=2, \t baz=3", "", " , ,"]))
        #expect(state.entries.map(\.key) == ["foo", "bar", "baz"])
        #expect(state["bar"] == "2")
        #expect(TraceState(headerValue: "")?.isEmpty == true, "an empty tracestate is accepted")
        #expect(TraceState(headerValue: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")?.headerValue == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    }

    @Test func everyAllowedCharacter() throws {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
        let value = String(decoding: Array(0x20...0x2B) + Array(0x2D...0x3C) + Array(0x3E...0x7E), as: UTF8.self)
        #expect(TraceState(headerValue: "\(key)=\(value)")?[key] == value)
        #expect(TraceState(headerValue: "\(key)@a-z0-9_-*/=\(value)")?["\(key)@a-z0-9_-*/"] == value)
    }

    @Test func invalidMembersDiscardTheWholeHeader() {
        let invalid = [
            "foo=1,foo=1", "foo=1,foo=2",                                   // duplicate keys
            "foo =1", "FOO=1", "foo.bar=1", "=1", "foo",                     // keys
            "foo@=1,bar=2", "@foo=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2",
            "foo=bar=baz", "foo=,bar=3", "foo=a\tb", "foo=é",               // values
            String(repeating: "z", count: 257) + "=1",                       // key too long
            String(repeating: "t", count: 242) + "@v=1", "t@" + String(repeating: "v", count: 15) + "=1",
            "foo=" + String(repeating: "x", count: 257),
        ]
        for text in invalid {
            #expect(TraceState(headerValue: text) == nil, "\(text.prefix(40))")
        }
        #expect(TraceState(headerValues: ["foo=1", "foo=1"]) == nil, "duplicates across fields")
    }

    @Test func limitsOfKeysAndMembers() {
        #expect(TraceState(headerValue: String(repeating: "z", count: 256) + "=1") != nil)
        #expect(TraceState(headerValue: String(repeating: "t", count: 241) + "@" + String(repeating: "v", count: 14) + "=1") != nil)
        let members = (1...32).map { "bar\($0)=\($0)" }
        #expect(TraceState(headerValues: [members.joined(separator: ",")])?.entries.count == 32)
        #expect(TraceState(headerValues: [members.joined(separator: ","), "bar33=33"]) == nil, "33 members")
    }

    @Test func updatingMovesTheKeyToTheFront() throws {
        let state = try #require(TraceState(headerValue: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"))
        let updated = try #require(state.setting("rojo", to: "00f067aa0ba902b8"))
        #expect(updated.headerValue == "rojo=00f067aa0ba902b8,congo=t61rcWkgMzE")
        #expect(state.setting("Bad", to: "x") == nil)
        #expect(state.removing("congo").headerValue == "rojo=00f067aa0ba902b7")
        let full = try #require(TraceState(headerValues: [(1...32).map { "k\($0)=\($0)" }.joined(separator: ",")]))
        let pushed = try #require(full.setting("new", to: "1"))
        #expect(pushed.entries.count == 32 && pushed.entries.first?.key == "new" && pushed["k32"] == nil)
    }

    @Test func longHeadersAreTruncatedByWholeEntries() throws {
        let long = "big=" + String(repeating: "x", count: 200)
        let small = (1...30).map { "k\($0)=\(String(repeating: "v", count: 14))" }
        let state = try #require(TraceState(headerValues: [([long] + small).joined(separator: ",")]))
        let header = try #require(state.headerValue)
        #expect(header.utf8.count <= 512)
        #expect(!header.contains("big="), "entries over 128 characters go first")
        #expect(header.hasPrefix("k1=") && !header.contains("k30="), "then entries from the right")
    }
}
