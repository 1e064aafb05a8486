// Measurement: how soon the dashboard draws its first chart, over several first visits (a
// new browser profile each time: nothing cached), and over several repeat visits (one
// profile, primed by a first load, so the scripts come from the HTTP cache or a 304), and how
// many bytes of script a first visit transfers. Prints figures; asserts nothing about time.
//
//   node first-chart.mjs --url http://127.0.0.1:PORT/#r=24h [--runs 5]
//
// Prints one JSON line per mode: every run's time from navigation start to the page's
// 'bandwatch:first-chart' mark, the median, and the page's scripts (app.js and its modules)
// as transferred (script_transfer_bytes: body and headers on the wire; script_body_bytes:
// the bodies as sent, i.e. gzipped; script_decoded_bytes: as run), from the last run.
// Uses /usr/bin/chromium via playwright-core.

import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
};
const url = opt('url');
const runs = Number(opt('runs', '5'));
if (!url) {
  process.stderr.write('first-chart.mjs: --url is required\n');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

/** One navigation: ms to the first chart, and the script bytes it moved. */
async function firstChart(page) {
  // From a blank page, so every run is a real navigation (not a hash change).
  await page.goto('about:blank');
  await page.goto(url);
  // Polled through the DevTools protocol with a plain expression: Playwright's
  // waitForFunction would inject its utility script into the page while it loads, work on
  // the page's main thread that a visitor's browser does not do (about 28 ms, seen in a
  // trace), in the middle of the time being measured.
  const cdp = await page.context().newCDPSession(page);
  const deadline = Date.now() + 30000;
  for (;;) {
    const r = await cdp.send('Runtime.evaluate', {
      expression: "performance.getEntriesByName('bandwatch:first-chart').length",
      returnByValue: true,
    });
    if (r.result && r.result.value > 0) break;
    if (Date.now() > deadline) throw new Error('no first chart within 30 s');
    await new Promise((res) => setTimeout(res, 50));
  }
  await cdp.detach();
  return page.evaluate(() => {
    const scripts = performance.getEntriesByType('resource').filter((e) => /\.m?js(\?|$)/.test(e.name));
    const sum = (k) => scripts.reduce((n, e) => n + (e[k] || 0), 0);
    return {
      ms: performance.getEntriesByName('bandwatch:first-chart')[0].startTime,
      scripts: scripts.length,
      transfer: sum('transferSize'),
      body: sum('encodedBodySize'),
      decoded: sum('decodedBodySize'),
    };
  });
}

function report(mode, results) {
  const times = results.map((r) => r.ms);
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const last = results[results.length - 1];
  process.stdout.write(`${JSON.stringify({
    mode,
    url,
    runs: times.map(Math.round),
    median_ms: Math.round(median),
    scripts: last.scripts,
    script_transfer_bytes: last.transfer,
    script_body_bytes: last.body,
    script_decoded_bytes: last.decoded,
  })}\n`);
}

const viewport = { viewport: { width: 1400, height: 1000 } };
try {
  const cold = [];
  for (let i = 0; i < runs; i += 1) {
    const context = await browser.newContext(viewport);
    cold.push(await firstChart(await context.newPage()));
    await context.close();
  }
  report('first visit', cold);
  const context = await browser.newContext(viewport);
  const page = await context.newPage();
  for (let i = 0; i < 3; i += 1) await firstChart(page);
  const warm = [];
  for (let i = 0; i < runs; i += 1) warm.push(await firstChart(page));
  await context.close();
  report('repeat visit', warm);
} finally {
  await browser.close();
}
