import RESP

/// The processor's Lua scripts: deciding each order once and reserving its stock, then
/// recording the decision on the order. On one Redis master both happen in one script per
/// message; on a Redis Cluster the decision lives in its SKU's slot, beside the stock, and is
/// recorded on the order in the order's own slot by a second script (see `PipelineKeys`).
enum ReservationScripts {
    /// Decides one order once. `decision` is where the decision lives (a hash; the order's own
    /// hash on one master), `inventory` the SKU's stock. A redelivered order gets the first
    /// decision back and changes nothing (first = 0). Each reservation also bumps the decision's
    /// `reservations` field, so an audit can prove no order was ever reserved twice.
    private static let decide = """
        local function decide(decision, inventory, qty, sku)
          local known = redis.call('HMGET', decision, 'decision', 'decided', 'state', 'reason')
          if known[1] then
            local state, reason = string.match(known[1], '^([^|]*)|(.*)$')
            return state, reason, 0
          end
          -- decided by a version that kept the decision in the order's state fields only
          if known[2] then return known[3], known[4] or '', 0 end
          local stock = redis.call('GET', inventory)
          local state, reason = 'reserved', ''
          if not stock then
            state, reason = 'rejected', 'unknown_sku'
          elseif tonumber(stock) == nil or tonumber(stock) < qty then
            state, reason = 'rejected', 'insufficient_stock'
          else
            redis.call('DECRBY', inventory, qty)
            redis.call('HINCRBY', decision, 'reservations', 1)
          end
          redis.call('HSET', decision, 'decision', state .. '|' .. reason, 'sku', sku, 'qty', qty)
          return state, reason, 1
        end
        """

    /// Records a decision on the order's hash once (its `decided` flag); returns 1 the first
    /// time. A notified order keeps its state.
    private static let record = """
        local function record(order, state, reason, sku, qty)
          if redis.call('HSETNX', order, 'decided', '1') == 0 then return 0 end
          if redis.call('HGET', order, 'state') ~= 'notified' then redis.call('HSET', order, 'state', state) end
          redis.call('HSET', order, 'reason', reason, 'sku', sku, 'qty', qty)
          return 1
        end
        """

    /// Appends a recorded decision to the capped stream of recent orders (see
    /// `PipelineKeys.recentOrders`).
    private static let feed = """
        local function feed(stream, id, state, reason, sku, qty)
          redis.call('XADD', stream, 'MAXLEN', '~', \(PipelineKeys.recentOrdersCap), '*', 'o', id, 's', state, 'r', reason, 'k', sku, 'q', qty)
        end
        """

    /// Counts recorded decisions in the totals (once per state per call) and the processed count.
    private static let count = """
        local function count(totals, processed, counts, recorded)
          for state, n in pairs(counts) do redis.call('HINCRBY', totals, state, n) end
          if recorded > 0 then redis.call('INCRBY', processed, recorded) end
        end
        """

    /// Decides and records the orders of one message on one master. KEYS[1] totals, KEYS[2] the
    /// processed count, then per order i: KEYS[2i+1] its decision (its hash), KEYS[2i+2] its
    /// SKU's stock, and last the stream of recent orders; ARGV[3i-2] qty, ARGV[3i-1] sku,
    /// ARGV[3i] the order id. Returns per order {state, reason, first}.
    static let decideAndRecord = RedisScript([decide, record, count, feed, """
        local results, counts, recorded = {}, {}, 0
        for i = 1, #ARGV / 3 do
          local order, qty, sku = KEYS[2 * i + 1], tonumber(ARGV[3 * i - 2]), ARGV[3 * i - 1]
          local state, reason, first = decide(order, KEYS[2 * i + 2], qty, sku)
          if record(order, state, reason, sku, qty) == 1 then
            counts[state] = (counts[state] or 0) + 1
            recorded = recorded + 1
            feed(KEYS[#KEYS], ARGV[3 * i], state, reason, sku, qty)
          end
          results[i] = {state, reason, first}
        end
        count(KEYS[1], KEYS[2], counts, recorded)
        return results
        """].joined(separator: "\n"))

    /// Decides orders of one SKU's slot. Per order i: KEYS[2i-1] its decision, KEYS[2i] its SKU's
    /// stock; ARGV[2i-1] qty, ARGV[2i] sku. Returns per order {state, reason, first}.
    static let decideInSlot = RedisScript([decide, """
        local results = {}
        for i = 1, #ARGV / 2 do
          local state, reason, first = decide(KEYS[2 * i - 1], KEYS[2 * i], tonumber(ARGV[2 * i - 1]), ARGV[2 * i])
          results[i] = {state, reason, first}
        end
        return results
        """].joined(separator: "\n"))

    /// Records decisions on orders of one slot. KEYS[1] the slot's totals, KEYS[2] its processed
    /// count, then KEYS[2+i] order i's hash, and last the slot's stream of recent orders; ARGV
    /// per order: state, reason, sku, qty, id. Returns how many were recorded for the first time.
    static let recordInSlot = RedisScript([record, count, feed, """
        local counts, recorded = {}, 0
        for i = 1, #KEYS - 3 do
          local state, reason, sku, qty, id = ARGV[5 * i - 4], ARGV[5 * i - 3], ARGV[5 * i - 2], tonumber(ARGV[5 * i - 1]), ARGV[5 * i]
          if record(KEYS[2 + i], state, reason, sku, qty) == 1 then
            counts[state] = (counts[state] or 0) + 1
            recorded = recorded + 1
            feed(KEYS[#KEYS], id, state, reason, sku, qty)
          end
        end
        count(KEYS[1], KEYS[2], counts, recorded)
        return recorded
        """].joined(separator: "\n"))
}
