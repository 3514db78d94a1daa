import Foundation
import RESP

// REDIS_URL may name one server (redis://), a Sentinel set (redis-sentinel://) or a Cluster
// (redis-cluster://); RedisTopology picks the client.
let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0"
let redis = try RedisTopology(url: url).makeClient()
// The connections run in redis.run(): start it in your task group and cancel it to stop, or let
// withRunning do both around a piece of work.
let greeting = try await redis.withRunning { redis in
    try await redis.set("example:greeting", to: "hello", expiration: .seconds(60))
    return try await redis.get("example:greeting")      // a ByteBuffer, nil when the key is missing
}
print("redis: example:greeting = \(greeting.map(String.init(describing:)) ?? "(missing)")")
