import Services
import Testing

@Suite struct IdempotencyRecordTests {
    @Test func storedFormRoundTrips() {
        let record = IdempotencyRecord(state: .inFlight, token: "t-1", fingerprint: "00ff")
        #expect(record.stored == "inflight|t-1|00ff")
        #expect(record.claimPrefix == "inflight|t-1|")
        #expect(IdempotencyRecord(stored: record.stored + "|1700000000000") == IdempotencyRecord(state: .inFlight, token: "t-1", fingerprint: "00ff", inFlightUntil: 1_700_000_000_000))
        let accepted = IdempotencyRecord(state: .accepted, token: "t-1", fingerprint: "00ff")
        #expect(IdempotencyRecord(stored: accepted.stored) == accepted)
        #expect(IdempotencyRecord(stored: accepted.stored + "|42")?.inFlightUntil == 42)
    }

    /// Records written before claims carried their hold read as given up.
    @Test func anInFlightRecordWithoutUntilReadsAsGivenUp() {
        #expect(IdempotencyRecord(stored: "inflight|t|f")?.isAbandoned == true)
        #expect(IdempotencyRecord(stored: "inflight|t|f")?.isStale(at: 0) == true)
    }

    @Test func flagsSayAbandonedAndTookOverAndKeepTheClaimTime() throws {
        let record = try #require(IdempotencyRecord(stored: "inflight|t|f|5000|ra"))
        #expect(record.isAbandoned && record.tookOver && record.inFlightUntil == 5000)
        #expect(record.isStale(at: 0), "abandoned: stale before its until")
        let live = try #require(IdempotencyRecord(stored: "inflight|t|f|5000|r"))
        #expect(!live.isStale(at: 4999) && live.isStale(at: 5000))
        #expect(IdempotencyRecord(stored: "accepted|t|f|5000|r")?.isStale(at: 10_000) == false, "an accepted record is never stale")
    }

    @Test(arguments: ["", "1", "inflight|t", "done|t|f", "inflight|t|f|soon", "accepted|t|f|later", "inflight|t|f|1|x"])
    func rejectsValuesItDidNotWrite(stored: String) {
        #expect(IdempotencyRecord(stored: stored) == nil)
    }

    @Test func fingerprintIsFNV1a64() {
        // Published FNV-1a 64 test vectors.
        #expect(IdempotencyRecord.fingerprint(of: []) == "cbf29ce484222325")
        #expect(IdempotencyRecord.fingerprint(of: Array("a".utf8)) == "af63dc4c8601ec8c")
        #expect(IdempotencyRecord.fingerprint(of: Array("foobar".utf8)) == "85944171f73967e8")
    }

    @Test func anExistingRecordKeyedByOrderIDIsADuplicate() {
        for state in [IdempotencyRecord.State.inFlight, .accepted] {
            let record = IdempotencyRecord(state: state, token: "t", fingerprint: "f")
            #expect(record.answer(toFingerprint: "other", keyedByHeader: false, orderID: "o") == .duplicate)
            #expect(record.answer(toFingerprint: "f", keyedByHeader: false, orderID: "o") == .duplicate)
        }
    }

    @Test func headerKeyedRecordsFollowTheIdempotencyKeyDraft() {
        let inFlight = IdempotencyRecord(state: .inFlight, token: "t", fingerprint: "f")
        let accepted = IdempotencyRecord(state: .accepted, token: "t", fingerprint: "f")
        #expect(inFlight.answer(toFingerprint: "g", keyedByHeader: true, orderID: "o") == .payloadMismatch)
        #expect(accepted.answer(toFingerprint: "g", keyedByHeader: true, orderID: "o") == .payloadMismatch)
        #expect(inFlight.answer(toFingerprint: "f", keyedByHeader: true, orderID: "o") == .inFlight)
        #expect(accepted.answer(toFingerprint: "f", keyedByHeader: true, orderID: "o") == .accepted(orderID: "o", replayed: true))
    }

    @Test func outcomesCarryTheSeedsStatusesAndTexts() {
        #expect(GatewayOutcome.accepted(orderID: "o-1", replayed: false).status == 202)
        #expect(GatewayOutcome.accepted(orderID: "o-1", replayed: false).text == "Order received: o-1")
        #expect(GatewayOutcome.invalidJSON.status == 400 && GatewayOutcome.invalidJSON.text == "Invalid JSON")
        #expect(GatewayOutcome.invalidFields(field: "qty").text == "Missing or invalid fields")
        #expect(GatewayOutcome.methodNotAllowed.status == 405 && GatewayOutcome.methodNotAllowed.text == "Method not allowed")
        #expect(GatewayOutcome.duplicate.status == 409 && GatewayOutcome.duplicate.text == "Duplicate order")
        #expect(GatewayOutcome.payloadMismatch.status == 422)
        #expect(GatewayOutcome.unavailable(reason: "nack").status == 503)
        #expect(GatewayOutcome.invalidIdempotencyKey.status == 400 && GatewayOutcome.invalidIdempotencyKey.text.hasPrefix("Invalid Idempotency-Key"))
    }

    /// Numbers as numbers, booleans as booleans, keys sorted: the same bytes every time.
    @Test func outcomesAsJSONAreTypedAndCanonical() {
        func text(_ outcome: GatewayOutcome) -> String { String(decoding: outcome.json, as: UTF8.self) }
        #expect(text(.accepted(orderID: "o-1", replayed: true)) == #"{"message":"Order received: o-1","order_id":"o-1","replayed":true,"status":202}"#)
        #expect(text(.accepted(orderID: "o-1", replayed: false)) == #"{"message":"Order received: o-1","order_id":"o-1","status":202}"#)
        #expect(text(.invalidFields(field: "qty")) == #"{"field":"qty","message":"Missing or invalid fields","status":400}"#)
        #expect(text(.unavailable(reason: "gateway overloaded")) == #"{"message":"Service unavailable, retry later","reason":"gateway overloaded","status":503}"#)
    }
}
