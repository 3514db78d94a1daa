-- wrk script for the HTTP benchmarks: every request is POST /orders with a JSON order whose id
-- no other request of the run uses ("<nonce>-<thread>-<count>"), so a gateway accepts each one.
-- scripts/bench/http-server.sh and scripts/bench/pipeline.sh pass it to wrk (Debian's wrk):
--   wrk -t2 -c64 -d10s -s Benchmarks/peers/wrk/orders.lua http://127.0.0.1:PORT/orders [-- NONCE]
-- Without a NONCE one is made from the clock and a random number.

local thread_count = 0

-- Runs in the main state once per thread, before the threads start.
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

-- Runs in each thread's own state.
function init(args)
  math.randomseed(os.time() * 1000 + thread_number)
  prefix = string.format("%s-%d-", args[1] or string.format("%d%06d", os.time(), math.random(0, 999999)), thread_number)
  sent = 0
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  sent = sent + 1
  return wrk.format(nil, "/orders", nil, '{"id":"' .. prefix .. sent .. '","sku":"bench-sku","qty":1}')
end
