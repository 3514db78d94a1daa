@testable import Services
import Testing
import TestSupport

@Suite struct OrderGatewayTests {
    let store = MemoryGatewayStore()
    let order = bytes(#"{"id":"o-1","sku":"sku-1","qty":2}"#)

    /// A gateway that answers a refused publish at once, unless `refusedRetry` says otherwise.
    func gateway(_ publisher: ScriptedPublisher, refusedRetry: Duration = .zero) -> OrderGateway {
        var configuration = OrderGateway.Configuration()
        configuration.refusedPublishRetry = refusedRetry
        return OrderGateway(store: store, publisher: publisher, configuration: configuration)
    }

    @Test func acceptsOnlyAfterTheConfirmAndPublishesTheCanonicalOrder() async {
        let publisher = ScriptedPublisher()
        let outcome = await gateway(publisher).submit(body: order, idempotencyKey: nil)
        #expect(outcome == .accepted(orderID: "o-1", replayed: false))
        #expect(publisher.sent.withLock { $0 } == [.init(body: bytes(#"{"id":"o-1","qty":2,"sku":"sku-1"}"#), routingKey: "orders", trace: .none)])
        #expect(store.records.withLock { $0["idem:order:o-1"]?.state } == .accepted)
        #expect(store.acceptedOrders.withLock { $0 } == ["o-1"])
    }

    @Test func aSecondOrderWithTheSameIDIsADuplicateAndNotPublished() async {
        let publisher = ScriptedPublisher()
        _ = await gateway(publisher).submit(body: order, idempotencyKey: nil)
        let again = await gateway(publisher).submit(body: bytes(#"{"id":"o-1","sku":"other","qty":9}"#), idempotencyKey: nil)
        #expect(again == .duplicate)
        #expect(publisher.sent.withLock { $0.count } == 1)
    }

    @Test(arguments: [PublishOutcome.nacked, .returned])
    func aRefusedPublishAnswers503AndReleasesTheClaim(failure: PublishOutcome) async {
        let publisher = ScriptedPublisher([failure])
        let first = await gateway(publisher).submit(body: order, idempotencyKey: nil)
        #expect(first.status == 503)
        #expect(store.records.withLock { $0.isEmpty })
        let other = await gateway(publisher).submit(body: bytes(#"{"id":"o-1","sku":"sku-1","qty":7}"#), idempotencyKey: nil)
        #expect(other == .accepted(orderID: "o-1", replayed: false), "the broker never had the first payload")
    }

    /// Regression: a RabbitMQ cluster nacks publishes to a quorum queue for seconds after the
    /// node of its leader dies; each was answered 503 (3,662 of 6,000 requests in the HA chaos
    /// run's leader kill) although the cluster could take them again within a second.
    @Test(arguments: [PublishOutcome.nacked, .returned])
    func aRefusedPublishIsPublishedAgainWithinItsWindow(failure: PublishOutcome) async {
        let publisher = ScriptedPublisher([failure, failure])
        let outcome = await gateway(publisher, refusedRetry: .seconds(30)).submit(body: order, idempotencyKey: nil)
        #expect(outcome == .accepted(orderID: "o-1", replayed: false))
        #expect(publisher.sent.withLock { $0.count } == 3)
        #expect(store.records.withLock { $0["idem:order:o-1"]?.state } == .accepted)
    }

    @Test func aPublishRefusedPastItsWindowAnswers503AndReleasesTheClaim() async {
        // 50 ms, then 100 ms more would pass the 120 ms window: two publishes.
        let publisher = ScriptedPublisher([.nacked, .nacked, .nacked, .nacked])
        let outcome = await gateway(publisher, refusedRetry: .milliseconds(120)).submit(body: order, idempotencyKey: nil)
        #expect(outcome.status == 503)
        #expect(publisher.sent.withLock { $0.count } == 2)
        #expect(store.records.withLock { $0.isEmpty })
    }

    @Test func aPublishThatCertainlyWasNotSentReleasesTheClaim() async {
        let publisher = ScriptedPublisher()
        publisher.failures.withLock { $0 = [PublishNotSent(reason: "no broker connection")] }
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-ns").status == 503)
        #expect(store.records.withLock { $0.isEmpty })
    }

    /// Regression: a 503 after a confirm timeout released the claim while the message might be
    /// queued, so a retry with another payload was answered 202 and the first payload decided.
    @Test(arguments: [nil, "k-unknown"])
    func aPublishOfUnknownOutcomeKeepsTheScopeForTheSamePayloadOnly(key: String?) async {
        for (run, publisher) in [ScriptedPublisher([.timedOut]), failingPublisher()].enumerated() {
            let id = "u-\(run)"
            let payload = bytes(#"{"id":"\#(id)","sku":"sku-1","qty":2}"#)
            let first = await gateway(publisher).submit(body: payload, idempotencyKey: key.map { "\($0)-\(run)" })
            #expect(first.status == 503, "\(first)")
            #expect(store.records.withLock { $0[PipelineKeys.unsharded.idempotency(orderID: id)]?.isAbandoned } == true, "held no longer, but kept")
            let other = await gateway(publisher).submit(body: bytes(#"{"id":"\#(id)","sku":"sku-1","qty":7}"#), idempotencyKey: key.map { "\($0)-\(run)" })
            #expect(other == (key == nil ? .duplicate : .payloadMismatch))
            #expect(await gateway(publisher).submit(body: payload, idempotencyKey: key.map { "\($0)-\(run)" }) == .accepted(orderID: id, replayed: false),
                    "the same payload takes the scope over and goes out again")
            #expect(publisher.sent.withLock { $0.map(\.body) } == Array(repeating: bytes(#"{"id":"\#(id)","qty":2,"sku":"sku-1"}"#), count: 2))
        }
    }

    func failingPublisher() -> ScriptedPublisher {
        struct ConnectionLost: Error {}
        let publisher = ScriptedPublisher()
        publisher.failures.withLock { $0 = [ConnectionLost()] }
        return publisher
    }

    /// Regression: when Redis refused the accept write after the broker's confirm, the in-flight
    /// claim lapsed and the same id with another payload got a fresh 202, although the order was
    /// decided with the first payload.
    @Test func afterALostAcceptRecordAnotherPayloadIsStillRefused() async {
        store.acceptFailures.withLock { $0 = .max }
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: nil) == .accepted(orderID: "o-1", replayed: false))
        store.now.withLock { $0 += 3_600_000 }
        let other = bytes(#"{"id":"o-1","sku":"sku-1","qty":7}"#)
        #expect(await gateway(publisher).submit(body: other, idempotencyKey: nil) == .duplicate)
        #expect(await gateway(publisher).submit(body: other, idempotencyKey: "k-other") == .duplicate)
        #expect(publisher.sent.withLock { $0.count } == 1)
    }

    /// The claim knows every order the pipeline has seen, even once its records have expired.
    @Test func anOrderSeenBeforeIsADuplicateAfterItsRecordsExpired() async {
        store.orders.withLock { _ = $0.insert("o-1") }
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: nil) == .duplicate)
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-late") == .duplicate)
        #expect(publisher.sent.withLock { $0.isEmpty })
    }

    @Test func redisDownAnswers503WithoutPublishing() async {
        store.failClaims.withLock { $0 = true }
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: nil).status == 503)
        #expect(publisher.sent.withLock { $0.isEmpty })
    }

    /// Regression: a claim written by Redis whose reply was lost stayed in flight, so the retry
    /// the 503 invites was answered 409 until the claim lapsed.
    @Test func aClaimWhoseReplyWasLostIsReleasedSoTheRetryIsAccepted() async {
        store.loseClaimReplies.withLock { $0 = true }
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-lost").status == 503)
        #expect(store.records.withLock { $0.isEmpty }, "both the key's and the order id's claims are given back")
        store.loseClaimReplies.withLock { $0 = false }
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-lost") == .accepted(orderID: "o-1", replayed: false))
        #expect(publisher.sent.withLock { $0.count } == 1)
    }

    @Test func idempotencyKeyReplaysTheAcceptanceAndRefusesAnotherPayload() async {
        let publisher = ScriptedPublisher()
        let first = await gateway(publisher).submit(body: order, idempotencyKey: "k-1")
        #expect(first == .accepted(orderID: "o-1", replayed: false))
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-1") == .accepted(orderID: "o-1", replayed: true))
        let other = bytes(#"{"id":"o-1","sku":"sku-1","qty":3}"#)
        #expect(await gateway(publisher).submit(body: other, idempotencyKey: "k-1") == .payloadMismatch)
        #expect(publisher.sent.withLock { $0.count } == 1)
    }

    @Test func aRequestStillInFlightUnderTheSameKeyIsAConflict() async {
        let record = IdempotencyRecord(state: .inFlight, token: "someone-else", fingerprint: IdempotencyRecord.fingerprint(of: bytes(#"{"id":"o-1","qty":2,"sku":"sku-1"}"#)),
                                       inFlightUntil: .max)
        store.records.withLock { $0["idem:key:k-2"] = record }
        #expect(await gateway(ScriptedPublisher()).submit(body: order, idempotencyKey: "k-2") == .inFlight)
    }

    @Test(arguments: ["", "has space", String(repeating: "k", count: 256)])
    func rejectsMalformedIdempotencyKeys(key: String) async {
        #expect(await gateway(ScriptedPublisher()).submit(body: order, idempotencyKey: key) == .invalidIdempotencyKey)
    }

    @Test func badBodiesNeverReachRedisOrTheBroker() async {
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: bytes("{oops"), idempotencyKey: nil) == .invalidJSON)
        #expect(await gateway(publisher).submit(body: bytes(#"{"id":"a","sku":"b","qty":0}"#), idempotencyKey: nil) == .invalidFields(field: "qty"))
        #expect(store.records.withLock { $0.isEmpty } && publisher.sent.withLock { $0.isEmpty })
    }

    @Test func aNewKeyForAnOrderIDAlreadyAcceptedIsADuplicate() async {
        let publisher = ScriptedPublisher()
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-1") == .accepted(orderID: "o-1", replayed: false))
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: "k-2") == .duplicate)
        #expect(await gateway(publisher).submit(body: order, idempotencyKey: nil) == .duplicate)
        #expect(publisher.sent.withLock { $0.count } == 1)
    }

    /// Submits `lead` on a one-lane gateway whose publisher holds its confirm, then `followers`
    /// while it waits, then lets the publisher go; returns the followers' outcomes.
    func commitBehindAHeldPublish(_ publisher: ScriptedPublisher, lead: String, followers: [(body: String, key: String?)]) async throws -> [GatewayOutcome] {
        var configuration = OrderGateway.Configuration()
        configuration.batchLanes = 1
        configuration.refusedPublishRetry = .zero
        let gateway = OrderGateway(store: store, publisher: publisher, configuration: configuration)
        publisher.hold()
        return try await withThrowingTaskGroup(of: (Int, GatewayOutcome).self) { group in
            group.addTask { (-1, await gateway.submit(body: bytes(lead), idempotencyKey: nil)) }
            do {
                try await eventually("the lead's publish") { publisher.sent.withLock { $0.count } == 1 }
                for (index, follower) in followers.enumerated() {
                    group.addTask { (index, await gateway.submit(body: bytes(follower.body), idempotencyKey: follower.key)) }
                }
                try await eventually("every follower to wait for the lane") { gateway.waitingCount == followers.count }
            } catch {
                // Let the held requests finish, so the failure ends the test rather than hangs it.
                publisher.open()
                throw error
            }
            publisher.open()
            let answered = try await group.reduce(into: [Int: GatewayOutcome]()) { $0[$1.0] = $1.1 }
            return followers.indices.map { answered[$0]! }
        }
    }

    /// Orders that arrive while a publish is waiting for its confirm go out together, in one
    /// message, once the lane is free; each still gets its own answer.
    @Test func ordersArrivingTogetherAreCommittedAsOneMessage() async throws {
        let publisher = ScriptedPublisher()
        let followers = (0..<5).map { (body: #"{"id":"o-\#($0)","sku":"s","qty":\#($0 + 1)}"#, key: String?.none) }
            + [(body: #"{"id":"o-0","sku":"s","qty":1}"#, key: nil)]
        let outcomes = try await commitBehindAHeldPublish(publisher, lead: #"{"id":"first","sku":"s","qty":1}"#, followers: followers)
        #expect(outcomes.filter { $0 == .duplicate }.count == 1, "the second o-0 in the batch is a duplicate of the first")
        #expect(outcomes.filter { if case .accepted = $0 { true } else { false } }.count == 5)
        let sent = publisher.sent.withLock { $0 }
        #expect(sent.count == 2)
        #expect(store.claimBatches.withLock { $0 } == [1, 6])
        let batch = try #require(sent.last)
        let orders = try Order.parseMessage(batch.body)
        #expect(Set(orders.map(\.id)) == ["o-0", "o-1", "o-2", "o-3", "o-4"])
        #expect(String(decoding: batch.body, as: UTF8.self).hasPrefix(#"[{"id":"#))
        #expect(Set(store.acceptedOrders.withLock { $0 }) == ["first", "o-0", "o-1", "o-2", "o-3", "o-4"])
    }

    @Test func aFailedBatchAnswers503ToEveryOrderInItAndReleasesEveryClaim() async throws {
        let publisher = ScriptedPublisher([.confirmed, .nacked])
        let followers = (0..<3).map { (body: #"{"id":"n-\#($0)","sku":"s","qty":1}"#, key: Optional("key-\($0)")) }
        let outcomes = try await commitBehindAHeldPublish(publisher, lead: #"{"id":"lead","sku":"s","qty":1}"#, followers: followers)
        #expect(outcomes.allSatisfy { $0.status == 503 })
        #expect(store.records.withLock { $0.keys.sorted() } == ["idem:order:lead"], "every claim of the failed batch was released")
    }

    /// A Redis Cluster master down fails only the claims of its shards: the rest of the batch is
    /// published and accepted, and the unreached orders are answered 503 with nothing published.
    @Test func aShardThatDoesNotAnswerFailsOnlyItsOrdersOfTheBatch() async throws {
        store.unreachableOrders.withLock { $0 = ["u-1", "u-3"] }
        let publisher = ScriptedPublisher()
        let followers = (0..<4).map { (body: #"{"id":"u-\#($0)","sku":"s","qty":1}"#, key: String?.none) }
        let outcomes = try await commitBehindAHeldPublish(publisher, lead: #"{"id":"lead","sku":"s","qty":1}"#, followers: followers)
        #expect(outcomes.map(\.status) == [202, 503, 202, 503])
        let batch = try #require(publisher.sent.withLock { $0 }.last)
        #expect(Set(try Order.parseMessage(batch.body).map(\.id)) == ["u-0", "u-2"])
        #expect(Set(store.acceptedOrders.withLock { $0 }) == ["lead", "u-0", "u-2"])
    }

    /// A failing accept write does not hold the 202: the gateway's recorder writes it later.
    @Test func aFailingAcceptWriteIsRetriedAfterThe202() async throws {
        store.acceptFailures.withLock { $0 = 3 }
        let gateway = gateway(ScriptedPublisher())
        let recorder = Task { await gateway.run() }
        defer { recorder.cancel() }
        #expect(await gateway.submit(body: order, idempotencyKey: nil) == .accepted(orderID: "o-1", replayed: false))
        try await eventually("the accept to be written") { store.records.withLock { $0["idem:order:o-1"]?.state } == .accepted }
        #expect(store.acceptedOrders.withLock { $0 } == ["o-1"])
        #expect(gateway.pendingAccepts == 0)
    }

    /// On a two-lane gateway: submits one order and holds its publish, so one lane is busy; then
    /// a second order, which leads the other lane; then two more. With a gather delay the second
    /// leader waits (on `gate`, not a clock) until the last two are queued. Returns the sizes of
    /// the batches claimed.
    func claimBatchesUnderLoad(gatherDelay: Duration, run: String) async throws -> [Int] {
        var configuration = OrderGateway.Configuration()
        configuration.batchLanes = 2
        configuration.batchGatherDelay = gatherDelay
        let publisher = ScriptedPublisher()
        let gate = Gate()
        let gateway = OrderGateway(store: store, publisher: publisher, configuration: configuration, sleep: { _ in try? await gate.pass() })
        publisher.hold()
        try await withThrowingTaskGroup(of: GatewayOutcome.self) { group in
            func submit(_ id: String) {
                group.addTask { await gateway.submit(body: bytes(#"{"id":"\#(run)-\#(id)","sku":"s","qty":1}"#), idempotencyKey: nil) }
            }
            do {
                submit("a")
                try await eventually("a's publish") { publisher.sent.withLock { $0.count } == 1 }
                submit("b")
                try await eventually("b to lead the other lane") { gatherDelay > .zero ? gate.waiting == 1 : store.claimBatches.withLock { $0.count } == 2 }
                submit("c")
                submit("d")
                try await eventually("c and d to wait") { gateway.waitingCount == 2 }
                gate.open()
                try await eventually("the second lane's publish") { publisher.sent.withLock { $0.count } == 2 }
            } catch {
                // Let the held requests finish, so the failure ends the test rather than hangs it.
                gate.open()
                publisher.open()
                throw error
            }
            publisher.open()
            for try await outcome in group {
                #expect(outcome.status == 202)
            }
        }
        return store.claimBatches.withLock { $0 }
    }

    /// Without a gather delay the second lane's leader goes out alone and the two requests after
    /// it queue for a lane; with one, they join its batch.
    @Test func underLoadALeaderWaitsTheGatherDelaySoRequestsJustBehindJoinItsBatch() async throws {
        // c and d go out together or alone, as the two lanes free up at once.
        #expect(try await claimBatchesUnderLoad(gatherDelay: .zero, run: "undelayed").prefix(2) == [1, 1])
        store.claimBatches.withLock { $0 = [] }
        #expect(try await claimBatchesUnderLoad(gatherDelay: .milliseconds(1), run: "delayed") == [1, 3])
    }

    /// The delay is for load only: a request reaching an idle gateway is claimed at once.
    @Test func aRequestAtAnIdleGatewayDoesNotWaitTheGatherDelay() async {
        var configuration = OrderGateway.Configuration()
        configuration.batchGatherDelay = .seconds(60)
        let gateway = OrderGateway(store: store, publisher: ScriptedPublisher(), configuration: configuration)
        let started = ContinuousClock.now
        #expect(await gateway.submit(body: order, idempotencyKey: nil) == .accepted(orderID: "o-1", replayed: false))
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// A one-lane gateway whose lane is held by a publish the test controls: the leading order
    /// `lead` has been published and waits for its confirm.
    func gatewayWithAHeldLane(_ publisher: ScriptedPublisher, configure: (inout OrderGateway.Configuration) -> Void = { _ in }) async throws -> (OrderGateway, Task<GatewayOutcome, Never>) {
        var configuration = OrderGateway.Configuration()
        configuration.batchLanes = 1
        configure(&configuration)
        let gateway = OrderGateway(store: store, publisher: publisher, configuration: configuration)
        publisher.hold()
        let lead = Task { await gateway.submit(body: bytes(#"{"id":"lead","sku":"s","qty":1}"#), idempotencyKey: nil) }
        try await eventually("the lead's publish") { publisher.sent.withLock { $0.count } == 1 }
        return (gateway, lead)
    }

    /// Regression: under a hung dependency waiting requests had no deadline, and were committed
    /// long after their clients had given up.
    @Test func aRequestNotClaimedByItsDeadlineIsAnswered503AndNeverCommitted() async throws {
        let publisher = ScriptedPublisher()
        let (gateway, lead) = try await gatewayWithAHeldLane(publisher) { $0.requestDeadline = .milliseconds(50) }
        let late = await gateway.submit(body: bytes(#"{"id":"late","sku":"s","qty":1}"#), idempotencyKey: nil)
        #expect(late == .unavailable(reason: OrderBatcher.deadlinePassed))
        #expect(gateway.waitingCount == 0)
        publisher.open()
        #expect(await lead.value.status == 202)
        #expect(store.claimBatches.withLock { $0 } == [1], "only the lead was ever claimed")
        #expect(store.records.withLock { $0["idem:order:late"] } == nil)
    }

    /// Regression: handlers went on after their clients hung up, and their orders were committed.
    @Test func aWaitingRequestWhoseClientIsGoneLeavesAndIsNeverCommitted() async throws {
        let publisher = ScriptedPublisher()
        let (gateway, lead) = try await gatewayWithAHeldLane(publisher)
        let gone = Task { await gateway.submit(body: bytes(#"{"id":"gone","sku":"s","qty":1}"#), idempotencyKey: nil) }
        try await eventually("the request to wait for the lane") { gateway.waitingCount == 1 }
        gone.cancel()
        #expect(await gone.value == .unavailable(reason: OrderBatcher.clientGone))
        #expect(gateway.waitingCount == 0)
        publisher.open()
        #expect(await lead.value.status == 202)
        #expect(store.claimBatches.withLock { $0 } == [1])
    }

    /// Admission control: a full waiting list turns requests away at once instead of queueing
    /// them behind a hung dependency.
    @Test func aFullWaitingListAnswers503AtOnce() async throws {
        let publisher = ScriptedPublisher()
        let (gateway, lead) = try await gatewayWithAHeldLane(publisher) { $0.maxWaiting = 2 }
        let waiting = (0..<2).map { index in Task { await gateway.submit(body: bytes(#"{"id":"w-\#(index)","sku":"s","qty":1}"#), idempotencyKey: nil) } }
        try await eventually("both requests to wait for the lane") { gateway.waitingCount == 2 }
        #expect(await gateway.submit(body: bytes(#"{"id":"w-2","sku":"s","qty":1}"#), idempotencyKey: nil) == .unavailable(reason: OrderBatcher.overloaded))
        publisher.open()
        #expect(await lead.value.status == 202)
        for task in waiting { #expect(await task.value.status == 202) }
        #expect(GatewayOutcome.unavailable(reason: OrderBatcher.overloaded).status == 503)
    }

    /// A leader whose client hangs up mid-commit still commits the batch it leads: the other
    /// requests of the batch have clients waiting for it.
    @Test func aLeaderWhoseClientLeavesMidCommitStillCommitsItsBatch() async throws {
        let publisher = ScriptedPublisher()
        let (gateway, lead) = try await gatewayWithAHeldLane(publisher)
        let follower = Task { await gateway.submit(body: bytes(#"{"id":"f","sku":"s","qty":1}"#), idempotencyKey: nil) }
        try await eventually("the request to wait for the lane") { gateway.waitingCount == 1 }
        lead.cancel()
        publisher.open()
        #expect(await lead.value.status == 202, "its claim had started: the order is committed and accepted")
        #expect(await follower.value.status == 202)
    }
}
