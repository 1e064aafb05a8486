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

/** Epoch ms of a Plotly date-axis value: a number, or a string like "2026-12-03 10:00:00.5". */
function axisMs(v) {
  if (typeof v === 'number') return v;
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d)(?::(\d\d)(?::(\d\d)(\.\d+)?)?)?)?$/.exec(String(v).trim());
  if (!m) return NaN;
  const frac = m[7] ? Number(m[7]) * 1000 : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)) + frac;
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

async function bandwidthTrace(page, iface) {
  return page.evaluate((name) => {
    const gd = document.getElementById(`chart-bandwidth-${name}`);
    if (!gd) return { error: `no element #chart-bandwidth-${name}` };
    if (!Array.isArray(gd.data)) return { error: `#chart-bandwidth-${name} is not a drawn Plotly chart` };
    const t = gd.data.find((d) => d.meta && d.meta.iface === name && d.meta.dir === 'rx');
    if (!t) return { error: `#chart-bandwidth-${name} has no download trace`, names: gd.data.map((d) => d.name) };
    const range = gd.layout && gd.layout.xaxis ? gd.layout.xaxis.range : null;
    return { y: Array.from(t.y || []), range: range ? Array.from(range) : null };
  }, iface);
}

async function xSpanSeconds(page, iface) {
  const t = await bandwidthTrace(page, iface);
  if (t.error) return { error: t.error };
  if (!t.range || t.range.length !== 2) return { error: 'layout.xaxis.range is not set' };
  const a = axisMs(t.range[0]);
  const b = axisMs(t.range[1]);
  return { span: (b - a) / 1000, range: t.range };
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
  if (!loaded) {
    for (const c of ['bandwidth-data', 'range-selector', 'live-numbers', 'acknowledge', 'xss', 'phone', 'desktop']) {
      report(c, false, { error: 'skipped: the page never became ready' });
    }
    return;
  }

  // 2. the bandwidth chart holds the generated traffic
  try {
    const t = await bandwidthTrace(page, IFACE);
    if (t.error) throw new Error(t.error);
    const ys = t.y.filter((v) => typeof v === 'number' && Number.isFinite(v));
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
