/// The Redis keys the pipeline uses, in one place so services, tests and tools agree on them.
///
/// On one Redis master (a single server, or the master of a Sentinel set) the keys have their
/// plain names: `idem:order:<id>`, `order:<id>`, `notifications:<id>`, `metrics:totals`, ... On
/// a Redis Cluster every script's keys must lie in one hash slot, so the keys of an order carry
/// the hash tag of its shard — `order:{p3}:<id>`, with the order id hashed (FNV-1a) to one of a
/// fixed number of shards — and counters are kept per shard and summed by whoever reads them.
/// Orders of one shard can then be claimed, accepted, leased and recorded together by one
/// script, so a batch costs one script per shard it touches rather than one per order. Stock
/// stays at `inventory:<sku>`, which operators set by hand; a processor's decision lives in the
/// SKU's slot (`{inventory:<sku>}:decided:<id>`), beside the stock it reserves, and is then
/// recorded on the order's own hash.
public struct PipelineKeys: Sendable, Equatable {
    /// The hash tags of the shards (with braces, e.g. `{p3}`); empty when keys are unsharded.
    public let shardTags: [String]

    /// Plain names, for one Redis master.
    public static let unsharded = PipelineKeys(shardTags: [])

    /// Keys spread over `count` shards whose hash tags lie in slots spread evenly over the 16,384
    /// of a cluster, found with `slot` (the cluster's key-to-slot function), so the shards spread
    /// over the masters as evenly as the slot ranges do.
    public static func sharded(count: Int, slot: (String) -> Int) -> PipelineKeys {
        precondition(count > 0, "at least one shard")
        let slots = 16_384
        var tags: [String] = []
        var candidate = 0
        for shard in 0..<count {
            let range = (shard * slots / count)..<((shard + 1) * slots / count)
            while !range.contains(slot("{p\(candidate)}")) { candidate += 1 }
            tags.append("{p\(candidate)}")
            candidate += 1
        }
        return PipelineKeys(shardTags: tags)
    }

    /// Keys with the given shard tags (braces included).
    public init(shardTags: [String]) {
        self.shardTags = shardTags
    }

    /// Whether keys carry shard tags (a Redis Cluster).
    public var isSharded: Bool { !shardTags.isEmpty }

    /// How many shards the keys are spread over (1 when unsharded).
    public var shardCount: Int { max(shardTags.count, 1) }

    /// The shard of an order id or an `Idempotency-Key`: FNV-1a of its bytes.
    public func shard(of name: String) -> Int {
        guard isSharded else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(shardTags.count))
    }

    private func prefix(_ name: String, _ shardOf: String) -> String {
        isSharded ? "\(name):\(shardTags[shard(of: shardOf)]):" : "\(name):"
    }

    /// The gateway's idempotency record for a request keyed by order id.
    public func idempotency(orderID: String) -> String { prefix("idem", orderID) + "order:\(orderID)" }
    /// The gateway's idempotency record for a request keyed by `Idempotency-Key` (in the key's shard).
    public func idempotency(key: String) -> String { prefix("idem", key) + "key:\(key)" }
    /// Hash with the order's `state`, `reason`, `sku`, `qty`, `decided` and `accepted_at` (ms).
    public func order(_ id: String) -> String { prefix("order", id) + id }
    /// A notifier's lease on sending one notification.
    public func notificationLease(_ orderID: String) -> String { prefix("notif", orderID) + orderID }
    /// Hash with the notification's `status` (`sent`) and `notified_at` (ms). Sharded keys also
    /// write the plain `notifications:<id>` status as a mirror, which the seed's readers use.
    public func notification(_ orderID: String) -> String { prefix("notifications", orderID) + orderID }
    /// Where the processor's decision on an order lives: beside the stock of its SKU, so that
    /// deciding and reserving are one script. Unsharded, the order's own hash.
    /// (A SKU holds no braces, see `Order.validate`, so `{inventory:<sku>}` hashes exactly as
    /// `inventory:<sku>` does.)
    public func decision(orderID: String, sku: String) -> String {
        isSharded ? "{\(Self.inventory(sku))}:decided:\(orderID)" : order(orderID)
    }
    /// Sorted set of the orders of `shard` accepted and not yet notified, scored by when they
    /// were accepted (ms); `OpenOrderScripts` finds those open too long (see `OpenOrderSweeper`).
    public func openOrders(shard: Int) -> String { isSharded ? "orders:open:\(shardTags[shard])" : "orders:open" }
    /// Hash of the payloads (the orders as published, by order id) of `shard`'s open orders,
    /// kept until each is notified so `OpenOrderScripts` can have it decided again. Not on the
    /// order's hash: a value over `hash-max-listpack-value` (64 bytes by default) turns a hash
    /// into a hash table for good, which made every order's hash 3 to 4 times its size.
    public func payloads(shard: Int) -> String { isSharded ? "orders:payload:\(shardTags[shard])" : "orders:payload" }
    /// Hash of pipeline totals (accepted, duplicates, reserved, rejected, notified) of `shard`.
    public func totals(shard: Int) -> String { isSharded ? "metrics:totals:\(shardTags[shard])" : "metrics:totals" }
    /// Orders the processor decided in `shard`; the seed's dashboard reports the sum as
    /// `processed_orders_count`. Sharded keys also count into the plain name, as a mirror.
    public func processedCount(shard: Int) -> String {
        isSharded ? "\(Self.processedCount):\(shardTags[shard])" : Self.processedCount
    }

    /// A capped stream of what happened to recent orders in `shard`, for the dashboard's feed and
    /// latency: the processor appends each decision, the notifier each notification (with its
    /// accepted → notified latency), each in the script that records it, so an entry names only
    /// what Redis holds. The stream lies in the shard's slot, beside the orders it names.
    public func recentOrders(shard: Int) -> String { isSharded ? "events:recent:\(shardTags[shard])" : "events:recent" }
    /// Entries `recentOrders` keeps, about (trimmed with `MAXLEN ~`, which Redis does a node at a
    /// time): the memory of the feed is bounded however fast orders come.
    public static let recentOrdersCap = 2_000

    /// Units in stock for a SKU, set by operators (`SET inventory:<sku> N`); missing means the
    /// SKU is unknown. The same name in every topology.
    public static func inventory(_ sku: String) -> String { "inventory:\(sku)" }
    /// The seed's name of the processed-orders counter (a mirror when sharded).
    public static let processedCount = "orders.processed.count"
    /// The seed's name of a notification's hash (a mirror of its status when sharded).
    public static func plainNotification(_ orderID: String) -> String { "notifications:\(orderID)" }
}
