import Bytes
@testable import RESP
import Testing

@Suite struct RedisPipelineUnitsTests {
    @Test func multiBlocksStayWhole() {
        #expect(RedisPipelineUnits.split(["GET", "MULTI", "SET", "INCR", "EXEC", "PING"]) == [0..<1, 1..<5, 5..<6])
        #expect(RedisPipelineUnits.split(["MULTI", "SET", "DISCARD", "MULTI", "GET"]) == [0..<3, 3..<5])
        #expect(RedisPipelineUnits.split([]) == [])
    }

    @Test func refusedCommandsAreTold() {
        #expect(RedisPipelineUnits.refusal([error("MOVED 1 h:1")])?.prefix == "MOVED")
        #expect(RedisPipelineUnits.refusal([error("READONLY You can't write against a read only replica.")])?.prefix == "READONLY")
        #expect(RedisPipelineUnits.refusal([error("ERR wrong number of arguments")]) == nil)
        #expect(RedisPipelineUnits.refusal([.integer(1)]) == nil)
    }

    @Test func aBlockIsRefusedOnlyWhenExecAbortedOverARefusal() {
        let queued = RESPValue.simpleString(ByteBuffer(string: "QUEUED"))
        let ok = RESPValue.simpleString(ByteBuffer(string: "OK"))
        let aborted = error("EXECABORT Transaction discarded because of previous errors.")
        #expect(RedisPipelineUnits.refusal([ok, error("ASK 5 h:2"), queued, aborted])?.prefix == "ASK")
        // Aborted over a mistake of the caller: it did not run, but sending it again would not help.
        #expect(RedisPipelineUnits.refusal([ok, error("ERR unknown command"), aborted]) == nil)
        // EXEC ran it: nothing to retry, whatever the replies inside say.
        #expect(RedisPipelineUnits.refusal([ok, queued, .array([error("READONLY no")])]) == nil)
    }

    @Test func failuresThatProvablyDidNotRun() {
        #expect(RedisPipelineUnits.didNotRun(.server(RedisServerError(reply: "TRYAGAIN Multiple keys request during rehashing of slot"))))
        #expect(RedisPipelineUnits.didNotRun(.connectTimeout(.seconds(1))))
        #expect(!RedisPipelineUnits.didNotRun(.server(RedisServerError(reply: "WRONGTYPE Operation against a key holding the wrong kind of value"))))
        #expect(!RedisPipelineUnits.didNotRun(.connectionClosed(reason: "server closed the connection")))
        #expect(!RedisPipelineUnits.didNotRun(.commandTimeout(.seconds(1))))
    }

    private func error(_ text: String) -> RESPValue { .error(ByteBuffer(string: text)) }
}
