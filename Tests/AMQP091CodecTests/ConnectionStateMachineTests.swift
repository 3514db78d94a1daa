@testable import AMQP091
import Bytes
import Testing

/// Drives the connection state machine frame by frame, as the server would, without sockets.
@Suite struct ConnectionStateMachineTests {
    static let start = ConnectionStart(
        serverProperties: ["product": "RabbitMQ", "capabilities": .table(["publisher_confirms": true])],
        mechanisms: "AMQPLAIN PLAIN", locales: "en_US")

    func configuration(channelMax: UInt16 = 2047, frameMax: UInt32 = 131_072, heartbeat: UInt16 = 10) -> ConnectionConfiguration {
        ConnectionConfiguration(
            url: AMQPURL(user: "app", password: "s3cret", virtualHost: "orders"), channelMax: channelMax, frameMax: frameMax,
            heartbeat: heartbeat, clientProperties: ["connection_name": "test"])
    }

    /// A machine that has completed the handshake.
    func openMachine(channelMax: UInt16 = 2047) -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(configuration: configuration(channelMax: channelMax))
        _ = machine.start()
        _ = machine.received(.method(channel: 0, .connectionStart(Self.start)))
        _ = machine.received(.method(channel: 0, .connectionTune(ConnectionTune(channelMax: 0, frameMax: 131_072, heartbeat: 60))))
        _ = machine.received(.method(channel: 0, .connectionOpenOk(ConnectionOpenOk())))
        return machine
    }

    /// `machine` with channel 1 open.
    func machineWithChannel() throws -> ConnectionStateMachine {
        var machine = openMachine()
        let opened = try machine.openChannel()
        #expect(opened.channel == 1)
        #expect(machine.received(.method(channel: 1, .channelOpenOk(ChannelOpenOk()))) == [.succeed(opened.request, .method(.channelOpenOk(ChannelOpenOk())))])
        return machine
    }

    static func sentMethods(_ actions: [ConnectionStateMachine.Action]) -> [AMQPMethod] {
        actions.flatMap { action -> [AMQPMethod] in
            guard case .send(let frames) = action else { return [] }
            return frames.compactMap { if case .method(_, let method) = $0 { method } else { nil } }
        }
    }

    @Test func handshake() throws {
        var machine = ConnectionStateMachine(configuration: configuration())
        #expect(machine.start() == [.sendProtocolHeader])

        let afterStart = Self.sentMethods(machine.received(.method(channel: 0, .connectionStart(Self.start))))
        let startOk = try #require(afterStart.first.flatMap(ConnectionStartOk.init))
        #expect(startOk.mechanism == "PLAIN")
        #expect(startOk.response == ByteBuffer(bytes: [0] + Array("app".utf8) + [0] + Array("s3cret".utf8)))
        #expect(startOk.clientProperties["connection_name"] == "test")
        guard case .table(let capabilities) = startOk.clientProperties["capabilities"] else {
            Issue.record("no capabilities table")
            return
        }
        for capability in [
            "publisher_confirms", "basic.nack", "consumer_cancel_notify", "connection.blocked", "authentication_failure_close",
            "exchange_exchange_bindings",
        ] {
            #expect(capabilities[capability] == .bool(true), "\(capability)")
        }
        #expect(machine.serverProperties["product"] == "RabbitMQ")

        let afterTune = machine.received(.method(channel: 0, .connectionTune(ConnectionTune(channelMax: 0, frameMax: 131_072, heartbeat: 60))))
        let negotiated = ConnectionStateMachine.Negotiated(channelMax: 2047, frameMax: 131_072, heartbeat: 10)
        #expect(
            afterTune == [
                .tuned(negotiated),
                .send([
                    .method(channel: 0, .connectionTuneOk(ConnectionTuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 10))),
                    .method(channel: 0, .connectionOpen(ConnectionOpen(virtualHost: "orders"))),
                ]),
            ])
        #expect(machine.received(.method(channel: 0, .connectionOpenOk(ConnectionOpenOk()))) == [.connected])
    }

    @Test(arguments: [
        // (client channel-max, frame-max, heartbeat), (server ...), (expected ...)
        ([2047, 131_072, 10], [0, 131_072, 60], [2047, 131_072, 10]),
        ([0, 131_072, 0], [2047, 4096, 60], [2047, 4096, 60]),
        ([100, 8192, 30], [200, 0, 0], [100, 8192, 30]),
        ([0, 131_072, 10], [0, 131_072, 0], [65535, 131_072, 10]),
    ])
    func tuneNegotiation(client: [Int], server: [Int], expected: [Int]) {
        var machine = ConnectionStateMachine(configuration: configuration(channelMax: UInt16(client[0]), frameMax: UInt32(client[1]), heartbeat: UInt16(client[2])))
        _ = machine.start()
        _ = machine.received(.method(channel: 0, .connectionStart(Self.start)))
        let actions = machine.received(.method(channel: 0, .connectionTune(ConnectionTune(channelMax: UInt16(server[0]), frameMax: UInt32(server[1]), heartbeat: UInt16(server[2])))))
        #expect(actions.first == .tuned(.init(channelMax: UInt16(expected[0]), frameMax: UInt32(expected[1]), heartbeat: UInt16(expected[2]))))
    }

    @Test func noPlainMechanismClosesAndReports() {
        var machine = ConnectionStateMachine(configuration: configuration())
        _ = machine.start()
        let actions = machine.received(.method(channel: 0, .connectionStart(ConnectionStart(mechanisms: "EXTERNAL"))))
        #expect(Self.sentMethods(actions).first.flatMap(ConnectionClose.init)?.replyCode == 503)
        #expect(machine.received(.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))) == [.closed(.unsupportedMechanism(offered: "EXTERNAL"))])
    }

    @Test func authenticationFailureIsAServerClose() {
        var machine = ConnectionStateMachine(configuration: configuration())
        _ = machine.start()
        _ = machine.received(.method(channel: 0, .connectionStart(Self.start)))
        let close = ConnectionClose(replyCode: 403, replyText: "ACCESS_REFUSED - Login was refused", classID: 10, methodID: 11)
        let error = AMQPConnectionError.connectionClosed(replyCode: .accessRefused, replyText: close.replyText, classID: 10, methodID: 11)
        #expect(
            machine.received(.method(channel: 0, .connectionClose(close)))
                == [.send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]), .closed(error)])
    }

    @Test func requestsBeforeOpenAreRefused() {
        var machine = ConnectionStateMachine(configuration: configuration())
        #expect(throws: AMQPConnectionError.connectionNotOpen) { try machine.openChannel() }
    }

    @Test func rpcReplyGoesToTheWaiterRegisteredAtRequest() throws {
        var machine = try machineWithChannel()
        let request = try #require(try machine.request(.queueDeclare(QueueDeclare(queue: "jobs", durable: true)), on: 1))
        let ok = AMQPMethod.queueDeclareOk(QueueDeclareOk(queue: "jobs", messageCount: 4, consumerCount: 0))
        #expect(machine.received(.method(channel: 1, ok)) == [.succeed(request, .method(ok))])
    }

    @Test func noWaitAndAsynchronousMethodsHaveNoWaiter() throws {
        var machine = try machineWithChannel()
        #expect(try machine.request(.queueBind(QueueBind(queue: "q", exchange: "x", noWait: true)), on: 1) == nil)
        #expect(try machine.request(.basicAck(BasicAck(deliveryTag: 1)), on: 1) == nil)
        #expect(try machine.request(.exchangeUnbind(ExchangeUnbind(destination: "a", source: "b")), on: 1) != nil)
    }

    @Test func replyWithoutRequestIsUnexpectedFrame() throws {
        var machine = try machineWithChannel()
        let actions = machine.received(.method(channel: 1, .queueDeclareOk(QueueDeclareOk(queue: "q"))))
        #expect(Self.sentMethods(actions).first.flatMap(ConnectionClose.init)?.replyCode == ReplyCode.unexpectedFrame.rawValue)
    }

    @Test func basicGetAssemblesContentAcrossBodyFrames() throws {
        var machine = try machineWithChannel()
        let get = try #require(try machine.request(.basicGet(BasicGet(queue: "q")), on: 1))
        let getOk = AMQPMethod.basicGetOk(BasicGetOk(deliveryTag: 1, routingKey: "q"))
        #expect(machine.received(.method(channel: 1, getOk)) == [])
        #expect(machine.received(.header(channel: 1, ContentHeader(bodySize: 6, properties: BasicProperties(contentType: "text/plain")))) == [])
        #expect(machine.received(.body(channel: 1, "abc")) == [])
        let message = AMQPMessage(method: getOk, properties: BasicProperties(contentType: "text/plain"), body: "abcdef")
        #expect(machine.received(.body(channel: 1, "def")) == [.succeed(get, .message(message))])

        let empty = try #require(try machine.request(.basicGet(BasicGet(queue: "q")), on: 1))
        #expect(machine.received(.method(channel: 1, .basicGetEmpty(BasicGetEmpty()))) == [.succeed(empty, .method(.basicGetEmpty(BasicGetEmpty())))])
    }

    @Test func deliveryWithEmptyBodyCompletesAtTheHeader() throws {
        var machine = try machineWithChannel()
        let deliver = AMQPMethod.basicDeliver(BasicDeliver(consumerTag: "c", deliveryTag: 7))
        _ = machine.received(.method(channel: 1, deliver))
        #expect(machine.received(.header(channel: 1, ContentHeader(bodySize: 0))) == [.deliver(channel: 1, AMQPMessage(method: deliver, properties: BasicProperties(), body: ByteBuffer()))])
    }

    @Test func methodInsideContentIsUnexpectedFrame() throws {
        var machine = try machineWithChannel()
        _ = machine.received(.method(channel: 1, .basicDeliver(BasicDeliver(consumerTag: "c", deliveryTag: 7))))
        let actions = machine.received(.method(channel: 1, .basicAck(BasicAck(deliveryTag: 1))))
        #expect(Self.sentMethods(actions).first.flatMap(ConnectionClose.init)?.replyCode == 505)
    }

    @Test func bodyLongerThanHeaderIsUnexpectedFrame() throws {
        var machine = try machineWithChannel()
        _ = machine.received(.method(channel: 1, .basicDeliver(BasicDeliver(consumerTag: "c", deliveryTag: 7))))
        _ = machine.received(.header(channel: 1, ContentHeader(bodySize: 2)))
        #expect(Self.sentMethods(machine.received(.body(channel: 1, "abc"))).first.flatMap(ConnectionClose.init)?.replyCode == 505)
    }

    @Test func serverChannelCloseFailsItsWaiters() throws {
        var machine = try machineWithChannel()
        let request = try #require(try machine.request(.queueDeclare(QueueDeclare(queue: "q", passive: true)), on: 1))
        let close = ChannelClose(replyCode: 404, replyText: "NOT_FOUND - no queue 'q'", classID: 50, methodID: 10)
        let error = AMQPConnectionError.channelClosed(channel: 1, replyCode: .notFound, replyText: close.replyText, classID: 50, methodID: 10)
        #expect(
            machine.received(.method(channel: 1, .channelClose(close)))
                == [.fail(request, error), .send([.method(channel: 1, .channelCloseOk(ChannelCloseOk()))]), .channelClosed(channel: 1, error)])
        #expect(throws: AMQPConnectionError.channelNotOpen(1)) { try machine.request(.basicQos(BasicQos()), on: 1) }
        // The number is free again.
        #expect(try machine.openChannel().channel == 1)
    }

    @Test func frameOnUnknownChannelIsChannelError() throws {
        var machine = openMachine()
        let actions = machine.received(.method(channel: 9, .basicAck(BasicAck())))
        #expect(Self.sentMethods(actions).first.flatMap(ConnectionClose.init)?.replyCode == 504)
    }

    @Test func clientChannelCloseDropsDeliveriesUntilCloseOk() throws {
        var machine = try machineWithChannel()
        let close = try #require(try machine.request(.channelClose(ChannelClose(replyCode: 200)), on: 1))
        #expect(machine.received(.method(channel: 1, .basicDeliver(BasicDeliver(consumerTag: "c")))) == [])
        #expect(machine.received(.method(channel: 1, .channelCloseOk(ChannelCloseOk()))) == [.succeed(close, .method(.channelCloseOk(ChannelCloseOk())))])
    }

    @Test func clientConnectionClose() throws {
        var machine = try machineWithChannel()
        let pending = try #require(try machine.request(.basicQos(BasicQos(prefetchCount: 10)), on: 1))
        #expect(
            machine.close()
                == [.fail(pending, .closedByClient), .send([.method(channel: 0, .connectionClose(ConnectionClose(replyCode: 200)))])])
        #expect(machine.received(.method(channel: 1, .basicQosOk(BasicQosOk()))) == [])
        #expect(machine.received(.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))) == [.closed(nil)])
    }

    @Test func serverConnectionCloseWhileOpen() throws {
        var machine = try machineWithChannel()
        let pending = try #require(try machine.request(.basicQos(BasicQos(prefetchCount: 10)), on: 1))
        let error = AMQPConnectionError.connectionClosed(replyCode: .connectionForced, replyText: "shutdown", classID: 0, methodID: 0)
        #expect(
            machine.received(.method(channel: 0, .connectionClose(ConnectionClose(replyCode: 320, replyText: "shutdown"))))
                == [.fail(pending, error), .send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]), .closed(error)])
    }

    @Test func blockedConfirmsAndCancelNotifications() throws {
        var machine = try machineWithChannel()
        #expect(machine.received(.method(channel: 0, .connectionBlocked(ConnectionBlocked(reason: "low on memory")))) == [.blocked(reason: "low on memory")])
        #expect(machine.received(.method(channel: 0, .connectionUnblocked(ConnectionUnblocked()))) == [.unblocked])
        #expect(machine.received(.method(channel: 1, .basicAck(BasicAck(deliveryTag: 5, multiple: true)))) == [.confirm(channel: 1, deliveryTag: 5, multiple: true, ack: true)])
        #expect(machine.received(.method(channel: 1, .basicNack(BasicNack(deliveryTag: 6)))) == [.confirm(channel: 1, deliveryTag: 6, multiple: false, ack: false)])
        #expect(machine.received(.method(channel: 1, .basicCancel(BasicCancel(consumerTag: "c1", noWait: true)))) == [.consumerCancelled(channel: 1, consumerTag: "c1")])
    }

    @Test func channelNumbersAreReusedAndLimited() throws {
        var machine = openMachine(channelMax: 2)
        #expect(try machine.openChannel().channel == 1)
        #expect(try machine.openChannel().channel == 2)
        #expect(throws: AMQPConnectionError.tooManyChannels(limit: 2)) { try machine.openChannel() }
    }

    // MARK: Closes crossing on the wire

    @Test func ourConnectionCloseCrossingTheServersIsAnsweredAndEndsCleanly() throws {
        var machine = try machineWithChannel()
        #expect(Self.sentMethods(machine.close()) == [.connectionClose(ConnectionClose(replyCode: 200))])
        // The server's close was on the wire before ours arrived: answer it and finish as if our
        // close-ok had come; a client close is no failure.
        #expect(
            machine.received(.method(channel: 0, .connectionClose(ConnectionClose(replyCode: 320, replyText: "shutdown"))))
                == [.send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]), .closed(nil)])
        // The server's close-ok to our close comes after: nothing more happens.
        #expect(machine.received(.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))) == [])
        #expect(throws: AMQPConnectionError.connectionNotOpen) { try machine.openChannel() }
    }

    @Test func aServerCloseCrossingOurProtocolViolationCloseReportsTheViolation() throws {
        var machine = try machineWithChannel()
        let violation = AMQPError(.badFrameEnd(0), at: 9)
        #expect(Self.sentMethods(machine.protocolViolation(violation)).first.flatMap(ConnectionClose.init)?.replyCode == 501)
        #expect(
            machine.received(.method(channel: 0, .connectionClose(ConnectionClose(replyCode: 320))))
                == [.send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]), .closed(.protocolViolation(violation))])
    }

    @Test func ourChannelCloseCrossingTheServersWaitsForItsCloseOk() throws {
        var machine = try machineWithChannel()
        let declare = try #require(try machine.request(.queueDeclare(QueueDeclare(queue: "q")), on: 1))
        let close = try #require(try machine.request(.channelClose(ChannelClose(replyCode: 200)), on: 1))
        let serverClose = ChannelClose(replyCode: 406, replyText: "PRECONDITION_FAILED - inequivalent arg", classID: 50, methodID: 10)
        let error = AMQPConnectionError.channelClosed(
            channel: 1, replyCode: .preconditionFailed, replyText: serverClose.replyText, classID: 50, methodID: 10)
        // The server's close is answered; the request it refused fails with its reason; ours
        // still waits, since the server answers our close too.
        #expect(
            machine.received(.method(channel: 1, .channelClose(serverClose)))
                == [.send([.method(channel: 1, .channelCloseOk(ChannelCloseOk()))]), .fail(declare, error)])
        // Until that close-ok, the number stays taken and content is dropped.
        #expect(try machine.openChannel().channel == 2)
        #expect(machine.received(.method(channel: 1, .basicDeliver(BasicDeliver(consumerTag: "c")))) == [])
        // The close-ok completes our close; it is no protocol violation (the channel is still known).
        #expect(machine.received(.method(channel: 1, .channelCloseOk(ChannelCloseOk()))) == [.succeed(close, .method(.channelCloseOk(ChannelCloseOk())))])
        #expect(try machine.openChannel().channel == 1)
    }

    @Test func theServerClosingTheConnectionWhileWeCloseAChannelFailsTheChannelClose() throws {
        var machine = try machineWithChannel()
        let close = try #require(try machine.request(.channelClose(ChannelClose(replyCode: 200)), on: 1))
        let error = AMQPConnectionError.connectionClosed(replyCode: .connectionForced, replyText: "shutdown", classID: 0, methodID: 0)
        #expect(
            machine.received(.method(channel: 0, .connectionClose(ConnectionClose(replyCode: 320, replyText: "shutdown"))))
                == [.fail(close, error), .send([.method(channel: 0, .connectionCloseOk(ConnectionCloseOk()))]), .closed(error)])
    }

    @Test func connectionLevelRequestsAreTheMachinesOwn() throws {
        var machine = try machineWithChannel()
        #expect(throws: AMQPConnectionError.channelNotOpen(0)) {
            try machine.request(.connectionUpdateSecret(ConnectionUpdateSecret(newSecret: "s", reason: "r")), on: 0)
        }
    }
}

extension ConnectionStateMachine {
    /// The actions one frame yields, as an array, so tests compare whole lists.
    mutating func received(_ frame: AMQPFrame) -> [Action] {
        var actions: [Action] = []
        received(frame, into: &actions)
        return actions
    }
}
