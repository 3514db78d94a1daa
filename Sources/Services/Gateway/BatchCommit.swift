import Tracing
import Transport

/// Commits one gateway batch: claims every request's scopes, publishes the claimed orders as one
/// confirmed message, then marks them accepted. What becomes of a claim that does not end in a
/// 202 depends on what the broker may have: nothing (the claim is released, any payload may come
/// again) or perhaps the order (the claim is abandoned: its records stay, so only the same payload
/// may take the scope over and be published again). So a 202 for an order id always means the
/// order is, or will be, decided with exactly that payload.
///
/// Traced as a batch (`BatchTrace`): the claim, the publish and the accept are spans under the
/// first recorded request of the batch, the publish linked to every order's request, and each
/// request's span gets the steps of its order as events (`claimed`, `published`, `accepted`, or
/// `unavailable` with the reason). The message carries every order's request context.
struct BatchCommit: Sendable {
    let store: any GatewayStore
    let publisher: any ConfirmedPublisher
    let configuration: OrderGateway.Configuration
    let recorder: AcceptRecorder
    let logger: JSONLogger?
    let spans: MessagingSpans
    let makeToken: @Sendable () -> String
    /// Waits between publishes the broker refused.
    let sleep: @Sendable (Duration) async -> Void
    /// Between publishes the broker refused: 50 ms doubling to 1 s.
    private static let refusedBackoff = Backoff(initial: .milliseconds(50), maximum: .seconds(1))

    func run(_ batch: [GatewaySubmission]) async -> [GatewayOutcome] {
        let trace = BatchTrace(batch.map(\.span))
        return await trace.run { await commit(batch, trace: trace) }
    }

    private func commit(_ batch: [GatewaySubmission], trace: BatchTrace) async -> [GatewayOutcome] {
        // A blocked broker reads no publishes: the batch could only wait out its confirm
        // timeout, so it is answered at once, before anything is claimed.
        if let reason = publisher.blockedReason { return unavailable(batch, "broker blocked: \(reason)", nil) }
        let token = makeToken()
        let claims = batch.indices.map { index in
            let submission = batch[index]
            return IdempotencyClaim(
                orderID: submission.order.id, idempotencyKey: submission.idempotencyKey,
                record: IdempotencyRecord(state: .inFlight, token: "\(token).\(index)", fingerprint: submission.fingerprint),
                payload: submission.payload)
        }
        let results: [ClaimResult]
        do {
            results = try await store.claim(claims, inFlightTTL: configuration.inFlightTTL, recordTTL: configuration.acceptedTTL)
        } catch {
            // The script may have run with only its reply lost: give back whatever it claimed
            // (nothing was published), so the 503 holds true that any retry is safe.
            try? await store.settle(claims, .release)
            return unavailable(batch, "redis unavailable", error)
        }
        var outcomes = [GatewayOutcome?](repeating: nil, count: batch.count)
        var claimed: [Int] = []
        var unreached: [Int] = []
        for (index, result) in results.enumerated() {
            let submission = batch[index]
            submission.span?.addEvent("claimed") { $0["claim.result"] = .string(result.name) }
            switch result {
            case .claimed, .tookOver: claimed.append(index)
            case .orderTaken: outcomes[index] = .duplicate
            case .existing(let record):
                outcomes[index] = record.answer(toFingerprint: submission.fingerprint, keyedByHeader: submission.idempotencyKey != nil, orderID: submission.order.id)
            case .unavailable: unreached.append(index)
            }
        }
        if !unreached.isEmpty {
            // As when the whole claim fails: the script may have run with only its reply lost.
            try? await store.settle(unreached.map { claims[$0] }, .release)
            let cause = ShardUnavailable(description: results[unreached[0]].unavailableReason ?? "")
            for (index, outcome) in zip(unreached, unavailable(unreached.map { batch[$0] }, "redis unavailable", cause)) { outcomes[index] = outcome }
        }
        if !claimed.isEmpty {
            let published = await publish(claimed.map { batch[$0] }, claims: claimed.map { claims[$0] }, token: token)
            for (index, outcome) in zip(claimed, published) { outcomes[index] = outcome }
        }
        return outcomes.map { $0! }
    }

    /// Publishes the claimed orders as one message, in a publish span linked to their requests;
    /// on a confirm marks them accepted.
    private func publish(_ submissions: [GatewaySubmission], claims: [IdempotencyClaim], token: String) async -> [GatewayOutcome] {
        let body = MessageBatch.body(submissions.map(\.payload))
        let messageID = submissions.count == 1 ? submissions[0].order.id : "batch-\(token)"
        let orders = BatchTrace(submissions.map(\.span))
        let (span, trace) = spans.publish(orders, ids: submissions.map(\.order.id), exchange: publisher.exchange, routingKey: configuration.routingKey,
                                          messageID: messageID, bodySize: body.count, broker: publisher.broker)
        var outcome: PublishOutcome
        do {
            let refusedUntil = ContinuousClock.now + configuration.refusedPublishRetry
            var attempt = 0
            while true {
                outcome = try await publisher.publish(body, routingKey: configuration.routingKey, messageID: messageID, trace: trace, timeout: configuration.confirmTimeout)
                guard outcome == .nacked || outcome == .returned else { break }
                attempt += 1
                let delay = Self.refusedBackoff.delay(attempt: attempt)
                guard ContinuousClock.now + delay < refusedUntil, !Task.isCancelled else { break }
                orders.addEvent("refused") { $0["reason"] = .string("\(outcome)") }
                await sleep(delay)
            }
        } catch let error as PublishNotSent {
            span.map { MessagingSpans.end($0, error: error) }
            try? await store.settle(claims, .release)
            return unavailable(submissions, "broker unavailable", error)
        } catch {
            span.map { MessagingSpans.end($0, error: error) }
            // The message may have left before the failure: only the same payload may come again.
            try? await store.settle(claims, .abandon)
            return unavailable(submissions, "broker outcome unknown", error)
        }
        span.map { MessagingSpans.end($0, outcome: outcome) }
        switch outcome {
        case .confirmed:
            orders.addEvent("published") { $0["messaging.message.id"] = .string(messageID) }
            await recordAccepted(claims)
            orders.addEvent("accepted")
            return submissions.map { .accepted(orderID: $0.order.id, replayed: false) }
        case .nacked, .returned:
            try? await store.settle(claims, .release)
            return unavailable(submissions, "broker \(outcome) the order", nil)
        case .timedOut:
            try? await store.settle(claims, .abandon)
            return unavailable(submissions, "broker confirm timed out", nil)
        case .blocked(let reason):
            // Written before the block, the message may still be read once the alarm clears.
            try? await store.settle(claims, .abandon)
            return unavailable(submissions, "broker blocked: \(reason)", nil)
        }
    }

    /// Marks the claims accepted; when Redis refuses, the recorder keeps trying after the 202. The
    /// broker has the orders whatever happens here, and until the write lands the claims' records
    /// still name the payload, so a retry of another payload is refused all the same.
    private func recordAccepted(_ claims: [IdempotencyClaim]) async {
        do {
            try await store.accept(claims, ttl: configuration.acceptedTTL)
        } catch {
            recorder.retry(claims, after: error)
        }
    }

    private func unavailable(_ submissions: [GatewaySubmission], _ reason: String, _ error: (any Error)?) -> [GatewayOutcome] {
        var fields: LogFields = ["orders": .int(submissions.count), "reason": .string(reason)]
        if let error { fields["error"] = "\(error)" }
        logger?.warning("orders answered 503", fields)
        for submission in submissions { submission.span?.addEvent("unavailable") { $0["reason"] = .string(reason) } }
        return Array(repeating: .unavailable(reason: reason), count: submissions.count)
    }
}

/// Why part of a batch's claim failed, as the store reported it, for the log line.
private struct ShardUnavailable: Error, CustomStringConvertible {
    let description: String
}

private extension ClaimResult {
    /// The result as the `claimed` event's `claim.result` names it.
    var name: String {
        switch self {
        case .claimed: "claimed"
        case .tookOver: "took_over"
        case .existing: "existing"
        case .orderTaken: "order_taken"
        case .unavailable: "unavailable"
        }
    }

    var unavailableReason: String? {
        if case .unavailable(let reason) = self { return reason }
        return nil
    }
}
