// The "Now" cards: the CPU, memory and disk gauges, and one card per interface with its
// download and upload rates and link state (its bandwidth chart is registered with it).

import { $, el, insertSorted } from './dom.js';
import { fmtBps, fmtPct, isNum, level, short } from './format.js';
import { thresholds } from './config.js';
import { instanceLabel } from './catalog.js';
import { buildBandwidth, registerChart } from './charts.js';

const ifaces = new Map(); // name -> {name, card, rxEl, txEl, linkEl, chart, up, carrier, speed}
const disks = new Map(); // mount -> percent

function setGauge(id, value, limit, sub) {
  const card = document.getElementById(id);
  if (!card) return;
  const has = isNum(value);
  card.dataset.level = has ? level(value, limit) : 'none';
  card.querySelector('.value').textContent = fmtPct(value);
  const bar = card.querySelector('.bar');
  bar.setAttribute('aria-valuenow', has ? value.toFixed(1) : '0');
  card.querySelector('.fill').style.width = `${has ? Math.max(0, Math.min(100, value)) : 0}%`;
  const mark = card.querySelector('.mark');
  mark.hidden = !isNum(limit);
  if (isNum(limit)) mark.style.left = `calc(${Math.max(0, Math.min(100, limit))}% - 1px)`;
  card.querySelector('.sub').textContent = sub;
}

function limitText(v) { return isNum(v) ? `limit ${short(v)} %` : 'no limit set'; }

export function updateCpu(v) { setGauge('card-cpu', v, thresholds().cpu_percent, limitText(thresholds().cpu_percent)); }
export function updateMemory(v) { setGauge('card-memory', v, thresholds().memory_percent, limitText(thresholds().memory_percent)); }

/** One filesystem's use; the card shows the fullest. */
export function setDisk(mount, v) {
  disks.set(mount, v);
  updateDisk();
}

export function updateDisk() {
  let worst = null;
  let worstMount = null;
  for (const [mount, v] of disks) {
    if (isNum(v) && (worst === null || v > worst)) { worst = v; worstMount = mount; }
  }
  const n = disks.size;
  const where = worstMount === null ? '' : `${worstMount}${n > 1 ? ` (fullest of ${n})` : ''} · `;
  setGauge('card-disk', worst, thresholds().disk_percent, `${where}${limitText(thresholds().disk_percent)}`);
}

/** The card (and chart) of interface `name`, made on first sight. */
export function ensureIface(name) {
  let f = ifaces.get(name);
  if (f) return f;
  f = { name, up: null, carrier: null, speed: null };
  const card = el('div', 'card iface');
  card.dataset.iface = name;
  const title = el('div', 'card-title');
  title.append(el('span', 'name', name));
  f.linkEl = el('span', 'link');
  title.append(f.linkEl);
  const rates = el('div', 'rates');
  const down = el('div', 'rate');
  down.append(el('div', 'lbl', '↓ download'));
  f.rxEl = el('div', 'rx', '—');
  down.append(f.rxEl);
  const up = el('div', 'rate');
  up.append(el('div', 'lbl', '↑ upload'));
  f.txEl = el('div', 'tx', '—');
  up.append(f.txEl);
  rates.append(down, up);
  card.append(title, rates);
  f.card = card;
  insertSorted($('#ifaces'), card, name, 'iface');

  const box = el('div', 'chart-box');
  box.dataset.chartIface = name;
  const h = el('h3', null, name);
  const chart = el('div', 'chart');
  chart.id = `chart-bandwidth-${name}`;
  box.append(h, chart);
  insertSorted($('#bandwidth'), box, name, 'chartIface');
  f.chart = chart;
  const label = instanceLabel('rxRate');
  registerChart(chart, () => buildBandwidth(name, label));
  ifaces.set(name, f);
  updateLink(f);
  return f;
}

/** The chart ids of every interface. */
export function ifaceChartIds() {
  return [...ifaces.values()].map((f) => f.chart.id);
}

export function updateLink(f) {
  if (f.up === null && f.carrier === null) { f.linkEl.hidden = true; return; }
  f.linkEl.hidden = false;
  const up = f.up !== false && f.carrier !== false;
  f.linkEl.dataset.up = String(up);
  let text = up ? 'up' : (f.up === false ? 'down' : 'no carrier');
  if (up && isNum(f.speed) && f.speed > 0) text += ` · ${fmtBps(f.speed).replace('bps', 'bit/s')}`;
  f.linkEl.textContent = text;
}

/** One rate into its card text (and data-bps), coloured against its limit. */
export function setRate(elem, v, limit) {
  elem.textContent = fmtBps(v);
  if (isNum(v)) elem.dataset.bps = String(v); else delete elem.dataset.bps;
  elem.dataset.level = isNum(v) ? level(v, limit) : 'ok';
}

/** The answer of GET /api/v1/interfaces. */
export function applyInterfaces(list) {
  if (!Array.isArray(list)) return;
  const th = thresholds();
  for (const i of list) {
    if (!i || typeof i.name !== 'string') continue;
    const f = ensureIface(i.name);
    f.up = typeof i.up === 'boolean' ? i.up : null;
    f.carrier = typeof i.carrier === 'boolean' ? i.carrier : null;
    f.speed = i.speed_bps;
    updateLink(f);
    setRate(f.rxEl, i.rx_bps, th.download_bps);
    setRate(f.txEl, i.tx_bps, th.upload_bps);
  }
}
