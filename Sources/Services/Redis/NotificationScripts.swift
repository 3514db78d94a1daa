import RESP

/// The notifier's Lua scripts: a lease on each notification so only one notifier sends it, and the
/// record of the sends. All keys of a notification lie in its order's slot (see `PipelineKeys`).
enum NotificationScripts {
    /// Notifier lease of the notifications of one message. Per notification i: KEYS[2i-1]
    /// `notifications:<id>`, KEYS[2i] `notif:<id>`; ARGV[1] the notifier's lease token, ARGV[2]
    /// the lease TTL in ms. Returns per notification 0 when it was already sent, 1 when the lease
    /// is now ours, 2 when another notifier holds it. A lease already held with our own token
    /// (taken by an earlier attempt whose reply was lost) is ours again, its TTL renewed.
    static let lease = RedisScript("""
        local results = {}
        for i = 1, #KEYS / 2 do
          if redis.call('HGET', KEYS[2 * i - 1], 'status') == 'sent' then
            results[i] = 0
          else
            local holder = redis.call('SET', KEYS[2 * i], ARGV[1], 'NX', 'PX', ARGV[2], 'GET')
            if not holder then
              results[i] = 1
            elseif holder == ARGV[1] then
              redis.call('PEXPIRE', KEYS[2 * i], ARGV[2])
              results[i] = 1
            else
              results[i] = 2
            end
          end
        end
        return results
        """)

    /// Notifier: record sent notifications unless another notifier holds their lease. KEYS[1]
    /// totals, KEYS[2] the open orders, KEYS[3] the payloads, then per notification i: KEYS[3i+1]
    /// `notif:<id>` lease, KEYS[3i+2] `notifications:<id>`, KEYS[3i+3] `order:<id>`, and last the
    /// stream of recent orders;
    /// ARGV[1] our lease token, ARGV[2] the id of the sends being recorded (one per attempt),
    /// ARGV[2+i] order i's id. Stamps `notified_at` (Redis clock, ms, the same clock as
    /// `accepted_at`) and appends the notification, with its accepted → notified latency, to the
    /// stream (see `PipelineKeys.recentOrders`). Returns per notification 1 when recorded — the lease is ours, or it
    /// lapsed and nobody took it: the send happened either way — and 0 when another notifier holds
    /// the lease (that notifier sends and records). Every call follows completed sends, so it
    /// counts each in the notification's `sends` field first, once per send id, before the lease
    /// and already-sent checks: an audit sees a second send even when it lost its lease or found
    /// the notification already recorded. A recorded order leaves the open orders, and its
    /// payload (kept for `OpenOrderScripts`, personal data included) is deleted, with one command
    /// each per call; so is a payload an earlier version kept on the order's hash.
    static let recordSent = RedisScript("""
        local now = redis.call('TIME')
        local ms = now[1] * 1000 + math.floor(now[2] / 1000)
        local results, recorded, closed = {}, 0, {}
        for i = 1, (#KEYS - 4) / 3 do
          local lease, notification, order = KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3]
          local known = redis.call('HMGET', notification, 'status', 'counted_send')
          local counted = known[2] == ARGV[2]
          if not counted then redis.call('HINCRBY', notification, 'sends', 1) end
          local holder = redis.call('GET', lease)
          if holder and holder ~= ARGV[1] then
            if not counted then redis.call('HSET', notification, 'counted_send', ARGV[2]) end
            results[i] = 0
          else
            if known[1] ~= 'sent' then
              redis.call('HSET', notification, 'status', 'sent', 'notified_at', ms, 'counted_send', ARGV[2])
              local fields = redis.call('HMGET', order, 'state', 'reason', 'sku', 'qty', 'accepted_at', 'payload')
              if fields[6] then redis.call('HDEL', order, 'payload') end
              local state = fields[1]
              if state == 'reserved' then
                state = 'notified'
                redis.call('HSET', order, 'state', state)
              end
              local latency = fields[5] and tostring(ms - tonumber(fields[5])) or ''
              redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', \(PipelineKeys.recentOrdersCap), '*', 'o', ARGV[2 + i], 's', state or '',
                'r', fields[2] or '', 'k', fields[3] or '', 'q', fields[4] or '', 'n', '1', 'l', latency)
              recorded = recorded + 1
            elseif not counted then
              redis.call('HSET', notification, 'counted_send', ARGV[2])
            end
            if holder then redis.call('DEL', lease) end
            closed[#closed + 1] = ARGV[2 + i]
            if #closed == 500 then
              redis.call('ZREM', KEYS[2], unpack(closed))
              redis.call('HDEL', KEYS[3], unpack(closed))
              closed = {}
            end
            results[i] = 1
          end
        end
        if #closed > 0 then
          redis.call('ZREM', KEYS[2], unpack(closed))
          redis.call('HDEL', KEYS[3], unpack(closed))
        end
        if recorded > 0 then redis.call('HINCRBY', KEYS[1], 'notified', recorded) end
        return results
        """)

    /// Compare-and-delete: deletes each KEYS[i] whose value is still ARGV[i]. Releases a
    /// notifier's lease after a failed send, without touching what someone else has written since.
    static let compareAndDelete = RedisScript("""
        local deleted = 0
        for i = 1, #KEYS do
          if redis.call('GET', KEYS[i]) == ARGV[i] then deleted = deleted + redis.call('DEL', KEYS[i]) end
        end
        return deleted
        """)
}
