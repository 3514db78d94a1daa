import Bytes
@testable import RESP
import Testing
import TestSupport

/// Where the table finds keys, against the server's own `COMMAND GETKEYS` for the same commands.
@Suite(.requires(.redis)) struct RedisCommandTableTests {
    static let commands: [[String]] = [
        ["GET", "k"], ["set", "k", "v", "EX", "10"], ["MGET", "a", "b", "c"], ["MSET", "a", "1", "b", "2"],
        ["DEL", "a", "b"], ["RENAME", "a", "b"], ["HSET", "h", "f", "v"], ["LMOVE", "a", "b", "LEFT", "RIGHT"],
        ["EVAL", "return 1", "2", "k1", "k2", "arg"], ["EVALSHA", "0123456789012345678901234567890123456789", "1", "k", "a", "b"],
        ["EVAL", "return 1", "0"], ["FCALL", "f", "1", "k", "x"],
        ["XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        ["ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2"], ["SORT", "list", "STORE", "dst"],
        ["OBJECT", "ENCODING", "k"], ["MEMORY", "USAGE", "k"], ["XINFO", "STREAM", "s"],
        ["BLMPOP", "0", "2", "a", "b", "LEFT"], ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "dst"],
    ]

    @Test func keyPositionsMatchTheServers() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let table = try #require(RedisCommandTable(try await redis.send(["COMMAND"])))
        for command in Self.commands {
            let entry = try #require(table.entry(command[0].uppercased(), subcommand: { command.count > 1 ? command[1] : nil }), "\(command)")
            let positions = RedisCommandTable.keyPositions(entry, count: command.count) { command[$0] }
            let reply = try await redis.send(["COMMAND", "GETKEYS"] + command)
            let expected = reply.arrayStrings
            // Nil means "ask the server", which is always right; the table must never be wrong.
            if let positions {
                #expect(positions.map { command[$0] } == expected, "\(command)")
            }
        }
    }

    @Test func commonCommandsNeedNoServerRoundTrip() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let table = try #require(RedisCommandTable(try await redis.send(["COMMAND"])))
        for command in Self.commands where !["SORT", "GEORADIUS"].contains(command[0]) {
            let entry = try #require(table.entry(command[0].uppercased(), subcommand: { command.count > 1 ? command[1] : nil }))
            #expect(RedisCommandTable.keyPositions(entry, count: command.count) { command[$0] } != nil, "\(command)")
        }
        #expect(table.entry("GET", subcommand: { nil })?.readOnly == true)
        #expect(table.entry("SET", subcommand: { nil })?.readOnly == false)
        #expect(table.entry("NOSUCHCOMMAND", subcommand: { nil }) == nil)
    }

    /// The cluster router remembers the last command's entry: a run of commands routed by one
    /// router must place each as a fresh router does, and as the server finds the keys,
    /// whatever type the arguments are.
    @Test func theRouterPlacesEachCommandOfARunAsTheServerFindsItsKeys() async throws {
        let redis = try await RedisServer.connect()
        defer { redis.close() }
        let table = try #require(RedisCommandTable(try await redis.send(["COMMAND"])))
        let run: [[any RESPArgument]] = [
            ["GET", "{a}1"], ["GET", "b"], ["get", "c"], ["GET", ByteBuffer(string: "{a}2")], ["GET", Array("d".utf8)],
            ["OBJECT", "ENCODING", "e"], ["OBJECT", "FREQ", "f"], ["SET", "g", 1], ["SET", 42, "v"],
            ["MGET", "{t}x", "{t}y"], ["MGET", "x", "y"], ["EVALSHA", "0123456789012345678901234567890123456789", "1", "k"],
        ]
        var router = RedisClusterRouter(table)
        for command in run {
            let text = command.map(RedisArgumentBytes.text)
            let keys = try await redis.send(["COMMAND", "GETKEYS"] + text).arrayStrings
            let slots = Set(keys.map(RedisHashSlot.slot(of:)))
            var fresh = RedisClusterRouter(table)
            for (name, placement) in [router.place(command), fresh.place(command)] {
                #expect(name == text[0].uppercased(), "\(text)")
                switch placement {
                case .slot(let slot, _):
                    #expect(slots.count <= 1 && slot == slots.first, "\(text)")
                case .crossSlot:
                    #expect(slots.count > 1, "\(text)")
                case .askServer:
                    Issue.record("\(text): the table places these keys itself")
                }
            }
        }
    }
}

extension RESPValue {
    /// The strings of an array reply.
    var arrayStrings: [String] {
        guard case .array(let items) = self else { return [] }
        return items.compactMap(\.string)
    }

    /// An array of flat maps (`SENTINEL replicas`), each by key.
    var arrayOfFields: [[String: RESPValue]] {
        guard case .array(let items) = self else { return [] }
        return items.map(\.fields)
    }
}
