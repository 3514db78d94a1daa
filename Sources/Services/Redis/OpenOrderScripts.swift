import RESP

/// Scripts that find orders accepted long ago and still not notified. The gateway adds each
/// accepted order to its shard's open orders (`PipelineKeys.openOrders`), and its payload to the
/// shard's payloads (`PipelineKeys.payloads`); the notifier's record of the send takes both out. An order left open for long lost
/// its message or its event somewhere: RabbitMQ confirms a message routed to a queue that is
/// deleted before the queue takes it, and a deleted queue takes the messages in it along.
enum OpenOrderScripts {
    /// Takes up to ARGV[2] orders of KEYS[1] (open orders) accepted, or last taken, more than
    /// ARGV[1] ms ago (Redis clock), and scores them now: another sweeper, or the next round of
    /// this one, leaves them for ARGV[1] ms more. Returns their ids.
    static let take = RedisScript("""
        local now = redis.call('TIME')
        local ms = now[1] * 1000 + math.floor(now[2] / 1000)
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', ms - tonumber(ARGV[1])), 'LIMIT', 0, tonumber(ARGV[2]))
        for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ms, id) end
        return ids
        """)

    /// Looks at taken orders. KEYS[1] the open orders, KEYS[2] the payloads, per order i:
    /// KEYS[2i+1] `order:<id>`, KEYS[2i+2] `notifications:<id>`; ARGV[1] how many times an order
    /// may be swept, ARGV[1+i] order i's id. Returns per order its payload, to be decided
    /// (again), or an integer when it leaves the open orders: 0 notified meanwhile, 1 no payload
    /// to decide it from (accepted before payloads were kept), 2 swept ARGV[1] times already (its
    /// payload is kept for an operator). A payload an earlier version kept on the order's hash is
    /// read, and deleted, there.
    static let inspect = RedisScript("""
        local results = {}
        for i = 1, #ARGV - 1 do
          local order, notification, id = KEYS[2 * i + 1], KEYS[2 * i + 2], ARGV[1 + i]
          if redis.call('HGET', notification, 'status') == 'sent' then
            redis.call('ZREM', KEYS[1], id)
            redis.call('HDEL', KEYS[2], id)
            redis.call('HDEL', order, 'payload')
            results[i] = 0
          else
            local payload = redis.call('HGET', KEYS[2], id) or redis.call('HGET', order, 'payload')
            if not payload then
              redis.call('ZREM', KEYS[1], id)
              results[i] = 1
            elseif redis.call('HINCRBY', order, 'sweeps', 1) > tonumber(ARGV[1]) then
              redis.call('ZREM', KEYS[1], id)
              results[i] = 2
            else
              results[i] = payload
            end
          end
        end
        return results
        """)
}
