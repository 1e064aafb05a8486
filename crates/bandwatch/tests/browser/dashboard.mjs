// Headless-browser checks of the bandwatch dashboard, run by a Rust integration test:
//
//   node dashboard.mjs --url http://127.0.0.1:PORT/ --out DIR [--token T] [--expect-rx-mbps X]
//                      [--iface eth0] [--go-timeout 120] [--chromium /usr/bin/chromium]
//
// Prints one JSON line per check on stdout ({"check", "ok", "detail"}) and exits 1 when any
// failed. Between the "live numbers" steps it prints {"check":"ready-for-traffic"} and waits
// for a line "go" on stdin (the test then multiplies the traffic). Needs playwright-core
// (package.json here; `npm ci`) and Chromium at /usr/bin/chromium; no browser is downloaded.

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const XSS_NAME = '<img src=x onerror=alert(1)>';
const READY_TIMEOUT_MS = 15000;
const LIVE_WINDOW_MS = 2000;

// ------------------------------------------------------------------ arguments
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    if (eq > 0) {
      out[a.slice(2, eq)] = a.slice(eq + 1);
    } else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      out[a.slice(2)] = v;
      i += 1;
    }
  }
  return out;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
  if (!args.url) throw new Error('--url is required (e.g. --url http://127.0.0.1:8080/)');
  if (!args.out) throw new Error('--out DIR is required');
} catch (e) {
  process.stderr.write(`dashboard.mjs: ${e.message}\n`);
  process.exit(2);
}
const IFACE = args.iface || 'eth0';
const EXPECT_RX = args['expect-rx-mbps'] === undefined ? null : Number(args['expect-rx-mbps']);
const GO_TIMEOUT_MS = Number(args['go-timeout'] || 120) * 1000;
const CHROMIUM = args.chromium || '/usr/bin/chromium';
fs.mkdirSync(args.out, { recursive: true });

// ------------------------------------------------------------------ reporting
let failures = 0;
function report(check, ok, detail) {
  if (!ok) failures += 1;
  process.stdout.write(`${JSON.stringify({ check, ok, detail: detail === undefined ? null : detail })}\n`);
}

// stdin lines, read from the start so none is lost
const stdinLines = [];
let stdinClosed = false;
const lineWaiters = [];
const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (l) => {
  stdinLines.push(l.trim());
  for (const w of lineWaiters.splice(0)) w();
});
rl.on('close', () => {
  stdinClosed = true;
  for (const w of lineWaiters.splice(0)) w();
});

async function waitForLine(word, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = stdinLines.indexOf(word);
    if (i >= 0) { stdinLines.splice(0, i + 1); return; }
    if (stdinClosed) throw new Error(`stdin closed before a line '${word}' came`);
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no line '${word}' on stdin within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => {
      const t = setTimeout(resolve, left);
      lineWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }
}

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

/** Polls `fn` every `everyMs` until it returns a truthy value or `timeoutMs` passes. */
async function poll(fn, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last && last.done) return last;
    if (Date.now() >= deadline) return last || { done: false };
    await sleep(everyMs);
  }
}

// ------------------------------------------------------------------ page helpers
/** Bits per second from the card text ("12.5 Mbps", "980 kbps", "—" is NaN). */
function parseRate(text) {
  const m = /(-?\d+(?:\.\d+)?)\s*(bps|kbps|Mbps|Gbps)/.exec(text || '');
  if (!m) return NaN;
  const mult = { bps: 1, kbps: 1e3, Mbps: 1e6, Gbps: 1e9 }[m[2]];
  return Number(m[1]) * mult;
}

function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function attrSelector(name, value) {
  return `[${name}="${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"]`;
}

async function waitReady(page, what) {
  try {
    await page.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS, state: 'attached' });
  } catch (_) {
    const banner = await page.evaluate(() => {
      const b = document.querySelector('#banner');
      return b && !b.hidden ? b.textContent : null;
    }).catch(() => null);
    throw new Error(`${what}: body[data-ready="1"] did not appear within ${READY_TIMEOUT_MS / 1000} s${banner ? ` (page says: ${banner})` : ''}`);
  }
}

/** What chart `id` has drawn (its read-only `chartView`), or {error}. */
async function chartView(page, id) {
  return page.evaluate((elId) => {
    const el = document.getElementById(elId);
    if (!el) return { error: `no element #${elId}` };
    const v = el.chartView;
    if (!v) return { error: `#${elId} has not drawn a chart (no chartView)` };
    return v;
  }, id);
}

/** The interface's download series and the shown x-range, from its chart. */
async function bandwidthTrace(page, iface) {
  const v = await chartView(page, `chart-bandwidth-${iface}`);
  if (v.error) return v;
  const t = v.series.find((d) => d.meta && d.meta.iface === iface && d.meta.dir === 'rx');
  if (!t) return { error: `#chart-bandwidth-${iface} has no download series`, names: v.series.map((d) => d.name) };
  return { x: t.x, y: t.y, range: v.x, view: v };
}

async function xSpanSeconds(page, iface) {
  const t = await bandwidthTrace(page, iface);
  if (t.error) return { error: t.error };
  if (!Array.isArray(t.range) || t.range.length !== 2) return { error: 'chartView.x is not a range' };
  return { span: (t.range[1] - t.range[0]) / 1000, range: t.range, zoomed: t.view.zoomed };
}

/** The page position (CSS px) of time `t` on chart `view`, at `frac` of the plot's height. */
async function chartPoint(page, id, view, t, frac = 0.5) {
  const box = await page.locator(`${attrSelector('id', id)} .chart-over`).boundingBox();
  const p = view.plot;
  const x = box.x + p.x + ((t - view.x[0]) / (view.x[1] - view.x[0])) * p.w;
  return { x, y: box.y + p.y + p.h * frac };
}

async function rateText(page) {
  return page.evaluate((sel) => {
    const e = document.querySelector(sel);
    return e ? e.textContent : null;
  }, `#ifaces ${attrSelector('data-iface', IFACE)} .rx`);
}

// ------------------------------------------------------------------ the checks
async function main(state) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    timeout: 30000,
  });
  state.browser = browser;
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const consoleErrors = [];
  const consoleWarnings = [];
  const pageErrors = [];
  const dialogs = [];
  state.problems = { consoleErrors, pageErrors, dialogs };
  page.on('console', (m) => {
    const loc = m.location();
    const where = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
    if (m.type() === 'error') consoleErrors.push(`${m.text()}${where}`);
    else if (m.type() === 'warning') consoleWarnings.push(`${m.text()}${where}`);
  });
  page.on('pageerror', (e) => pageErrors.push(String(e && e.stack ? e.stack : e)));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });

  // 1. the page loads
  const start = new URL(args.url);
  if (args.token) start.searchParams.set('token', args.token);
  let loaded = false;
  try {
    const t0 = Date.now();
    const resp = await page.goto(start.toString(), { waitUntil: 'domcontentloaded', timeout: READY_TIMEOUT_MS });
    if (!resp || !resp.ok()) throw new Error(`GET ${start.pathname} answered ${resp ? resp.status() : 'nothing'}`);
    await waitReady(page, 'first load');
    loaded = true;
    const clean = consoleErrors.length === 0 && pageErrors.length === 0 && dialogs.length === 0;
    report('page-loads', clean, {
      ms: Date.now() - t0, url: page.url(), console_errors: consoleErrors.slice(), page_errors: pageErrors.slice(),
      dialogs: dialogs.slice(), console_warnings: consoleWarnings.slice(),
    });
  } catch (e) {
    report('page-loads', false, { error: e.message, console_errors: consoleErrors.slice(), page_errors: pageErrors.slice() });
  }
  if (loaded) {
    // 1b. only the page's own scripts: no chart library, nothing from another host
    try {
      const r = await page.evaluate(() => ({
        origin: location.origin,
        resources: performance.getEntriesByType('resource').map((e) => e.name),
        scripts: [...document.scripts].map((x) => x.src),
        plotly: typeof window.Plotly !== 'undefined',
      }));
      const foreign = r.resources.filter((u) => !u.startsWith(r.origin));
      const ok = !foreign.length && !r.plotly && r.scripts.length === 1 && r.scripts[0] === `${r.origin}/assets/app.js`;
      report('no-third-party', ok, { foreign, scripts: r.scripts, global_plotly: r.plotly, resources: r.resources.length });
    } catch (e) {
      report('no-third-party', false, { error: e.message });
    }
  }
  if (!loaded) {
    for (const c of ['bandwidth-data', 'range-selector', 'chart-units', 'chart-hover', 'chart-zoom', 'live-numbers', 'acknowledge', 'xss', 'phone', 'hidpi', 'desktop']) {
      report(c, false, { error: 'skipped: the page never became ready' });
    }
    return;
  }

  // 2. the bandwidth chart holds the generated traffic
  try {
    const t = await bandwidthTrace(page, IFACE);
    if (t.error) throw new Error(t.error);
    // the chart holds bits/s
    const ys = t.y.filter((v) => typeof v === 'number' && Number.isFinite(v)).map((v) => v / 1e6);
    const med = median(ys);
    let ok = ys.length >= 5;
    const detail = { iface: IFACE, points: ys.length, median_mbps: med };
    if (EXPECT_RX !== null) {
      detail.expect_mbps = EXPECT_RX;
      detail.off_by = EXPECT_RX ? Math.abs(med - EXPECT_RX) / EXPECT_RX : null;
      ok = ok && Number.isFinite(med) && Math.abs(med - EXPECT_RX) <= 0.15 * EXPECT_RX;
    }
    if (ys.length < 5) detail.error = `only ${ys.length} points (need at least 5)`;
    report('bandwidth-data', ok, detail);
  } catch (e) {
    report('bandwidth-data', false, { error: e.message });
  }

  // 3. the range selector sets the x-axis range
  try {
    const spans = {};
    let ok = true;
    for (const [key, seconds] of [['5m', 300], ['24h', 86400], ['5m', 300]]) {
      await page.selectOption('#range', key);
      const r = await poll(async () => {
        const s = await xSpanSeconds(page, IFACE);
        return { ...s, done: !s.error && Math.abs(s.span - seconds) <= 0.05 * seconds };
      }, 10000);
      const label = spans[key] === undefined ? key : `${key} again`;
      spans[label] = r.error ? r.error : r.span;
      if (!r.done) ok = false;
    }
    await waitReady(page, 'after the range change');
    report('range-selector', ok, { iface: IFACE, span_seconds: spans, expected: { '5m': 300, '24h': 86400 } });
  } catch (e) {
    report('range-selector', false, { error: e.message });
  }

  // 3b. the chart's axis arithmetic, in the page's own modules and the browser's time zone
  try {
    const r = await page.evaluate(async () => {
      const scale = await import('/assets/js/chart/scale.js');
      const time = await import('/assets/js/chart/time.js');
      const data = await import('/assets/js/chart/data.js');
      const fmt = await import('/assets/js/format.js');
      const local = (h, m = 0) => new Date(2026, 2, 10, h, m, 0, 0).getTime();
      const D = 86400000;
      const clock = (ticks) => ticks.map(({ t }) => {
        const d = new Date(t);
        return [d.getHours(), d.getMinutes(), d.getSeconds()];
      });
      const t5m = time.timeTicks(local(10, 0) - 20000, local(10, 5) - 20000, 8);
      const t24h = time.timeTicks(local(0, 30), local(0, 30) + D, 8);
      const t30d = time.timeTicks(local(12), local(12) + 30 * D, 8);
      const t400d = time.timeTicks(local(12), local(12) + 400 * D, 8);
      return {
        nice: [0.7, 13, 2.2, 45, 100].map(scale.niceStep),
        bw: scale.valueAxis({ min: 0 }, [0, 19.2e6], 5).ticks,
        pct: scale.valueAxis({ min: 0, max: 100 }, [3, 40], 5).ticks,
        empty: scale.valueAxis({ min: 0, span: 1e6 }, null, 4).ticks,
        ticks: [
          fmt.fmtTick('bits_per_second', 0, 5e6),
          fmt.fmtTick('bits_per_second', 2.5e6, 2.5e6),
          fmt.fmtTick('bits_per_second', 5e5, 2.5e5),
          fmt.fmtTick('bits_per_second', 1.25e6, 2.5e5),
          fmt.fmtTick('percent', 25, 25),
          fmt.fmtTick('seconds', 0.004, 0.002),
        ],
        t5m: { step: t5m.step, clock: clock(t5m.ticks), labels: t5m.ticks.map((k) => k.label) },
        t400dLabels: t400d.ticks.map((k) => k.label),
        seen: fmt.fmtTime(local(9, 5) + 7000),
        t24h: { step: t24h.step, clock: clock(t24h.ticks), midnightLabel: t24h.ticks.find((k) => new Date(k.t).getHours() === 0)?.label },
        t30d: { step: t30d.step, clock: clock(t30d.ticks) },
        t400d: { step: t400d.step, days: t400d.ticks.map(({ t }) => new Date(t).getDate()), months: t400d.ticks.map(({ t }) => new Date(t).getMonth()) },
        gap: data.gapMs([0, 1000, 2000, 3000, 4000], 1000),
        gapSparse: data.gapMs([0, 10000, 20000, 30000], 1000),
        nearest: [data.nearestIndex([0, 10, 20], 14), data.nearestIndex([0, 10, 20], 16), data.nearestIndex([], 3)],
        at: [data.valueAt({ x: [0, 1000, 2000], y: [5, 6, 7] }, 1100, 1000), data.valueAt({ x: [0, 1000], y: [5, 6] }, 9000, 1000)],
      };
    });
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const expect = {
      nice: [1, 20, 2.5, 50, 100],
      bw: [0, 5e6, 10e6, 15e6, 20e6, 25e6],
      pct: [0, 20, 40, 60, 80, 100],
      empty: [0, 250000, 500000, 750000, 1000000],
      ticks: ['0', '2.5 Mbps', '500 kbps', '1.25 Mbps', '25 %', '4 ms'],
      gap: 3000,
      gapSparse: 30000,
      nearest: [1, 2, -1],
      at: [6, null],
    };
    const wrong = Object.keys(expect).filter((k) => !same(r[k], expect[k]));
    if (r.t5m.step !== 60000 || r.t5m.clock.length !== 5 || r.t5m.clock.some(([, , sec]) => sec !== 0)
      || !same(r.t5m.labels, ['10:00', '10:01', '10:02', '10:03', '10:04'])) wrong.push('t5m');
    // local times are written out (24-hour clock, English month names), not by Intl
    if (r.t24h.midnightLabel !== 'Mar 11' || !same(r.t400dLabels, ['May', 'Jul', 'Sep', 'Nov', 'Jan 2027', 'Mar']) || r.seen !== 'Mar 10, 09:05:07') wrong.push('time-labels');
    if (r.t24h.step !== 3 * 3600000 || r.t24h.clock.some(([h, m]) => h % 3 || m) || !r.t24h.midnightLabel || r.t24h.midnightLabel.includes(':')) wrong.push('t24h');
    if (r.t30d.step !== 7 * 86400000 || r.t30d.clock.some(([h, m]) => h || m)) wrong.push('t30d');
    if (r.t400d.days.some((d) => d !== 1) || r.t400d.months.some((m) => m % 2) || r.t400d.days.length > 8) wrong.push('t400d');
    report('chart-units', wrong.length === 0, { wrong, got: r });
  } catch (e) {
    report('chart-units', false, { error: e.message });
  }

  // 3c. hovering over the bandwidth chart shows every series' value at the nearest time
  const bwId = `chart-bandwidth-${IFACE}`;
  try {
    const t = await bandwidthTrace(page, IFACE);
    if (t.error) throw new Error(t.error);
    const inside = t.x.filter((x) => x >= t.range[0] && x <= t.range[1]);
    if (inside.length < 3) throw new Error(`only ${inside.length} points in the shown range`);
    const at = inside[Math.floor(inside.length / 2)];
    const p = await chartPoint(page, bwId, t.view, at, 0.4);
    await page.mouse.move(p.x, p.y, { steps: 3 });
    const tip = await poll(() => page.evaluate((id) => {
      const el = document.getElementById(id).querySelector('.chart-tip');
      if (!el || el.hidden) return { done: false };
      return {
        done: true,
        text: el.textContent,
        rows: [...el.querySelectorAll('.tip-row')].map((r) => [r.querySelector('.tip-name').textContent, r.querySelector('.tip-value').textContent]),
        elements: [...el.querySelectorAll('*')].map((x) => x.tagName.toLowerCase()).filter((n) => n !== 'div' && n !== 'span' && n !== 'b'),
      };
    }, bwId), 3000);
    const down = tip.rows ? tip.rows.find(([n]) => n === 'download') : null;
    const value = down ? parseRate(down[1]) : NaN;
    // the generated traffic never stops, so the value is positive when a rate is expected
    const ok = Boolean(tip.done) && Number.isFinite(value) && (EXPECT_RX === null || value > 0)
      && tip.rows.length === t.view.series.filter((x) => !x.hidden).length && tip.elements.length === 0;
    const file = path.join(args.out, 'chart-hover.png');
    await page.locator(attrSelector('id', bwId)).screenshot({ path: file });
    report('chart-hover', ok, { tooltip: tip.text || null, rows: tip.rows || null, download_bps: value, screenshot: file });
    await page.mouse.move(2, 2);
  } catch (e) {
    report('chart-hover', false, { error: e.message });
  }

  // 3d. dragging across a chart zooms every chart to that time; double-click and the
  // "Reset zoom" button go back to the chosen range
  try {
    const before = await bandwidthTrace(page, IFACE);
    if (before.error) throw new Error(before.error);
    const v = before.view;
    const [a0, a1] = v.x;
    // over the data (the history may cover only the right part of the range)
    const first = before.x.find((x) => x >= a0);
    const firstFrac = first === undefined ? 0.3 : (first - a0) / (a1 - a0);
    const from = a0 + (a1 - a0) * Math.min(0.9, Math.max(0.3, firstFrac + 0.02));
    const to = a0 + (a1 - a0) * 0.98;
    const steps = {};
    const drag = async () => {
      const p0 = await chartPoint(page, bwId, v, from);
      const p1 = await chartPoint(page, bwId, v, to);
      await page.mouse.move(p0.x, p0.y);
      await page.mouse.down();
      await page.mouse.move(p1.x, p1.y, { steps: 8 });
      await page.mouse.up();
      return poll(async () => {
        const s = await xSpanSeconds(page, IFACE);
        return { ...s, done: !s.error && s.zoomed };
      }, 3000);
    };
    const zoomedView = async () => page.evaluate(() => ({
      ranges: [...document.querySelectorAll('.chart')].filter((c) => c.chartView).map((c) => [c.id, c.chartView.x, c.chartView.zoomed]),
      resetShown: [...document.querySelectorAll('.chart-reset')].filter((b) => !b.hidden).length,
      live: document.querySelector('#live-toggle').textContent,
    }));
    const z = await drag();
    const pxMs = (a1 - a0) / v.plot.w;
    const tol = 3 * pxMs;
    const zr = z.range || [NaN, NaN];
    steps.zoom = { range: zr, wanted: [from, to], span_s: z.span };
    let ok = Boolean(z.done) && Math.abs(zr[0] - from) <= tol && Math.abs(zr[1] - to) <= tol;
    const all = await zoomedView();
    steps.all_charts = all;
    ok = ok && all.ranges.length > 1 && all.ranges.every(([, r, zz]) => zz && r[0] === zr[0] && r[1] === zr[1]);
    ok = ok && all.resetShown === all.ranges.length && all.live === 'Follow live';
    const file = path.join(args.out, 'chart-zoom.png');
    await page.locator(attrSelector('id', bwId)).screenshot({ path: file });
    steps.screenshot = file;
    // a live frame does not move a zoomed chart
    await sleep(1500);
    const still = await xSpanSeconds(page, IFACE);
    steps.after_live = still.range;
    ok = ok && still.range && still.range[0] === zr[0] && still.range[1] === zr[1];

    const back = async (what, act) => {
      await act();
      const r = await poll(async () => {
        const s = await xSpanSeconds(page, IFACE);
        return { ...s, done: !s.error && !s.zoomed && Math.abs(s.span - 300) <= 15 };
      }, 3000);
      const after = await zoomedView();
      steps[what] = { span_s: r.span, reset_shown: after.resetShown, live: after.live };
      return Boolean(r.done) && after.resetShown === 0 && after.live === 'Pause' && after.ranges.every(([, , zz]) => !zz);
    };
    const p = await chartPoint(page, bwId, v, a0 + (a1 - a0) * 0.5);
    ok = await back('double_click', () => page.mouse.dblclick(p.x, p.y)) && ok;
    const again = await drag();
    ok = ok && Boolean(again.done);
    ok = await back('reset_button', () => page.click(`${attrSelector('id', bwId)} .chart-reset`)) && ok;
    await page.mouse.move(2, 2);
    report('chart-zoom', ok, steps);
  } catch (e) {
    report('chart-zoom', false, { error: e.message });
  }

  // 4. live numbers follow the traffic
  try {
    const streaming = await poll(async () => ({
      done: await page.evaluate(() => Boolean(document.body.dataset.lastFrame)),
    }), 5000);
    const beforeText = await rateText(page);
    const before = parseRate(beforeText);
    process.stdout.write(`${JSON.stringify({ check: 'ready-for-traffic' })}\n`);
    await waitForLine('go', GO_TIMEOUT_MS);
    const t0 = Date.now();
    const r = await poll(async () => {
      const text = await rateText(page);
      const v = parseRate(text);
      return { text, v, done: Number.isFinite(v) && v > 0 && v >= 2 * before };
    }, LIVE_WINDOW_MS);
    report('live-numbers', Boolean(r.done), {
      iface: IFACE, before: beforeText, after: r.text, ms: Date.now() - t0,
      stream_seen_before: streaming.done,
      ...(r.done ? {} : { error: `the download value did not reach 2x ${beforeText} within ${LIVE_WINDOW_MS} ms` }),
    });
  } catch (e) {
    report('live-numbers', false, { error: e.message });
  }

  // 5. acknowledging an alert sticks across a reload
  try {
    const id = await page.evaluate(() => {
      const li = [...document.querySelectorAll('#alerts [data-alert-id]')].find((x) => x.querySelector('button.ack'));
      return li ? li.getAttribute('data-alert-id') : null;
    });
    if (!id) throw new Error('no alert with an Acknowledge button (.ack) in #alerts');
    const item = `#alerts ${attrSelector('data-alert-id', id)}`;
    await page.click(`${item} button.ack`);
    const ackedNow = (sel) => page.evaluate((s) => {
      const li = document.querySelector(s);
      if (!li) return { done: false, why: 'item gone' };
      const marker = li.querySelector('.acked');
      return { done: !li.querySelector('button.ack') && Boolean(marker), text: marker ? marker.textContent : null };
    }, sel);
    const first = await poll(() => ackedNow(item), 5000);
    if (!first.done) throw new Error(`alert ${id} did not show as acknowledged within 5 s after the click`);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitReady(page, 'reload after acknowledging');
    const after = await poll(() => ackedNow(item), 3000);
    report('acknowledge', Boolean(after.done), {
      id, marker: after.text || null,
      ...(after.done ? {} : { error: `after a reload alert ${id} ${after.why || 'is not shown as acknowledged'}` }),
    });
  } catch (e) {
    report('acknowledge', false, { error: e.message });
  }

  // 6. hostile names are shown as text, never run
  try {
    const r = await page.evaluate((name) => {
      const dev = document.querySelector('#devices');
      return {
        shown: Boolean(dev && dev.textContent.includes(name)),
        imgs: [...document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length,
      };
    }, XSS_NAME);
    const ok = r.shown && r.imgs === 0 && dialogs.length === 0;
    report('xss', ok, { literal_shown: r.shown, img_src_x: r.imgs, dialogs: dialogs.slice() });
  } catch (e) {
    report('xss', false, { error: e.message });
  }

  // 7. phone size: one column, no horizontal scrolling
  try {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitReady(page, 'reload at phone size');
    await sleep(300);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    const file = path.join(args.out, 'dashboard-phone.png');
    await page.screenshot({ path: file, fullPage: true });
    report('phone', w <= 390, { scroll_width: w, screenshot: file });
  } catch (e) {
    report('phone', false, { error: e.message });
  }

  // 7b. HiDPI: a chart's canvas has a pixel for each device pixel
  try {
    const ctx2 = await browser.newContext({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 2 });
    const p2 = await ctx2.newPage();
    const errors = [];
    p2.on('pageerror', (e) => errors.push(String(e)));
    await p2.goto(page.url(), { waitUntil: 'domcontentloaded' });
    await waitReady(p2, 'load at device scale 2');
    const v = await chartView(p2, bwId);
    await ctx2.close();
    if (v.error) throw new Error(v.error);
    const ok = v.dpr === 2 && v.backing.w === Math.round(v.css.w * 2) && v.backing.h === Math.round(v.css.h * 2) && !errors.length;
    report('hidpi', ok, { dpr: v.dpr, css: v.css, backing: v.backing, page_errors: errors });
  } catch (e) {
    report('hidpi', false, { error: e.message });
  }

  // 8. desktop screenshot and time to the first chart
  try {
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitReady(page, 'reload at desktop size');
    await sleep(300);
    const firstChart = await page.evaluate(() => {
      const m = performance.getEntriesByName('bandwatch:first-chart', 'mark')[0];
      return m ? Math.round(m.startTime) : null;
    });
    const file = path.join(args.out, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    report('desktop', firstChart !== null, {
      first_chart_ms: firstChart, screenshot: file,
      ...(firstChart === null ? { error: "no performance mark 'bandwatch:first-chart'" } : {}),
    });
  } catch (e) {
    report('desktop', false, { error: e.message });
  }
}

// ------------------------------------------------------------------ run, always close
const state = { browser: null, problems: null };
const WATCHDOG_MS = 150000 + GO_TIMEOUT_MS;
let finished = false;

async function finish(code) {
  if (finished) return;
  finished = true;
  if (state.browser) await state.browser.close().catch(() => {});
  rl.close();
  process.exit(code);
}

const watchdog = setTimeout(() => {
  report('watchdog', false, { error: `the checks did not finish within ${WATCHDOG_MS / 1000} s` });
  finish(1);
}, WATCHDOG_MS);

try {
  await main(state);
  const p = state.problems;
  if (p) {
    const clean = !p.consoleErrors.length && !p.pageErrors.length && !p.dialogs.length;
    report('console-clean', clean, {
      console_errors: p.consoleErrors, page_errors: p.pageErrors, dialogs: p.dialogs,
    });
  }
} catch (e) {
  report('browser', false, { error: `${e.message} (chromium at ${CHROMIUM})` });
}
clearTimeout(watchdog);
await finish(failures ? 1 : 0);
