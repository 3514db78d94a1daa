import RESP

/// The gateway's Lua scripts: each step on the idempotency records of a batch of requests is one
/// atomic script per slot. Run with EVALSHA (falling back to EVAL on NOSCRIPT), so a Redis
/// restart that empties the script cache costs one extra round trip, not a failure.
///
/// Every request's keys are given in one of three modes, so a batch can be split by hash slot
/// on a Redis Cluster (see `PipelineKeys`): `b` (both scopes in one slot: the `Idempotency-Key`'s
/// scope, the order id's scope and `order:<id>`), `o` (the order id's scope and `order:<id>`:
/// a request without `Idempotency-Key`, or the second half of one whose key lies in another
/// slot), `k` (the key's scope alone: the first half of such a request).
enum GatewayScripts {
    /// Claim of a batch of requests, in order. KEYS[1] the totals of the slot, then each request's
    /// keys by its mode; ARGV[1] the in-flight TTL in ms, ARGV[2] how long a record is kept (the
    /// idempotency window) in ms, then per request its mode and its record `inflight|token|fp`,
    /// to which the script appends `|until` (now + in-flight TTL, on the Redis clock).
    ///
    /// Returns per request: 1 when claimed, 2 when it took over a stale claim of the same payload
    /// (see `IdempotencyRecord`), the record found in its (first) scope, or 0 when that scope was
    /// free but the order id is taken: by another key's record, or by an order the pipeline has
    /// already seen (`order:<id>` exists) whose records have expired. Every refusal counts as a
    /// duplicate. An order-id scope is claimed with one `SET NX GET` (Redis 7.0 or later) and one
    /// `EXISTS`.
    static let claim = RedisScript("""
        local now = redis.call('TIME')
        local ms = now[1] * 1000 + math.floor(now[2] / 1000)
        local untilMs = string.format('%d', ms + tonumber(ARGV[1]))
        -- an in-flight record of the claim's fingerprint past its until, or abandoned (flag a);
        -- the fingerprint is read only here, for the rare record found, and with patterns
        -- anchored at the start: one unanchored at the end is tried from every position
        local function stale(stored, claim)
          local state, f, u, flags = string.match(stored, '^([^|]*)|[^|]*|([^|]*)|?(%d*)|?(%a*)$')
          return state == 'inflight' and f == string.match(claim, '^[^|]*|[^|]*|([^|]*)$')
            and (u == '' or tonumber(u) <= ms or string.find(flags, 'a', 1, true) ~= nil)
        end
        -- claims scope unless held; returns nil when claimed, true when taken over (the record
        -- then carries flag r: its predecessor may have published), else the record found
        local function take(scope, record, claim)
          local existing = redis.call('SET', scope, record, 'NX', 'PX', ARGV[2], 'GET')
          if not existing then return nil end
          if stale(existing, claim) then
            redis.call('SET', scope, record .. '|r', 'PX', ARGV[2])
            return true
          end
          return existing
        end
        local results, duplicates, k = {}, 0, 2
        for i = 1, (#ARGV - 2) / 2 do
          local mode, claim = ARGV[1 + 2 * i], ARGV[2 + 2 * i]
          local record = claim .. '|' .. untilMs
          local result
          if mode == 'k' then
            local found = take(KEYS[k], record, claim)
            k = k + 1
            result = found == nil and 1 or (found == true and 2 or found)
          elseif mode == 'o' then
            local scope, order = KEYS[k], KEYS[k + 1]
            k = k + 2
            local found = take(scope, record, claim)
            if found == nil and redis.call('EXISTS', order) == 1 then
              redis.call('DEL', scope)
              result = 0
            else
              result = found == nil and 1 or (found == true and 2 or found)
            end
          else
            local scope, orderScope, order = KEYS[k], KEYS[k + 1], KEYS[k + 2]
            k = k + 3
            local existing = redis.call('GET', scope)
            if existing and not stale(existing, claim) then
              result = existing
            else
              local taken = redis.call('GET', orderScope)
              if taken and not stale(taken, claim) then
                result = 0
              elseif not existing and not taken and redis.call('EXISTS', order) == 1 then
                result = 0
              else
                local written = (existing or taken) and record .. '|r' or record
                redis.call('SET', scope, written, 'PX', ARGV[2])
                redis.call('SET', orderScope, written, 'PX', ARGV[2])
                result = (existing or taken) and 2 or 1
              end
            end
          end
          results[i] = result
          if result ~= 1 and result ~= 2 then duplicates = duplicates + 1 end
        end
        if duplicates > 0 then redis.call('HINCRBY', KEYS[1], 'duplicates', duplicates) end
        return results
        """)

    /// Finalise of a batch after the broker's confirm. KEYS[1] the totals of the slot, KEYS[2] its
    /// set of open orders, KEYS[3] its hash of payloads, then each request's keys by its mode; ARGV[1] how long an accepted
    /// record is kept in ms, then per request its mode, its claim prefix `inflight|token|`, its
    /// order id and its payload (the last two empty in mode `k`).
    /// Marks each order accepted unless the processor already moved it on, stamps `accepted_at`
    /// (Redis clock, ms) for end-to-end latency, and turns each record the claim still holds into
    /// an accepted one, `accepted|token|fingerprint|until`, keeping the claim's `until` (from
    /// which an audit reads when the claim was made); a claim taken over since changes nothing:
    /// the broker has the order all the same. An order is counted in the `accepted` total once,
    /// when its `accepted_at` is first set, so a retry of this script after a lost reply counts
    /// nothing twice. Each order also joins the open orders (until notified) and its payload the
    /// payloads, so a message the broker confirmed and then lost is found and decided anyway (see
    /// `OpenOrderScripts`). Returns how many were counted. Both are written with one command per
    /// 500 orders (every command a script calls costs Redis a call from Lua, and `unpack` has a
    /// bound).
    static let accept = RedisScript("""
        local now = redis.call('TIME')
        local ms = string.format('%d', now[1] * 1000 + math.floor(now[2] / 1000))
        local counted, k, opened, payloads = 0, 4, {}, {}
        local function open()
          if #opened > 0 then
            redis.call('ZADD', KEYS[2], 'NX', unpack(opened))
            redis.call('HSET', KEYS[3], unpack(payloads))
          end
          opened, payloads = {}, {}
        end
        local function finalise(key, prefix)
          local stored = redis.call('GET', key)
          if stored and string.sub(stored, 1, #prefix) == prefix then
            redis.call('SET', key, 'accepted' .. string.sub(stored, #'inflight' + 1), 'PX', ARGV[1])
          end
        end
        for i = 1, (#ARGV - 1) / 4 do
          local mode, prefix, id, payload = ARGV[4 * i - 2], ARGV[4 * i - 1], ARGV[4 * i], ARGV[4 * i + 1]
          local scopes = mode == 'b' and 2 or 1
          for j = 0, scopes - 1 do finalise(KEYS[k + j], prefix) end
          k = k + scopes
          if mode ~= 'k' then
            -- state and accepted_at are first set together, so a state set here means a first
            -- accept; a state already there is the processor's decision or an earlier accept
            local first = redis.call('HSETNX', KEYS[k], 'state', 'accepted')
            if first == 1 then
              redis.call('HSET', KEYS[k], 'accepted_at', ms)
            else
              first = redis.call('HSETNX', KEYS[k], 'accepted_at', ms)
            end
            if first == 1 then
              opened[#opened + 1] = ms
              opened[#opened + 1] = id
              payloads[#payloads + 1] = id
              payloads[#payloads + 1] = payload
              if #opened == 1000 then open() end
            end
            counted = counted + first
            k = k + 1
          end
        end
        open()
        if counted > 0 then redis.call('HINCRBY', KEYS[1], 'accepted', counted) end
        return counted
        """)

    /// Settles claims whose request did not end in a 202. KEYS[i] a scope, ARGV[1] `release` or
    /// `abandon`, ARGV[1+i] the claim prefix `inflight|token|` of the record to settle; a record
    /// written by another claim since is left alone. `release` deletes the record: nothing was
    /// published (the claim's reply was lost, the broker was not reached, or it nacked or
    /// returned the message), so any payload may be sent again; but a claim that took the scope
    /// over (flag r) is abandoned instead, since its predecessor may have published. `abandon`
    /// keeps the record but ends its hold (flag a, `until` kept for audits): the broker may have
    /// the order (a confirm that never came), so only the same payload may take the scope over.
    /// Returns how many were settled.
    static let settleClaims = RedisScript("""
        local settled = 0
        for i = 1, #KEYS do
          local stored = redis.call('GET', KEYS[i])
          local prefix = ARGV[1 + i]
          if stored and string.sub(stored, 1, #prefix) == prefix then
            local head, flags = string.match(stored, '^([^|]*|[^|]*|[^|]*|%d*)|?(%a*)$')
            head, flags = head or stored, flags or ''
            if ARGV[1] == 'release' and not string.find(flags, 'r', 1, true) then
              redis.call('DEL', KEYS[i])
            elseif not string.find(flags, 'a', 1, true) then
              redis.call('SET', KEYS[i], head .. '|' .. flags .. 'a', 'KEEPTTL')
            end
            settled = settled + 1
          end
        end
        return settled
        """)
}
