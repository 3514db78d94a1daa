/// The live dashboard page: one self-contained document (HTML, CSS and plain JavaScript, charts
/// drawn on canvases), compiled into the binary, so it needs no file, CDN or build step at run
/// time. It opens `/live` on its own origin, applies each `snapshot` and `tick`, and reconnects
/// by itself with backoff (0.5 s doubling to 10 s, jittered) when the socket drops.
enum DashboardPage {
    /// Nothing from elsewhere: the inline script and style, and the WebSocket to this origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"

    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>order-pipeline · live</title>
<link rel="icon" href="data:,">
<style>
:root { --bg:#0f1419; --panel:#171e26; --line:#263241; --text:#d8e0e8; --muted:#8594a5;
  --accepted:#5aa9ff; --reserved:#46c98b; --rejected:#ff6b6b; --notified:#c08cff;
  --orders:#ffb547; --notifier:#4fd1d9; --dlq:#ff6b6b; --p50:#46c98b; --p99:#ffb547; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:14px 24px; border-bottom:1px solid var(--line); }
header h1 { font-size:18px; margin:0; font-weight:600; letter-spacing:.2px; }
header h1 span { color:var(--muted); font-weight:400; }
#status { padding:3px 10px; border-radius:999px; font-size:12px; font-weight:600; background:#3a2a12; color:var(--orders); }
#status[data-state="live"] { background:#12331f; color:var(--reserved); }
#status[data-state="offline"] { background:#3a1616; color:var(--rejected); }
#updated { color:var(--muted); font-size:12px; margin-left:auto; font-variant-numeric:tabular-nums; }
main { display:grid; grid-template-columns:repeat(12, 1fr); gap:16px; padding:16px 24px 24px; }
.panel { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:14px 16px; min-width:0; }
.panel h2 { margin:0 0 10px; font-size:12px; text-transform:uppercase; letter-spacing:.8px; color:var(--muted); font-weight:600; }
.stat { grid-column:span 3; }
.stat .value { font-size:30px; font-weight:600; font-variant-numeric:tabular-nums; }
.stat .value small { font-size:13px; color:var(--muted); font-weight:400; }
.stat .total { color:var(--muted); font-size:12px; font-variant-numeric:tabular-nums; }
.stat .swatch { display:inline-block; width:9px; height:9px; border-radius:2px; margin-right:6px; }
.wide { grid-column:span 8; } .side { grid-column:span 4; } .half { grid-column:span 6; }
canvas { width:100%; display:block; }
.legend { display:flex; gap:14px; flex-wrap:wrap; font-size:12px; color:var(--muted); margin-top:6px; }
.legend i { display:inline-block; width:10px; height:3px; border-radius:2px; margin-right:5px; vertical-align:middle; }
.numbers { display:flex; gap:24px; margin-bottom:8px; }
.numbers div { font-variant-numeric:tabular-nums; }
.numbers b { font-size:22px; font-weight:600; display:block; }
.numbers span { color:var(--muted); font-size:12px; }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th { text-align:left; font-size:11px; text-transform:uppercase; letter-spacing:.6px; color:var(--muted); font-weight:600; padding:4px 6px; border-bottom:1px solid var(--line); }
td { padding:5px 6px; border-bottom:1px solid #1d2630; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:220px; }
td.num, th.num { text-align:right; }
.badge { font-size:11px; font-weight:600; padding:1px 8px; border-radius:999px; }
.badge.reserved { background:#12331f; color:var(--reserved); } .badge.rejected { background:#3a1616; color:var(--rejected); }
.badge.notified { background:#2a1c3d; color:var(--notified); } .badge.accepted { background:#13273d; color:var(--accepted); }
.bar { height:6px; border-radius:3px; background:#22303d; overflow:hidden; min-width:80px; }
.bar > div { height:100%; background:var(--reserved); }
.health { display:grid; grid-template-columns:repeat(auto-fill, minmax(150px, 1fr)); gap:10px; }
.service { display:flex; align-items:center; gap:10px; padding:10px 12px; border:1px solid var(--line); border-radius:8px; }
.dot { width:10px; height:10px; border-radius:50%; background:var(--muted); flex:none; }
.dot.ready { background:var(--reserved); box-shadow:0 0 8px var(--reserved); } .dot.not-ready { background:var(--orders); } .dot.down { background:var(--rejected); }
.service small { display:block; color:var(--muted); font-size:11px; }
.empty { color:var(--muted); font-style:italic; padding:8px 6px; }
@media (max-width: 1000px) { .stat { grid-column:span 6; } .wide, .side, .half { grid-column:span 12; } }
</style>
</head>
<body>
<header>
  <h1>order-pipeline <span>· live dashboard</span></h1>
  <span id="status" data-state="connecting">connecting…</span>
  <span id="updated"></span>
</header>
<main>
  <section class="panel stat"><h2><span class="swatch" style="background:var(--accepted)"></span>Accepted</h2><div class="value" id="rate-accepted">–</div><div class="total" id="total-accepted"></div></section>
  <section class="panel stat"><h2><span class="swatch" style="background:var(--reserved)"></span>Reserved</h2><div class="value" id="rate-reserved">–</div><div class="total" id="total-reserved"></div></section>
  <section class="panel stat"><h2><span class="swatch" style="background:var(--rejected)"></span>Rejected</h2><div class="value" id="rate-rejected">–</div><div class="total" id="total-rejected"></div></section>
  <section class="panel stat"><h2><span class="swatch" style="background:var(--notified)"></span>Notified</h2><div class="value" id="rate-notified">–</div><div class="total" id="total-notified"></div></section>

  <section class="panel wide"><h2>Orders per second · last 5 minutes</h2><canvas id="chart-rates" height="220"></canvas>
    <div class="legend"><span><i style="background:var(--accepted)"></i>accepted</span><span><i style="background:var(--reserved)"></i>reserved</span><span><i style="background:var(--rejected)"></i>rejected</span><span><i style="background:var(--notified)"></i>notified</span></div></section>
  <section class="panel side"><h2>End-to-end latency · accepted → notified</h2>
    <div class="numbers"><div><b id="p50">–</b><span>p50, last 10 s</span></div><div><b id="p99">–</b><span>p99, last 10 s</span></div><div><b id="samples">–</b><span>samples</span></div></div>
    <canvas id="chart-latency" height="150"></canvas>
    <div class="legend"><span><i style="background:var(--p50)"></i>p50</span><span><i style="background:var(--p99)"></i>p99</span></div></section>

  <section class="panel half"><h2>Queue depths</h2>
    <div class="numbers"><div><b id="depth-orders">–</b><span>orders.queue</span></div><div><b id="depth-notifier">–</b><span>notifier.queue</span></div><div><b id="depth-dlq">–</b><span>orders.dead (DLQ)</span></div></div>
    <canvas id="chart-depths" height="150"></canvas>
    <div class="legend"><span><i style="background:var(--orders)"></i>orders.queue</span><span><i style="background:var(--notifier)"></i>notifier.queue</span><span><i style="background:var(--dlq)"></i>DLQ</span></div></section>
  <section class="panel half"><h2>Inventory · SKUs seen recently</h2>
    <table><thead><tr><th>SKU</th><th class="num">In stock</th><th></th></tr></thead><tbody id="inventory"></tbody></table></section>

  <section class="panel wide"><h2>Recent orders</h2>
    <table><thead><tr><th>Order</th><th>SKU</th><th class="num">Qty</th><th>State</th><th class="num">Latency</th><th>When</th></tr></thead><tbody id="feed"></tbody></table></section>
  <section class="panel side"><h2>Services</h2><div class="health" id="health"></div></section>
</main>
<script>
"use strict";
const HISTORY = 300;
const colors = name => getComputedStyle(document.documentElement).getPropertyValue("--" + name).trim();
let series = null, last = null, updates = 0, attempt = 0, socket = null, retryTimer = null;
window.dashboard = { get updates() { return updates; }, get last() { return last; } };

const $ = id => document.getElementById(id);
const fmt = n => n == null ? "–" : Number(n).toLocaleString("en-US");
const ms = n => n == null ? "–" : (n >= 10000 ? (n / 1000).toFixed(1) + " s" : n + " ms");
function text(tag, value, cls) { const e = document.createElement(tag); e.textContent = value; if (cls) e.className = cls; return e; }

function setStatus(state, label) { const s = $("status"); s.dataset.state = state; s.textContent = label; }

function connect() {
  clearTimeout(retryTimer);
  setStatus("connecting", attempt ? "reconnecting…" : "connecting…");
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/live");
  socket = ws;
  ws.onopen = () => { attempt = 0; setStatus("live", "live"); };
  ws.onmessage = event => { apply(JSON.parse(event.data)); };
  ws.onclose = () => {
    if (socket !== ws) return;
    const delay = Math.min(10000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt += 1;
    setStatus("offline", "offline · retrying in " + (delay / 1000).toFixed(1) + " s");
    retryTimer = setTimeout(connect, delay);
  };
}

function apply(message) {
  if (message.type === "snapshot" || series === null) {
    series = message.series;
  } else {
    for (const name of Object.keys(message.series)) {
      const values = series[name] || (series[name] = []);
      values.push(...message.series[name]);
      if (values.length > HISTORY) values.splice(0, values.length - HISTORY);
    }
  }
  last = message;
  updates += 1;
  render();
}

function lastValue(values) { return values && values.length ? values[values.length - 1] : null; }

function render() {
  const m = last;
  for (const name of ["accepted", "reserved", "rejected", "notified"]) {
    const rate = lastValue(series[name]);
    $("rate-" + name).innerHTML = "";
    $("rate-" + name).append(fmt(rate), text("small", " /s"));
    $("total-" + name).textContent = fmt(m.totals[name] || 0) + " in all";
  }
  $("updated").textContent = "updated " + new Date(m.t).toLocaleTimeString("en-GB");
  $("p50").textContent = ms(m.latency.p50);
  $("p99").textContent = ms(m.latency.p99);
  $("samples").textContent = fmt(m.latency.samples);
  $("depth-orders").textContent = fmt(m.depths["orders.queue"]);
  $("depth-notifier").textContent = fmt(m.depths["notifier.queue"]);
  $("depth-dlq").textContent = fmt(m.depths["orders.dead"]);
  chart($("chart-rates"), series.t, [["accepted", series.accepted], ["reserved", series.reserved], ["rejected", series.rejected], ["notified", series.notified]], "/s");
  chart($("chart-latency"), series.t, [["p50", series.p50], ["p99", series.p99]], " ms");
  chart($("chart-depths"), series.t, [["orders", series.orders_queue], ["notifier", series.notifier_queue], ["dlq", series.dlq]], "");
  renderInventory(m.inventory);
  renderFeed(m.feed);
  renderHealth(m.health);
}

function renderInventory(items) {
  const body = $("inventory");
  body.replaceChildren();
  if (!items.length) { const row = body.insertRow(); const cell = text("td", "no orders seen yet", "empty"); cell.colSpan = 3; row.append(cell); return; }
  const top = Math.max(1, ...items.map(i => i.level || 0));
  for (const item of items) {
    const row = body.insertRow();
    row.dataset.sku = item.sku;
    const bar = document.createElement("div"); bar.className = "bar";
    const fill = document.createElement("div"); fill.style.width = (100 * (item.level || 0) / top) + "%"; bar.append(fill);
    const cell = document.createElement("td"); cell.append(bar);
    row.append(text("td", item.sku), text("td", item.level == null ? "unknown" : fmt(item.level), "num"), cell);
  }
}

function renderFeed(items) {
  const body = $("feed");
  body.replaceChildren();
  if (!items.length) { const row = body.insertRow(); const cell = text("td", "no orders yet", "empty"); cell.colSpan = 6; row.append(cell); return; }
  for (const item of items) {
    const row = body.insertRow();
    row.dataset.id = item.id;
    row.dataset.state = item.state;
    const state = document.createElement("td");
    state.append(text("span", item.state, "badge " + item.state));
    if (item.reason) state.append(text("span", " " + item.reason.replace("_", " "), ""));
    if (item.notified && item.state !== "notified") state.append(text("span", " · notified", ""));
    row.append(text("td", item.id), text("td", item.sku), text("td", fmt(item.qty), "num"), state,
               text("td", ms(item.latency_ms), "num"), text("td", new Date(item.t).toLocaleTimeString("en-GB")));
  }
}

function renderHealth(services) {
  const box = $("health");
  box.replaceChildren();
  for (const service of services) {
    const card = document.createElement("div"); card.className = "service"; card.dataset.service = service.name; card.dataset.status = service.status;
    const dot = document.createElement("span"); dot.className = "dot " + service.status.replace(" ", "-");
    const label = document.createElement("div");
    label.append(text("span", service.name), text("small", service.status + (service.ms != null ? " · " + service.ms + " ms" : "")));
    card.append(dot, label);
    box.append(card);
  }
}

function niceMax(value) {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function chart(canvas, times, lines, unit) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.height / (canvas._ratio || 1);
  canvas._ratio = ratio;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const left = 52, right = 8, top = 8, bottom = 20;
  const plotW = width - left - right, plotH = height - top - bottom;
  const now = times && times.length ? times[times.length - 1] : Date.now();
  const start = now - HISTORY * 1000;
  let max = 0;
  for (const [, values] of lines) for (const v of values || []) if (v != null && v > max) max = v;
  max = niceMax(max);
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = colors("muted"); g.strokeStyle = colors("line"); g.lineWidth = 1;
  g.textAlign = "right"; g.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - plotH * i / 4;
    g.beginPath(); g.moveTo(left, Math.round(y) + 0.5); g.lineTo(width - right, Math.round(y) + 0.5); g.stroke();
    g.fillText(fmt(Math.round(max * i / 4 * 100) / 100) + unit, left - 6, y);
  }
  g.textAlign = "center"; g.textBaseline = "alphabetic";
  for (let minute = 5; minute >= 0; minute--) {
    const x = left + plotW * (1 - minute / 5);
    g.fillText(minute ? "−" + minute + " min" : "now", Math.min(Math.max(x, left + 20), width - right - 14), height - 4);
  }
  for (const [name, values] of lines) {
    g.strokeStyle = colors(name); g.lineWidth = 2; g.lineJoin = "round";
    g.fillStyle = colors(name);
    g.beginPath();
    const point = i => values[i] != null && times[i] != null && times[i] >= start;
    (values || []).forEach((v, i) => {
      if (!point(i)) return;
      const x = left + plotW * (times[i] - start) / (HISTORY * 1000), y = top + plotH - plotH * v / max;
      if (i > 0 && point(i - 1)) g.lineTo(x, y); else g.moveTo(x, y);
      // A point with no neighbour on either side would draw nothing: a dot shows it.
      if (!(i > 0 && point(i - 1)) && !(i + 1 < values.length && point(i + 1))) g.fillRect(x - 1.5, y - 1.5, 3, 3);
    });
    g.stroke();
  }
}

window.addEventListener("resize", () => { if (last) render(); });
connect();
</script>
</body>
</html>
"""#
}
