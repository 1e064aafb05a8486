// The table of devices on the network (GET /api/v1/devices: LAN devices and probe targets as
// one list): top talkers first (download + upload now), a "new" badge on a device first seen
// within a day, and below it the rate chart of the row a click (or Enter) picks. Live frames
// update the rates; a device the table does not know yet makes it read the list again.

import { $, el } from './dom.js';
import { api } from './api.js';
import { fmtBps, fmtMs, fmtTime, isNum } from './format.js';
import { appendPoint, baseSpec, COLOR, emptyNote, line, markAllDirty, registerChart } from './charts.js';

/** The id of the chart of the chosen device. */
export const DEVICE_CHART = 'chart-device-rate';
const REREAD_MS = 10000;

const rows = new Map(); // key (LAN label, else name) -> {key, name, tr, c: cells, rx, tx}
let selected = null;
let onSelect = () => {};
let rereadAt = 0;
let sortQueued = false;

/** What to do once a device is chosen (load its history). */
export function whenDeviceSelected(f) { onSelect = f; }

/** The LAN label of the chosen device, or null. */
export function selectedDevice() { return selected; }

/** The series key of a device's rate (`dir` rx or tx). */
export const rateKey = (dir, key) => `d${dir}|${key}`;

function row(key) {
  let r = rows.get(key);
  if (r) return r;
  const tr = el('tr');
  tr.dataset.device = key;
  tr.tabIndex = 0;
  const c = {};
  for (const k of ['name', 'ip', 'mac', 'rx', 'tx', 'active', 'reach', 'seen']) {
    c[k] = el('td', k);
    tr.append(c[k]);
  }
  c.label = el('span', 'label');
  c.badge = el('span', 'badge-new', 'new');
  c.badge.hidden = true;
  c.badge.title = 'first seen within the last 24 hours';
  c.name.append(c.label, c.badge);
  r = { key, name: key, tr, c, rx: null, tx: null };
  tr.addEventListener('click', () => select(key));
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(key); }
  });
  rows.set(key, r);
  $('#lan-rows').append(tr);
  $('#lan').hidden = false;
  return r;
}

function setRateCell(r, dir, v) {
  r[dir] = isNum(v) ? v : null;
  r.c[dir].textContent = fmtBps(v);
  if (isNum(v)) r.c[dir].dataset.bps = String(v); else delete r.c[dir].dataset.bps;
  queueSort();
}

function setActive(r, a) {
  r.c.active.textContent = a === true ? 'active' : a === false ? 'idle' : '—';
  r.c.active.dataset.active = String(a);
}

function setSeen(r, ms) {
  if (!isNum(ms)) return;
  r.seen = Math.max(r.seen || 0, ms);
  r.c.seen.textContent = fmtTime(r.seen);
}

/** Download + upload now, for the order. */
const total = (r) => (r.rx || 0) + (r.tx || 0);

/** Orders the rows by rate (highest first), then by name, once per burst of changes. */
function queueSort() {
  if (sortQueued) return;
  sortQueued = true;
  setTimeout(() => {
    sortQueued = false;
    const order = [...rows.values()].sort((a, b) => total(b) - total(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const body = $('#lan-rows');
    if (order.some((r, i) => body.children[i] !== r.tr)) body.append(...order.map((r) => r.tr));
  }, 0);
}

/** The answer of GET /api/v1/devices: the table holds exactly these devices. */
export function applyDeviceList(list) {
  if (!Array.isArray(list)) return;
  const keep = new Set();
  for (const d of list) {
    if (!d || typeof d.name !== 'string') continue;
    const key = typeof d.device === 'string' ? d.device : d.name;
    keep.add(key);
    const r = row(key);
    r.name = d.name || d.ip || d.mac || key;
    r.c.label.textContent = r.name;
    r.c.ip.textContent = d.ip || '—';
    r.c.mac.textContent = d.mac || '—';
    r.c.badge.hidden = d.new !== true;
    r.tr.dataset.new = String(d.new === true);
    setRateCell(r, 'rx', d.rx_bps);
    setRateCell(r, 'tx', d.tx_bps);
    setActive(r, d.active);
    r.c.reach.textContent = '';
    if (d.probed) {
      const dot = el('span', 'dot');
      if (typeof d.up === 'boolean') dot.dataset.up = String(d.up);
      const word = d.up === true ? 'up' : d.up === false ? 'down' : 'unknown';
      r.c.reach.append(dot, el('span', null, d.up === true && isNum(d.rtt_ms) ? `${word} · ${fmtMs(d.rtt_ms)}` : word));
    }
    setSeen(r, d.last_seen);
  }
  for (const [key, r] of rows) {
    if (!keep.has(key)) { r.tr.remove(); rows.delete(key); }
  }
  $('#lan').hidden = rows.size === 0;
}

/** Re-reads the list, at most every REREAD_MS (a device the table does not know moved). */
function reread() {
  const now = Date.now();
  if (now < rereadAt) return;
  rereadAt = now + REREAD_MS;
  api('/devices').then(applyDeviceList, () => {});
}

/** A live rate sample of the device labelled `key`. */
export function setLanRate(key, dir, v, t, chart) {
  const r = rows.get(key);
  if (!r) { reread(); return; }
  setRateCell(r, dir, v);
  setSeen(r, t);
  if (chart && key === selected) appendPoint(rateKey(dir, key), t, v);
}

/** A live activity sample (1 or 0) of the device labelled `key`. */
export function setLanActive(key, v) {
  const r = rows.get(key);
  if (r) setActive(r, v >= 0.5);
}

function select(key) {
  const r = rows.get(key);
  if (!r) return;
  selected = key;
  for (const x of rows.values()) x.tr.dataset.selected = String(x === r);
  let box = $('#lan-chart');
  if (!box) {
    box = el('div', 'chart-box');
    box.id = 'lan-chart';
    const chart = el('div', 'chart');
    chart.id = DEVICE_CHART;
    box.append(el('h3'), chart);
    $('#lan').append(box);
    registerChart(chart, build);
  }
  box.querySelector('h3').textContent = r.name;
  markAllDirty();
  onSelect();
}

function build() {
  const k = selected;
  const r = rows.get(k);
  const spec = baseSpec(`${r ? r.name : k}: download and upload`, { y: { unit: 'bits_per_second', min: 0, span: 1e3 } });
  spec.series.push(
    line(rateKey('rx', k), 'download', COLOR.rx, { device: k, dir: 'rx' }, { fill: true }),
    line(rateKey('tx', k), 'upload', COLOR.tx, { device: k, dir: 'tx' }, { fill: true }),
  );
  emptyNote(spec, DEVICE_CHART);
  return spec;
}
