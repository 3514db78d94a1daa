/// The Lua scripts that make each pipeline step one atomic Redis operation. They are run with
/// EVALSHA (falling back to EVAL on NOSCRIPT), so a Redis restart that empties the script cache
/// costs one extra round trip, not a failure.
public enum RedisScripts {
    /// Gateway claim. KEYS[1] idempotency key, KEYS[2] totals; ARGV[1] the in-flight record,
    /// ARGV[2] its TTL in ms.
    /// Returns nil when the claim was taken, else the record already there (counted as a duplicate).
    public static let claim = """
        local existing = redis.call('GET', KEYS[1])
        if existing then
          redis.call('HINCRBY', KEYS[2], 'duplicates', 1)
          return existing
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return false
        """

    /// Gateway finalise after the broker's confirm. KEYS[1] idempotency key, KEYS[2] `order:<id>`,
    /// KEYS[3] totals;
    /// ARGV[1] our in-flight record, ARGV[2] the accepted record, ARGV[3] its TTL in ms.
    /// Marks the order accepted unless the processor already moved it on, and stamps `accepted_at`
    /// (Redis clock, ms) for end-to-end latency. Returns 1 when our claim
    /// still held, 0 when it had expired (the order is accepted all the same: the broker has it).
    public static let accept = """
        redis.call('HSETNX', KEYS[2], 'state', 'accepted')
        local now = redis.call('TIME')
        redis.call('HSETNX', KEYS[2], 'accepted_at', now[1] * 1000 + math.floor(now[2] / 1000))
        redis.call('HINCRBY', KEYS[3], 'accepted', 1)
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
          return 1
        end
        return 0
        """

    /// Gateway release after a nack, return or timeout. KEYS[1] idempotency key; ARGV[1] our
    /// in-flight record. Deletes the claim only if it is still ours.
    public static let release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    /// Processor reservation. KEYS[1] `order:<id>`, KEYS[2] `inventory:<sku>`, KEYS[3] totals,
    /// KEYS[4] the processed-orders counter; ARGV[1] qty,
    /// ARGV[2] sku. Decides an order exactly once: a redelivered order gets the first decision back
    /// and changes nothing. Returns {state, reason, first} with first = 1 only on the first decision.
    /// Each reservation also bumps the order's `reservations` field, so an audit can prove no order
    /// was ever reserved twice (the `decided` guard alone would hide a second decrement).
    public static let reserve = """
        local decided = redis.call('HGET', KEYS[1], 'decided')
        if decided then
          return {redis.call('HGET', KEYS[1], 'state'), redis.call('HGET', KEYS[1], 'reason') or '', 0}
        end
        local qty = tonumber(ARGV[1])
        local stock = redis.call('GET', KEYS[2])
        local state, reason = 'reserved', ''
        if not stock then
          state, reason = 'rejected', 'unknown_sku'
        elseif tonumber(stock) == nil or tonumber(stock) < qty then
          state, reason = 'rejected', 'insufficient_stock'
        else
          redis.call('DECRBY', KEYS[2], qty)
          redis.call('HINCRBY', KEYS[1], 'reservations', 1)
        end
        redis.call('HSET', KEYS[1], 'state', state, 'reason', reason, 'sku', ARGV[2], 'qty', qty, 'decided', '1')
        redis.call('HINCRBY', KEYS[3], state, 1)
        redis.call('INCR', KEYS[4])
        return {state, reason, 1}
        """

    /// Notifier: record a sent notification only while our lease holds. KEYS[1] `notif:<id>` lease,
    /// KEYS[2] `notifications:<id>`, KEYS[3] `order:<id>`, KEYS[4] totals; ARGV[1] our lease token.
    /// Stamps `notified_at` (Redis clock, ms, the same clock as `accepted_at`). Returns 1 when
    /// recorded, 0 when the lease was lost (another notifier owns the send now).
    /// Every call follows a completed send, so it bumps the notification's `sends` field first,
    /// before the lease and already-sent checks: an audit sees a second send even when it lost
    /// its lease or found the notification already recorded.
    public static let recordSent = """
        redis.call('HINCRBY', KEYS[2], 'sends', 1)
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if redis.call('HGET', KEYS[2], 'status') == 'sent' then return 1 end
        local now = redis.call('TIME')
        redis.call('HSET', KEYS[2], 'status', 'sent', 'notified_at', now[1] * 1000 + math.floor(now[2] / 1000))
        if redis.call('HGET', KEYS[3], 'state') == 'reserved' then redis.call('HSET', KEYS[3], 'state', 'notified') end
        redis.call('HINCRBY', KEYS[4], 'notified', 1)
        redis.call('DEL', KEYS[1])
        return 1
        """
}
