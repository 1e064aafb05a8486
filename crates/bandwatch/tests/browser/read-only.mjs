// Headless-browser checks of the dashboard served by `bandwatch serve` (recorded history,
// read-only), run by a Rust integration test:
//
//   node read-only.mjs --url http://127.0.0.1:PORT/ --out DIR [--iface eth0]
//                      [--old-url http://127.0.0.1:PORT2/] [--chromium /usr/bin/chromium]
//
// Prints one JSON line per check on stdout ({"check", "ok", "detail"}) and exits 1 when any
// failed: the page loads clean, says "read-only: recorded history" where it can be seen,
// charts the recorded traffic, lists the recorded alerts without an Acknowledge button, has
// nothing live to resume, and a change sent from the page is refused with 409. With
// --old-url (a recording that ended a day ago), the charts move to the end of the recording.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const LABEL = 'read-only: recorded history';
const READY_TIMEOUT_MS = 15000;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument '${argv[i]}'`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
  if (!args.url || !args.out) throw new Error('--url and --out are required');
} catch (e) {
  process.stderr.write(`read-only.mjs: ${e.message}\n`);
  process.exit(2);
}
const IFACE = args.iface || 'eth0';
const CHROMIUM = args.chromium || '/usr/bin/chromium';
fs.mkdirSync(args.out, { recursive: true });

let failures = 0;
function report(check, ok, detail) {
  if (!ok) failures += 1;
  process.stdout.write(`${JSON.stringify({ check, ok, detail: detail === undefined ? null : detail })}\n`);
}

async function main(browser) {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page: ${e}`));

  // 1. the page loads and becomes ready
  try {
    const resp = await page.goto(args.url, { waitUntil: 'domcontentloaded', timeout: READY_TIMEOUT_MS });
    if (!resp || !resp.ok()) throw new Error(`GET / answered ${resp ? resp.status() : 'nothing'}`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS, state: 'attached' });
    report('page-loads', true, { url: page.url() });
  } catch (e) {
    report('page-loads', false, { error: e.message, problems });
    return;
  }

  // 2. the label is there, visible, and the page is in its read-only state
  const state = await page.evaluate(() => {
    const mode = document.querySelector('#mode');
    const box = mode && mode.getBoundingClientRect();
    return {
      text: mode ? mode.textContent : null,
      visible: !!mode && !mode.hidden && box.width > 0 && box.height > 0
        && getComputedStyle(mode).visibility !== 'hidden',
      bodyFlag: document.body.dataset.readOnly || null,
      conn: document.querySelector('#conn').dataset.state,
      liveDisabled: document.querySelector('#live-toggle').disabled,
      heading: document.querySelector('#h-status').textContent,
    };
  });
  report('read-only-label', state.text === LABEL && state.visible && state.bodyFlag === '1', state);
  report('nothing-live', state.liveDisabled && state.conn === 'recorded', state);

  // 3. the recorded traffic is charted
  try {
    const v = await page.waitForFunction((iface) => {
      const el = document.getElementById(`chart-bandwidth-${iface}`);
      const view = el && el.chartView;
      const rx = view && view.series.find((s) => s.meta && s.meta.dir === 'rx');
      return rx && rx.y.filter((y) => Number.isFinite(y) && y > 0).length >= 3 ? { points: rx.y.length } : null;
    }, IFACE, { timeout: 10000 });
    report('recorded-data', true, await v.jsonValue());
  } catch (e) {
    const seen = await page.evaluate((iface) => {
      const el = document.getElementById(`chart-bandwidth-${iface}`);
      const view = el && el.chartView;
      return {
        charts: [...document.querySelectorAll('[id^="chart-bandwidth-"]')].map((c) => c.id),
        series: view ? view.series.map((s) => ({ name: s.name, meta: s.meta, y: s.y.slice(-5) })) : null,
        x: view ? view.x : null,
      };
    }, IFACE);
    report('recorded-data', false, { error: e.message, seen });
  }

  // 4. alerts are listed, none with an Acknowledge button
  const alerts = await page.evaluate(() => ({
    alerts: document.querySelectorAll('#alerts [data-alert-id]').length,
    ackButtons: document.querySelectorAll('#alerts button.ack').length,
  }));
  report('no-acknowledge', alerts.alerts > 0 && alerts.ackButtons === 0, alerts);

  report('console-clean', problems.length === 0, { problems });

  // 5. a change sent anyway (as the page would) is refused with 409 and says why; the
  // browser logs the refusal, which is why the console was checked before
  const refused = await page.evaluate(async () => {
    const r = await fetch('/api/v1/silences', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ matcher: 'rule=download-threshold', duration: '1h' }),
    });
    return { status: r.status, body: await r.json() };
  });
  report('change-refused', refused.status === 409 && /read-only/.test(refused.body.error || ''), refused);

  await page.screenshot({ path: path.join(args.out, 'read-only.png'), fullPage: true });

  // 6. a recording that ended before the chosen range: the charts show its end
  if (args['old-url']) {
    const old = await page.context().newPage();
    try {
      await old.goto(args['old-url'], { waitUntil: 'domcontentloaded', timeout: READY_TIMEOUT_MS });
      await old.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS, state: 'attached' });
      const r = await old.evaluate(async (iface) => {
        const snap = await (await fetch('/api/v1/snapshot')).json();
        const view = document.getElementById(`chart-bandwidth-${iface}`)?.chartView;
        const rx = view && view.series.find((s) => s.meta && s.meta.dir === 'rx');
        const banner = document.querySelector('#banner');
        return {
          newest: snap.ts,
          range: document.querySelector('#range').value,
          x: view ? view.x : null,
          points: rx ? rx.y.filter((y) => Number.isFinite(y)).length : 0,
          note: banner && !banner.hidden ? banner.textContent : null,
          footer: document.querySelector('#updated').textContent,
        };
      }, IFACE);
      const ok = r.range === 'custom' && Array.isArray(r.x) && r.x[1] === r.newest + 60000
        && Math.abs(r.x[1] - r.x[0] - 15 * 60000) < 1000 && r.points >= 5
        && /recorded history ends/.test(r.note || '') && /last recorded minute/.test(r.footer);
      report('range-follows-recording', ok, r);
    } catch (e) {
      report('range-follows-recording', false, { error: e.message });
    }
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  timeout: 30000,
});
try {
  await main(browser);
} catch (e) {
  report('browser', false, { error: e.message });
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
