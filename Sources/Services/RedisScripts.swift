/// The Lua scripts that make each pipeline step one atomic Redis operation. They are run with
/// EVALSHA (falling back to EVAL on NOSCRIPT), so a Redis restart that empties the script cache
/// costs one extra round trip, not a failure.
public enum RedisScripts {
    /// Gateway claim of a batch of requests, in order. KEYS[1] totals, then per request i:
    /// KEYS[3i-1] its idempotency scope (`idem:key:<key>` or `idem:order:<id>`), KEYS[3i] its
    /// order's scope `idem:order:<id>` (the same key when the request has no `Idempotency-Key`),
    /// KEYS[3i+1] `order:<id>`; ARGV[1] the in-flight TTL in ms, ARGV[2] how long a record is
    /// kept (the idempotency window) in ms, ARGV[2+i] request i's record `inflight|token|fp`, to
    /// which the script appends `|until` (now + in-flight TTL, Redis clock).
    ///
    /// Returns per request: 1 when claimed, 2 when it took over a stale claim of the same payload
    /// (see `IdempotencyRecord`), the record found in its scope, or 0 when its scope was free but
    /// the order id is taken: by another key's record, or by an order the pipeline has already
    /// seen (`order:<id>` exists) whose records have expired. Every refusal counts as a duplicate.
    /// A request keyed by its order id, the common case, is claimed with one `SET NX GET` (Redis
    /// 7.0 or later) and one `EXISTS`.
    public static let claim = """
        local now = redis.call('TIME')
        local ms = now[1] * 1000 + math.floor(now[2] / 1000)
        local untilMs = string.format('%d', ms + tonumber(ARGV[1]))
        -- an in-flight record past its until, of the fingerprint fp
        local function stale(stored, fp)
          local state, f, u = string.match(stored, '^([^|]*)|[^|]*|([^|]*)|?(%d*)$')
          return state == 'inflight' and f == fp and (tonumber(u) or 0) <= ms
        end
        local results, duplicates = {}, 0
        for i = 1, #ARGV - 2 do
          local scope, orderScope, order = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
          local record = ARGV[2 + i] .. '|' .. untilMs
          local fp = string.match(ARGV[2 + i], '([^|]*)$')
          if orderScope == scope then
            local existing = redis.call('SET', scope, record, 'NX', 'PX', ARGV[2], 'GET')
            if not existing then
              if redis.call('EXISTS', order) == 1 then
                redis.call('DEL', scope)
                results[i] = 0
              else
                results[i] = 1
              end
            elseif stale(existing, fp) then
              redis.call('SET', scope, record, 'PX', ARGV[2])
              results[i] = 2
            else
              results[i] = existing
            end
          else
            local existing = redis.call('GET', scope)
            if existing and not stale(existing, fp) then
              results[i] = existing
            else
              local taken = redis.call('GET', orderScope)
              if taken and not stale(taken, fp) then
                results[i] = 0
              elseif not existing and not taken and redis.call('EXISTS', order) == 1 then
                results[i] = 0
              else
                redis.call('SET', scope, record, 'PX', ARGV[2])
                redis.call('SET', orderScope, record, 'PX', ARGV[2])
                results[i] = (existing or taken) and 2 or 1
              end
            end
          end
          if results[i] ~= 1 and results[i] ~= 2 then duplicates = duplicates + 1 end
        end
        if duplicates > 0 then redis.call('HINCRBY', KEYS[1], 'duplicates', duplicates) end
        return results
        """

    /// Gateway finalise of a batch after the broker's confirm. KEYS[1] totals, then per request i:
    /// KEYS[3i-1] its scope, KEYS[3i] its order's scope, KEYS[3i+1] `order:<id>`; ARGV[1] how long
    /// an accepted record is kept in ms, ARGV[1+i] request i's claim prefix `inflight|token|`.
    /// Marks each order accepted unless the processor already moved it on, stamps `accepted_at`
    /// (Redis clock, ms) for end-to-end latency, and turns each record the claim still holds into
    /// an accepted one, `accepted|token|fingerprint|until`, keeping the claim's `until` (from
    /// which an audit reads when the claim was made); a claim taken over since changes nothing:
    /// the broker has the order all the same. An order is counted in the `accepted` total once,
    /// when its `accepted_at` is first set, so a retry of this script after a lost reply counts
    /// nothing twice. Returns how many were counted.
    public static let accept = """
        local now = redis.call('TIME')
        local ms = string.format('%d', now[1] * 1000 + math.floor(now[2] / 1000))
        local counted = 0
        for i = 1, (#KEYS - 1) / 3 do
          local scope, orderScope, order = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
          local prefix = ARGV[1 + i]
          redis.call('HSETNX', order, 'state', 'accepted')
          counted = counted + redis.call('HSETNX', order, 'accepted_at', ms)
          for _, key in ipairs(scope == orderScope and {scope} or {scope, orderScope}) do
            local stored = redis.call('GET', key)
            if stored and string.sub(stored, 1, #prefix) == prefix then
              redis.call('SET', key, 'accepted' .. string.sub(stored, #'inflight' + 1), 'PX', ARGV[1])
            end
          end
        end
        if counted > 0 then redis.call('HINCRBY', KEYS[1], 'accepted', counted) end
        return counted
        """

    /// Gateway: settles claims whose request did not end in a 202. KEYS[i] a scope, ARGV[1]
    /// `release` or `abandon`, ARGV[1+i] the claim prefix `inflight|token|` of the record to
    /// settle; a record written by another claim since is left alone. `release` deletes the
    /// record: nothing was published (the claim's reply was lost, the broker was not reached, or
    /// it nacked or returned the message), so any payload may be sent again. `abandon` keeps the
    /// record but ends its hold (`until` 0): the broker may have the order (a confirm that never
    /// came), so only the same payload may take the scope over. Returns how many were settled.
    public static let settleClaims = """
        local settled = 0
        for i = 1, #KEYS do
          local stored = redis.call('GET', KEYS[i])
          local prefix = ARGV[1 + i]
          if stored and string.sub(stored, 1, #prefix) == prefix then
            if ARGV[1] == 'release' then
              redis.call('DEL', KEYS[i])
            else
              redis.call('SET', KEYS[i], (string.gsub(stored, '|%d*$', '|0')), 'KEEPTTL')
            end
            settled = settled + 1
          end
        end
        return settled
        """

    /// Compare-and-delete: deletes each KEYS[i] whose value is still ARGV[i]. Releases a
    /// notifier's lease after a failed send, without touching what someone else has written since.
    public static let compareAndDelete = """
        local deleted = 0
        for i = 1, #KEYS do
          if redis.call('GET', KEYS[i]) == ARGV[i] then deleted = deleted + redis.call('DEL', KEYS[i]) end
        end
        return deleted
        """

    /// Processor reservation of the orders of one message, in order. KEYS[1] totals, KEYS[2] the
    /// processed-orders counter, then per order i: KEYS[2i+1] `order:<id>`, KEYS[2i+2]
    /// `inventory:<sku>`; ARGV[2i-1] qty, ARGV[2i] sku. Decides each order exactly once: a
    /// redelivered order gets the first decision back and changes nothing. Returns per order
    /// {state, reason, first} with first = 1 only on the first decision.
    /// Each reservation also bumps the order's `reservations` field, so an audit can prove no order
    /// was ever reserved twice (the `decided` guard alone would hide a second decrement). The
    /// totals are bumped once per message, not per order: fewer writes for Redis and its AOF.
    public static let reserve = """
        local results, counts, decided = {}, {}, 0
        for i = 1, #ARGV / 2 do
          local order, inventory = KEYS[2 * i + 1], KEYS[2 * i + 2]
          local qty, sku = tonumber(ARGV[2 * i - 1]), ARGV[2 * i]
          if redis.call('HGET', order, 'decided') then
            results[i] = {redis.call('HGET', order, 'state'), redis.call('HGET', order, 'reason') or '', 0}
          else
            local stock = redis.call('GET', inventory)
            local state, reason = 'reserved', ''
            if not stock then
              state, reason = 'rejected', 'unknown_sku'
            elseif tonumber(stock) == nil or tonumber(stock) < qty then
              state, reason = 'rejected', 'insufficient_stock'
            else
              redis.call('DECRBY', inventory, qty)
              redis.call('HINCRBY', order, 'reservations', 1)
            end
            redis.call('HSET', order, 'state', state, 'reason', reason, 'sku', sku, 'qty', qty, 'decided', '1')
            counts[state] = (counts[state] or 0) + 1
            decided = decided + 1
            results[i] = {state, reason, 1}
          end
        end
        for state, count in pairs(counts) do redis.call('HINCRBY', KEYS[1], state, count) end
        if decided > 0 then redis.call('INCRBY', KEYS[2], decided) end
        return results
        """

    /// Notifier lease of the notifications of one message. Per notification i: KEYS[2i-1]
    /// `notifications:<id>`, KEYS[2i] `notif:<id>`; ARGV[1] the notifier's lease token, ARGV[2]
    /// the lease TTL in ms. Returns per notification 0 when it was already sent, 1 when the lease
    /// is now ours, 2 when another notifier holds it. A lease already held with our own token
    /// (taken by an earlier attempt whose reply was lost) is ours again, its TTL renewed.
    public static let lease = """
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
        """

    /// Notifier: record sent notifications unless another notifier holds their lease. KEYS[1]
    /// totals, then per notification i: KEYS[3i-1] `notif:<id>` lease, KEYS[3i]
    /// `notifications:<id>`, KEYS[3i+1] `order:<id>`; ARGV[1] our lease token, ARGV[2] the id of
    /// the sends being recorded (one per attempt). Stamps `notified_at` (Redis clock, ms, the same
    /// clock as `accepted_at`). Returns per notification 1 when recorded — the lease is ours, or it
    /// lapsed and nobody took it: the send happened either way — and 0 when another notifier holds
    /// the lease (that notifier sends and records). Every call follows completed sends, so it
    /// counts each in the notification's `sends` field first, once per send id, before the lease
    /// and already-sent checks: an audit sees a second send even when it lost its lease or found
    /// the notification already recorded.
    public static let recordSent = """
        local now = redis.call('TIME')
        local ms = now[1] * 1000 + math.floor(now[2] / 1000)
        local results, recorded = {}, 0
        for i = 1, (#KEYS - 1) / 3 do
          local lease, notification, order = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
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
              if redis.call('HGET', order, 'state') == 'reserved' then redis.call('HSET', order, 'state', 'notified') end
              recorded = recorded + 1
            elseif not counted then
              redis.call('HSET', notification, 'counted_send', ARGV[2])
            end
            if holder then redis.call('DEL', lease) end
            results[i] = 1
          end
        end
        if recorded > 0 then redis.call('HINCRBY', KEYS[1], 'notified', recorded) end
        return results
        """
}
