import Transport

/// The recovery steps short of a reconnect: declaring recorded topology again, reopening a
/// channel the server closed, consuming again after a server cancel, repairing a route. Each
/// runs as a child task of `run()`, on the connection it was started for, and retries with the
/// retry policy's backoff until it succeeds, is no longer needed, or that connection ends.
extension AMQPClient {
    /// Declares `topology`, in dependency order, on a channel of its own: a refusal (406, 404)
    /// closes that channel only.
    func declare(_ topology: Topology, on connection: AMQPConnection) async throws(AMQPConnectionError) {
        try await withScratchChannel(on: connection) { channel throws(AMQPConnectionError) in
            for exchange in topology.exchanges { _ = try await channel.call(exchange) }
            for (known, declare) in topology.queues {
                let ok = try await channel.call(declare)
                if declare.queue.isEmpty { state.withLock { $0.topology.renamed(known, to: ok.queue) } }
            }
            for binding in topology.exchangeBindings { _ = try await channel.call(binding) }
            for binding in topology.queueBindings {
                var resolved = binding
                resolved.queue = resolve(binding.queue)
                _ = try await channel.call(resolved)
            }
        }
    }

    /// Makes sure `queue` (a name the application holds) exists before consuming from it again:
    /// declares its recorded topology, or, for a queue not declared through this client, checks
    /// that it exists (a passive declare) without creating what the client cannot know.
    func ensureQueue(_ queue: String, on connection: AMQPConnection) async throws(AMQPConnectionError) {
        let part = state.withLock { $0.topology.consumerPart(queue: queue) }
        guard part.isEmpty else { return try await declare(part, on: connection) }
        try await withScratchChannel(on: connection) { channel throws(AMQPConnectionError) in
            _ = try await channel.call(QueueDeclare(queue: resolve(queue), passive: true))
        }
    }

    /// Runs `body` on a new channel and closes it, unless the server closed it already.
    private func withScratchChannel(
        on connection: AMQPConnection, _ body: (AMQPChannel) async throws(AMQPConnectionError) -> Void
    ) async throws(AMQPConnectionError) {
        let channel = try await connection.openChannel()
        do {
            try await body(channel)
        } catch {
            if error.code != .channelClosed { try? await channel.close() }
            throw error
        }
        try await channel.close()
    }

    /// Opens `channel` again after the server closed it: at once, then after a backoff per failure.
    func reopen(_ channel: RecoveringChannel, generation: UInt64, on connection: AMQPConnection) async {
        await retrying("reopening a channel the server closed", on: connection) { () throws(AMQPConnectionError) -> Bool in
            guard channel.isCurrent(generation) else { return true }
            try await channel.restore(on: connection, declaringQueues: true, ifGeneration: generation)
            return true
        }
    }

    /// Consumes again after the server cancelled consumer `tag` of `channel`, once its queue
    /// exists; not before `redeclareDelay`, so that every consumer of a deleted queue has had its
    /// cancel before the queue is declared again.
    func recoverConsumer(_ tag: String, of channel: RecoveringChannel, generation: UInt64, on connection: AMQPConnection) async {
        let queue = channel.queue(ofConsumer: tag) ?? ""
        do {
            try await group.next().sleep(for: redeclareDelay)
        } catch {
            return
        }
        await retrying("consuming again from queue '\(queue)'", on: connection) { () throws(AMQPConnectionError) -> Bool in
            // A channel reopened or restored since consumed again with all of its consumers.
            guard channel.isCurrent(generation) else { return true }
            return try await channel.consumeAgain(tag, generation: generation, on: connection)
        }
    }

    /// Declares again the recorded topology that a publish to `exchange` with `routingKey`
    /// routes through, after it came back unroutable or found the exchange gone, once
    /// `redeclareDelay` has passed (see `init`). One repair per exchange at a time: a caller that
    /// finds one under way waits for it, at most `timeout`.
    func repairRoute(exchange: String, routingKey: String, timeout: Duration = .seconds(30)) async {
        let underWay = state.withLock { state -> Bool in
            guard state.repairs[exchange] == nil else { return true }
            state.repairs[exchange] = Waiters()
            return false
        }
        if underWay {
            try? await waitParked(timeout: timeout, on: group.next(), operation: "repairing the route of '\(exchange)'") { continuation in
                state.withLock { state in
                    guard state.repairs[exchange] != nil else {
                        continuation.resume()
                        return nil
                    }
                    return state.repairs[exchange]!.add(continuation)
                }
            } unpark: { [self] ticket in
                state.withLock { state in
                    guard state.repairs[exchange] != nil else { return nil }
                    return state.repairs[exchange]!.remove(ticket)
                }
            }
            return
        }
        defer {
            let waiters = state.withLock { state in
                var repair = state.repairs.removeValue(forKey: exchange)
                return repair?.takeAll() ?? []
            }
            for waiter in waiters { waiter.resume() }
        }
        let part = state.withLock { $0.topology.routePart(exchange: exchange, routingKey: routingKey) }
        guard !part.isEmpty, (try? await group.next().sleep(for: redeclareDelay)) != nil,
            let connection = try? await currentConnection(timeout: timeout)
        else { return }
        do {
            try await declare(part, on: connection)
            state.withLock { _ = $0.unroutable.remove(exchange) }
            eventSink.yield(.routeRepaired(exchange: exchange))
        } catch {
            eventSink.yield(.recoveryStepFailed(what: "declaring the topology of exchange '\(exchange)' again", error))
        }
    }

    /// Runs `step` until it reports done, pausing with the retry policy's backoff after each
    /// failure (reported as an event); gives up once `connection` ends (the reconnect restores
    /// everything) or the task is cancelled.
    private func retrying(_ what: String, on connection: AMQPConnection, _ step: () async throws(AMQPConnectionError) -> Bool) async {
        var failures = 0
        while connection.closeReason == nil, !Task.isCancelled {
            do {
                if try await step() { return }
            } catch {
                guard connection.closeReason == nil, error.code != .cancelled else { return }
                failures += 1
                eventSink.yield(.recoveryStepFailed(what: what, error))
            }
            do {
                try await group.next().sleep(for: retry.backoff.delay(attempt: max(failures, 1)))
            } catch {
                return
            }
        }
    }
}
