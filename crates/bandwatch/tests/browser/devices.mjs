// Headless-browser checks of the dashboard's device table, run by a Rust integration test
// (web_dashboard.rs) against `bandwatch serve` over a history of LAN devices it wrote:
//
//   node devices.mjs --url http://127.0.0.1:PORT/ --out DIR --names '["A","B"]' --new '["B"]'
//                    [--chromium /usr/bin/chromium]
//
// --names: every device's name, highest download + upload first; --new: the devices first
// seen within a day. Prints one JSON line per check on stdout ({"check", "ok", "detail"}) and
// exits 1 when any failed: the table lists the devices by name, highest rate first (the
// rates it shows agree), "new" marks exactly the new ones, a hostile name is text, and a click
// on a row charts that device's recorded download and upload.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

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
let NAMES;
let NEW;
try {
  args = parseArgs(process.argv.slice(2));
  if (!args.url || !args.out || !args.names || !args.new) throw new Error('--url, --out, --names and --new are required');
  NAMES = JSON.parse(args.names);
  NEW = JSON.parse(args.new);
} catch (e) {
  process.stderr.write(`devices.mjs: ${e.message}\n`);
  process.exit(2);
}
const CHROMIUM = args.chromium || '/usr/bin/chromium';
fs.mkdirSync(args.out, { recursive: true });

let failures = 0;
function report(check, ok, detail) {
  if (!ok) failures += 1;
  process.stdout.write(`${JSON.stringify({ check, ok, detail: detail === undefined ? null : detail })}\n`);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main(browser) {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  const problems = [];
  const dialogs = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page: ${e}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });

  try {
    const resp = await page.goto(args.url, { waitUntil: 'domcontentloaded', timeout: READY_TIMEOUT_MS });
    if (!resp || !resp.ok()) throw new Error(`GET / answered ${resp ? resp.status() : 'nothing'}`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS, state: 'attached' });
    // the order is applied once the rows are in (after the first burst of changes)
    await page.waitForFunction((n) => document.querySelectorAll('#lan-rows tr').length === n, NAMES.length, { timeout: 5000 });
    await page.waitForTimeout(100);
    report('page-loads', true, { url: page.url() });
  } catch (e) {
    report('page-loads', false, { error: e.message, problems });
    return;
  }

  const table = await page.evaluate(() => {
    const sec = document.querySelector('#lan');
    const box = sec.getBoundingClientRect();
    return {
      visible: !sec.hidden && box.width > 0 && box.height > 0,
      rows: [...document.querySelectorAll('#lan-rows tr')].map((tr) => ({
        key: tr.dataset.device,
        name: tr.querySelector('td.name .label').textContent,
        ip: tr.querySelector('td.ip').textContent,
        mac: tr.querySelector('td.mac').textContent,
        rx: tr.querySelector('td.rx').textContent,
        tx: tr.querySelector('td.tx').textContent,
        bps: Number(tr.querySelector('td.rx').dataset.bps || 0) + Number(tr.querySelector('td.tx').dataset.bps || 0),
        badge: (() => {
          const b = tr.querySelector('.badge-new');
          return Boolean(b && !b.hidden && b.getBoundingClientRect().width > 0 && b.textContent === 'new');
        })(),
        active: tr.querySelector('td.active').textContent,
        seen: tr.querySelector('td.seen').textContent,
      })),
    };
  });
  const names = table.rows.map((r) => r.name);
  const filled = table.rows.every((r) => r.ip !== '—' && /bps$/.test(r.rx) && /bps$/.test(r.tx) && r.seen !== '—' && r.seen !== '');
  report('device-rows', table.visible && same([...names].sort(), [...NAMES].sort()) && filled, table);
  const ratesDown = table.rows.every((r, i) => i === 0 || table.rows[i - 1].bps >= r.bps);
  report('device-order', same(names, NAMES) && ratesDown, { names, expected: NAMES, bps: table.rows.map((r) => r.bps) });
  const marked = table.rows.filter((r) => r.badge).map((r) => r.name).sort();
  report('device-new', same(marked, [...NEW].sort()), { marked, expected: NEW });
  const imgs = await page.evaluate(() => [...document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length);
  report('device-xss', imgs === 0 && dialogs.length === 0, { img_src_x: imgs, dialogs });

  // a click on a row charts that device's recorded rates: the second row, and the last one
  // (its name is markup, asked of the history as an escaped pattern)
  const charted = [];
  for (const pick of [table.rows[1] || table.rows[0], table.rows[table.rows.length - 1]]) {
    try {
      await page.click(`#lan-rows tr:nth-child(${table.rows.indexOf(pick) + 1}) td.ip`);
      const v = await page.waitForFunction((key) => {
        const view = document.getElementById('chart-device-rate')?.chartView;
        if (!view) return null;
        const rx = view.series.find((s) => s.meta && s.meta.dir === 'rx' && s.meta.device === key);
        const tx = view.series.find((s) => s.meta && s.meta.dir === 'tx' && s.meta.device === key);
        const pts = (s) => (s ? s.y.filter((y) => Number.isFinite(y) && y > 0).length : 0);
        const sel = document.querySelector('#lan-rows tr[data-selected="true"]');
        return pts(rx) >= 3 && pts(tx) >= 3 && sel && sel.dataset.device === key
          ? { rx: rx.y.slice(-3), tx: tx.y.slice(-3), title: document.querySelector('#lan-chart h3').textContent }
          : null;
      }, pick.key, { timeout: 10000 });
      charted.push({ device: pick.key, ok: true, ...(await v.jsonValue()) });
    } catch (e) {
      const seen = await page.evaluate(() => {
        const view = document.getElementById('chart-device-rate')?.chartView;
        return view ? view.series.map((s) => ({ name: s.name, meta: s.meta, y: s.y.slice(-5) })) : null;
      });
      charted.push({ device: pick.key, ok: false, error: e.message, seen });
    }
  }
  report('device-chart', charted.every((c) => c.ok), charted);

  await page.screenshot({ path: path.join(args.out, 'devices.png'), fullPage: true });
  report('console-clean', problems.length === 0, { problems });
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
