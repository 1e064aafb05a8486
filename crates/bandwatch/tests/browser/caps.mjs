// Headless-browser check of the dashboard's data-cap bars, run by a Rust integration test
// (web_dashboard.rs) against `bandwatch run` with one cap configured:
//
//   node caps.mjs --url http://127.0.0.1:PORT/ --out DIR --cap NAME [--chromium PATH]
//
// Prints one JSON line per check on stdout ({"check", "ok", "detail"}) and exits 1 when any
// failed: the caps section shows once the page is ready, the cap has its bar with the same
// percentage as GET /api/v1/caps, the fill and the forecast marker sit where the ratios say,
// and the console stays clean.

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
try {
  args = parseArgs(process.argv.slice(2));
  if (!args.url || !args.out || !args.cap) throw new Error('--url, --out and --cap are required');
} catch (e) {
  process.stderr.write(`caps.mjs: ${e.message}\n`);
  process.exit(2);
}
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
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  try {
    const resp = await page.goto(args.url, { waitUntil: 'domcontentloaded', timeout: READY_TIMEOUT_MS });
    if (!resp || !resp.ok()) throw new Error(`GET / answered ${resp ? resp.status() : 'nothing'}`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS, state: 'attached' });
    report('page-loads', true, { url: page.url() });
  } catch (e) {
    report('page-loads', false, { error: e.message, problems });
    return;
  }
  // what the page shows, and what the API said a moment later (usage only grows)
  const shown = await page.evaluate((name) => {
    const sec = document.querySelector('#caps');
    const cap = [...document.querySelectorAll('#caps-list .cap')].find((c) => c.dataset.cap === name);
    if (!cap) return { visible: !sec.hidden, cap: null };
    const bar = cap.querySelector('.cap-bar').getBoundingClientRect();
    const fill = cap.querySelector('.cap-fill').getBoundingClientRect();
    const mark = cap.querySelector('.cap-forecast').getBoundingClientRect();
    return {
      visible: !sec.hidden && sec.getBoundingClientRect().height > 0,
      cap: {
        pct: cap.querySelector('.pct').textContent,
        now: Number(cap.querySelector('.cap-bar').getAttribute('aria-valuenow')),
        fill: (fill.width / bar.width),
        mark: ((mark.left + mark.width / 2 - bar.left) / bar.width),
        detail: cap.querySelector('.cap-detail').textContent,
      },
    };
  }, args.cap);
  const api = await page.evaluate(async () => (await fetch('/api/v1/caps')).json());
  const c = (api.caps || []).find((x) => x.name === args.cap);
  report('caps-visible', shown.visible && shown.cap !== null, shown);
  if (shown.cap && c) {
    const pct = Number(shown.cap.pct.replace(/[^0-9.]/g, ''));
    report('cap-percentage', /^\d+\.\d %$/.test(shown.cap.pct) && pct > 0 && pct <= c.used_ratio * 100 + 0.05,
      { shown: shown.cap.pct, api: c.used_ratio });
    const clamp = (r) => Math.max(0, Math.min(1, r));
    report('cap-bar', Math.abs(shown.cap.fill - clamp(pct / 100)) < 0.02
      && Math.abs(shown.cap.mark - clamp(c.forecast_ratio)) < 0.05
      && shown.cap.detail.includes(' of '), { shown: shown.cap, api: c });
  } else {
    report('cap-percentage', false, { shown, api });
  }
  await page.screenshot({ path: path.join(args.out, 'caps.png'), fullPage: true });
  report('console-clean', problems.length === 0, problems);
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
  report('script', false, { error: e.message });
} finally {
  await browser.close();
}
process.exit(failures === 0 ? 0 : 1);
