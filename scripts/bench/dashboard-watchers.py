#!/usr/bin/env python3
"""Watchers for the dashboard benchmark: N WebSocket clients (Python asyncio, `websockets`) on
the dashboard's /live feed, each reading every update it gets.

Usage: dashboard-watchers.py URL CLIENTS READY_FILE STOP_FILE RESULT_FILE
Opens CLIENTS connections (50 handshakes at a time), writes READY_FILE once all are open, counts
updates and measures each one's latency until STOP_FILE exists, then writes a JSON summary to
RESULT_FILE. An update's latency is the time from the sampler's reading (the message's `t`, Unix
ms on the dashboard's clock, the same machine's) to its arrival here: sampling, encoding, the
server's sends to every watcher, and this client's own scheduling.
"""
import asyncio
import json
import os
import re
import sys
import time

import websockets

URL, CLIENTS, READY, STOP, RESULT = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
HEAD = re.compile(rb'"type":"(\w+)","seq":(\d+),"t":(\d+)')
latencies, kinds, errors, closed = [], {"snapshot": 0, "tick": 0}, [], []
measuring = False


async def watcher(index, opened):
    try:
        async with websockets.connect(URL, open_timeout=60, close_timeout=5, ping_interval=None, max_size=1 << 22) as ws:
            opened.set_result(True)
            async for message in ws:
                arrived = time.time() * 1000
                head = HEAD.search(message[:120].encode() if isinstance(message, str) else message[:120])
                if head and measuring:
                    kinds[head.group(1).decode()] = kinds.get(head.group(1).decode(), 0) + 1
                    latencies.append(arrived - int(head.group(3)))
            closed.append(ws.close_code)
    except Exception as error:  # a watcher that failed is counted, not fatal
        if not opened.done():
            opened.set_result(False)
        errors.append(f"{type(error).__name__}: {error}")


async def main():
    global measuring
    loop = asyncio.get_running_loop()
    tasks, openings = [], []
    for start in range(0, CLIENTS, 50):
        batch = [loop.create_future() for _ in range(start, min(start + 50, CLIENTS))]
        tasks += [asyncio.create_task(watcher(start + i, opened)) for i, opened in enumerate(batch)]
        openings += batch
        await asyncio.gather(*batch)
    connected = sum(1 for opened in openings if opened.result())
    with open(READY, "w") as ready:
        ready.write(str(connected))
    measuring = True
    started = time.monotonic()
    while not os.path.exists(STOP):
        await asyncio.sleep(0.2)
    measuring = False
    seconds = time.monotonic() - started
    still_open = sum(1 for task in tasks if not task.done())
    for task in tasks:
        task.cancel()
    ordered = sorted(latencies)
    pct = lambda p: round(ordered[min(len(ordered) - 1, max(0, int(p * len(ordered) + 0.5) - 1))], 1) if ordered else None
    summary = {"clients": CLIENTS, "connected": connected, "still_open": still_open, "seconds": round(seconds, 1),
               "updates": len(ordered), "updates_per_client_per_s": round(len(ordered) / max(connected, 1) / max(seconds, 0.001), 2),
               "snapshots": kinds.get("snapshot", 0), "ticks": kinds.get("tick", 0),
               "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": round(ordered[-1], 1) if ordered else None},
               "errors": errors[:5], "error_count": len(errors)}
    with open(RESULT, "w") as result:
        json.dump(summary, result)


asyncio.run(main())
