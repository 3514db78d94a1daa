import Transport

/// `run()`: the client's supervision, and the one owner of every task recovery needs.
extension AMQPClient {
    /// Connects, then keeps the client connected and its topology, channels and consumers in
    /// place (see the type's description) until the calling task is cancelled or `close()` is
    /// called; then closes the connection and returns. Call it once, in the task group of the
    /// application: every task recovery starts (watching the connection, reopening a channel,
    /// consuming again, repairing a route) is a child of it.
    ///
    /// - Throws: the error recovery gave up with (`.noEndpointReachable`), when the retry policy
    ///   has a limit; `.clientClosed` when `run()` was called before, or after `close()`.
    public func run() async throws(AMQPConnectionError) {
        let refused = state.withLock { state -> AMQPConnectionError? in
            if let closed = state.closed { return closed }
            guard !state.running else { return .clientClosed("run() is already running") }
            state.running = true
            return nil
        }
        if let refused { throw refused }
        // Supervision runs beside a task that waits for `close()`, which then cancels it: a
        // connection attempt or a backoff under way ends at once.
        let givenUp = await withTaskGroup(of: AMQPConnectionError?.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { recovery in
                    defer { recovery.cancelAll() }
                    return await self.supervise(group: &recovery)
                }
            }
            group.addTask {
                await self.untilCloseRequested()
                return nil
            }
            var givenUp: AMQPConnectionError?
            for await outcome in group {
                givenUp = givenUp ?? outcome
                group.cancelAll()
            }
            return givenUp
        }
        if let givenUp { eventSink.yield(.recoveryFailed(givenUp)) }
        finishStopped(givenUp: givenUp)
        if let givenUp { throw givenUp }
    }

    /// Connects and reconnects, and carries out the jobs the current connection's recovery needs,
    /// until stopped (nil) or the retry policy gives up (its error).
    private func supervise(group: inout DiscardingTaskGroup) async -> AMQPConnectionError? {
        var jobs = self.jobs.makeAsyncIterator()
        var start = 0
        var failedRestores = 0
        var first = true
        while !stopping {
            let connection: AMQPConnection
            let index: Int
            do {
                (connection, index) = try await AMQPConnection.connect(to: endpoints, startingAt: start, configuration: configuration, retry: retry, on: self.group)
            } catch {
                return stopping ? nil : error
            }
            do {
                try await restore(on: connection)
            } catch {
                // The new connection failed while restoring, or the broker refused part of the
                // topology: try again from the next endpoint, as often as connecting may be tried.
                try? await connection.close(timeout: .seconds(1))
                failedRestores += 1
                guard failedRestores < retry.maxAttempts ?? .max else {
                    return .clientClosed("restoring the topology and channels failed \(failedRestores) times", cause: error)
                }
                eventSink.yield(.recoveryStepFailed(what: "restoring the topology and channels", error))
                start = index + 1
                try? await self.group.next().sleep(for: retry.backoff.delay(attempt: failedRestores))
                continue
            }
            failedRestores = 0
            let waiters = state.withLock { state in
                state.connection = connection
                return state.connectionWaiters.takeAll()
            }
            for waiter in waiters { waiter.resume() }
            eventSink.yield(first ? .connected(endpoint: index) : .recovered(endpoint: index))
            first = false
            group.addTask { await self.watch(connection) }
            await carryOut(&jobs, for: connection, group: &group)

            let channels = state.withLock { state in
                state.connection = nil
                return Array(state.channels.values)
            }
            for channel in channels { channel.detach() }
            if stopping {
                try? await connection.close(timeout: .seconds(5))
                return nil
            }
            eventSink.yield(.connectionLost(connection.closeReason ?? .connectionLost("connection ended")))
            start = index + 1
        }
        return nil
    }

    /// True once the task is cancelled or `close()` was called.
    private var stopping: Bool {
        Task.isCancelled || state.withLock { $0.closed != nil }
    }

    /// Returns once `close()` was called, or when the task is cancelled.
    private func untilCloseRequested() async {
        try? await waitParked(timeout: nil, on: group.next(), operation: "run") { continuation in
            state.withLock { state in
                guard state.closed == nil else {
                    continuation.resume()
                    return nil
                }
                return state.closeRequests.add(continuation)
            }
        } unpark: { [self] ticket in state.withLock { $0.closeRequests.remove(ticket) } }
    }

    /// Starts the recovery jobs for `connection` until it ends or the client stops.
    private func carryOut(_ jobs: inout AsyncStream<Job>.Iterator, for connection: AMQPConnection, group: inout DiscardingTaskGroup) async {
        // Iteration ends (nil) when the task is cancelled.
        while let job = await jobs.next() {
            switch job {
            case .connectionEnded(let ended):
                if ended === connection { return }
            case .reopen(let channel, let generation):
                group.addTask { await self.reopen(channel, generation: generation, on: connection) }
            case .recoverConsumer(let channel, let tag, let generation):
                group.addTask { await self.recoverConsumer(tag, of: channel, generation: generation, on: connection) }
            case .repairRoute(let exchange, let routingKey):
                group.addTask { await self.repairRoute(exchange: exchange, routingKey: routingKey) }
            }
        }
    }

    /// Reports the connection's events until it ends, then says so to `run()`.
    private func watch(_ connection: AMQPConnection) async {
        for await event in connection.events {
            switch event {
            case .blocked(let reason):
                eventSink.yield(.blocked(reason: reason))
            case .unblocked:
                eventSink.yield(.unblocked)
            case .channelClosed(let number, let error):
                for channel in state.withLock({ Array($0.channels.values) }) {
                    guard let generation = channel.serverClosed(number, on: connection) else { continue }
                    eventSink.yield(.channelClosed(error))
                    jobSink.yield(.reopen(channel, generation: generation))
                }
            case .returned(_, let message):
                // Returns of `publishConfirmed` carry their sequence header and are handled by
                // the publishing call itself, which waits for the repair.
                guard case .basicReturn(let returned) = message.method,
                    message.properties.headers?[ConfirmTracker.returnCorrelationHeader] == nil
                else { continue }
                noteReturn(returned)
                jobSink.yield(.repairRoute(exchange: returned.exchange, routingKey: returned.routingKey))
            case .confirm:
                continue
            }
        }
        jobSink.yield(.connectionEnded(connection))
    }

    /// Records an unroutable publish; true when it is one a repair can help (312 NO_ROUTE).
    @discardableResult
    func noteReturn(_ returned: BasicReturn) -> Bool {
        let code = ReplyCode(rawValue: returned.replyCode)
        eventSink.yield(.returned(exchange: returned.exchange, routingKey: returned.routingKey, replyCode: code, replyText: returned.replyText))
        guard code == .noRoute else { return false }
        state.withLock { _ = $0.unroutable.insert(returned.exchange) }
        return true
    }

    /// Declares the recorded topology again, then reopens the channels with their consumers.
    private func restore(on connection: AMQPConnection) async throws(AMQPConnectionError) {
        let topology = state.withLock { $0.topology }
        if !topology.isEmpty { try await declare(topology, on: connection) }
        let channels = state.withLock { $0.channels.sorted { $0.key < $1.key }.map(\.value) }
        for channel in channels { try await channel.restore(on: connection, declaringQueues: false) }
    }
}
