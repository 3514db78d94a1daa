#!/usr/bin/env python3
"""Checks the live dashboard in real clients, against running services (scripts/interop/dashboard.sh
starts them and this script starts and restarts order-dashboard itself):

1. Python's `websockets` client on ws://.../live: the handshake, a snapshot then ticks in sequence,
   ping and pong, a clean close, another site's origin refused (403), a plain GET refused (400).
2. Headless Chromium driven by Selenium: the page loads with no console errors, shows orders
   posted to the gateway (counters and feed) within 2 s, reconnects by itself after the dashboard
   process restarts, and a screenshot is saved.

Usage: dashboard-check.py  (settings in the environment: DASHBOARD_BIN, DASHBOARD_PORT,
GATEWAY_PORT, ARTIFACTS; the dashboard's own settings are passed on to it)
Prints one line per check and exits 1 at the first failure.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import websockets
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

DASHBOARD_PORT = int(os.environ["DASHBOARD_PORT"])
GATEWAY_PORT = int(os.environ["GATEWAY_PORT"])
ARTIFACTS = os.environ.get("ARTIFACTS", ".local/artifacts")
LIVE = f"ws://127.0.0.1:{DASHBOARD_PORT}/live"
PAGE = f"http://127.0.0.1:{DASHBOARD_PORT}/"
TIMEOUT = 10

signal.alarm(300)  # nothing here may hang the test run
dashboard = None


def check(condition, what):
    if not condition:
        print(f"FAIL {what}", flush=True)
        sys.exit(1)
    print(f"ok   {what}", flush=True)


def http(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None, b""


def start_dashboard():
    global dashboard
    log = open(os.path.join(ARTIFACTS, "order-dashboard.log"), "ab")
    dashboard = subprocess.Popen([os.environ["DASHBOARD_BIN"]], stderr=log, stdout=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if http("GET", PAGE + "readyz")[0] == 200:
            return
        if dashboard.poll() is not None:
            check(False, f"order-dashboard exited with {dashboard.returncode} (log in {ARTIFACTS}/order-dashboard.log)")
        time.sleep(0.1)
    check(False, "order-dashboard ready within 60 s")


def stop_dashboard():
    dashboard.send_signal(signal.SIGTERM)
    dashboard.wait(timeout=30)


def post_orders(count, skus=("ABC", "XYZ", "NOPE")):
    ids, statuses = [], []
    for index in range(count):
        order_id = f"dash-{uuid.uuid4().hex[:10]}"
        body = json.dumps({"id": order_id, "email": "someone@example.com", "sku": skus[index % len(skus)], "qty": 1 + index % 3})
        status, _ = http("POST", f"http://127.0.0.1:{GATEWAY_PORT}/orders", body.encode(), {"Content-Type": "application/json"})
        statuses.append(status)
        ids.append(order_id)
    if any(status != 202 for status in statuses):
        check(False, f"the gateway accepted the orders posted ({statuses})")
    return ids


def websocket_checks():
    with connect(LIVE, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        check(ws.response.status_code == 101, "the feed's handshake answered 101 (websockets checked Sec-WebSocket-Accept)")
        raw = ws.recv(timeout=TIMEOUT)
        first = json.loads(raw)
        check(first["type"] == "snapshot", f"the first message is a snapshot ({len(raw)} bytes, {len(first['series']['t'])} points)")
        for key in ("series", "totals", "depths", "latency", "inventory", "feed", "health"):
            check(key in first, f"the snapshot has {key}")
        lengths = {len(values) for values in first["series"].values()}
        check(len(lengths) == 1, f"every series has the same length ({lengths})")
        check(all("email" not in item for item in first["feed"]) and "@" not in json.dumps(first["feed"]), "no e-mail address in the feed")
        raw = ws.recv(timeout=TIMEOUT)
        second = json.loads(raw)
        check(second["type"] == "tick" and second["seq"] == first["seq"] + 1, f"then ticks, in sequence ({len(raw)} bytes)")
        check(all(len(values) == 1 for values in second["series"].values()), "a tick carries the newest point of each series")
        check(ws.ping(b"alive?").wait(TIMEOUT), "a ping is answered")
        ws.close(1000, "done")
        check(ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000, "close 1000 echoed")
    try:
        with connect(LIVE, origin="http://evil.example", open_timeout=TIMEOUT):
            check(False, "another site's origin refused")
    except InvalidStatus as refusal:
        check(refusal.response.status_code == 403, "another site's page refused with 403")
    with connect(LIVE, origin=f"http://127.0.0.1:{DASHBOARD_PORT}", open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        check(json.loads(ws.recv(timeout=TIMEOUT))["type"] == "snapshot", "the page's own origin allowed")
    check(http("GET", f"http://127.0.0.1:{DASHBOARD_PORT}/live")[0] == 400, "a GET without Upgrade refused with 400")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars", "--window-size=1440,1500"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_for(what, condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    check(False, what)


def severe(driver, allowed=()):
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and not any(text in entry["message"] for text in allowed)]


def browser_checks():
    driver = browser()
    try:
        driver.get(PAGE)
        state = lambda: driver.find_element(By.ID, "status").get_attribute("data-state")
        wait_for("the page connects", lambda: state() == "live" and driver.execute_script("return window.dashboard.updates") > 0, 15)
        check(True, "the page loaded and its feed is live")
        errors = severe(driver)
        check(not errors, f"no console errors on load {errors}")

        accepted = lambda: driver.find_element(By.ID, "total-accepted").text
        before = accepted()
        ids = post_orders(12)
        posted = time.monotonic()
        wait_for("the accepted counter changes within 2 s", lambda: accepted() != before, 2)
        rows = lambda: {row.get_attribute("data-id") for row in driver.find_elements(By.CSS_SELECTOR, "#feed tr[data-id]")}
        wait_for("the feed shows the new orders within 2 s", lambda: rows() & set(ids), max(0.1, 2 - (time.monotonic() - posted)))
        check(True, f"counters and feed changed {time.monotonic() - posted:.2f} s after the orders were posted")
        check("someone@example.com" not in driver.page_source, "no e-mail address on the page")

        stop_dashboard()
        wait_for("the page notices the dashboard went away", lambda: state() == "offline", 10)
        check(True, "the page shows it is offline while the dashboard is down")
        start_dashboard()
        restarted = time.monotonic()
        updates = driver.execute_script("return window.dashboard.updates")
        wait_for("the page reconnects by itself", lambda: state() == "live" and driver.execute_script("return window.dashboard.updates") > updates, 20)
        check(True, f"the page reconnected by itself {time.monotonic() - restarted:.1f} s after the dashboard came back")
        errors = severe(driver, allowed=("WebSocket connection to",))
        check(not errors, f"no console errors besides the refused reconnection attempts {errors}")

        # A fuller picture for the screenshot: a few more seconds of orders at changing rates.
        for second in range(8):
            post_orders(6 + 4 * (second % 4))
            time.sleep(1)
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, "dashboard.png")
        check(driver.save_screenshot(path), f"screenshot saved to {path}")
    finally:
        driver.quit()


print(f"websockets {websockets.__version__}, dashboard on 127.0.0.1:{DASHBOARD_PORT}, gateway on {GATEWAY_PORT}", flush=True)
os.makedirs(ARTIFACTS, exist_ok=True)
start_dashboard()
try:
    post_orders(3)
    websocket_checks()
    browser_checks()
finally:
    if dashboard.poll() is None:
        stop_dashboard()
print("all dashboard checks passed", flush=True)
