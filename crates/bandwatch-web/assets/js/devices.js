// The probed devices: one block each with reachability, latency, loss, jitter, uptime bars
// and a small latency (left axis) and loss (right axis) chart.

import { $, el } from './dom.js';
import { fmtMs, fmtPct, fmtTime, isNum } from './format.js';
import { alertMarkers, baseSpec, COLOR, emptyNote, line, registerChart } from './charts.js';

export const WINDOWS = ['1h', '24h', '7d'];

const devices = new Map(); // name -> {name, el, dot, rttEl, lossEl, jitterEl, uptimeEls, chart}
let deviceSeq = 0;
let targetLabel = 'target';

/** The label that names a device in alert labels (from the catalogue). */
export function setTargetLabel(label) { if (label) targetLabel = label; }

/** The block of device `name`, made on first sight. */
export function ensureDevice(name) {
  let d = devices.get(name);
  if (d) return d;
  const box = $('#devices');
  const empty = box.querySelector('.empty');
  if (empty) empty.remove();
  d = { name, uptime: {} };
  const root = el('div', 'device');
  root.dataset.device = name;
  const head = el('div', 'device-head');
  d.dot = el('span', 'dot');
  d.dot.setAttribute('role', 'img');
  d.dot.setAttribute('aria-label', 'state unknown');
  head.append(d.dot, el('span', 'name', name));
  const stats = el('span', 'device-stats');
  const stat = (label, cls) => {
    const s = el('span', null, `${label} `);
    const b = el('b', cls, '—');
    s.append(b);
    stats.append(s);
    return b;
  };
  d.rttEl = stat('rtt', 'rtt');
  d.lossEl = stat('loss', 'loss');
  d.jitterEl = stat('jitter', 'jitter');
  head.append(stats);
  const up = el('div', 'uptime');
  up.append(el('div', 'u-title', 'uptime'));
  d.uptimeEls = {};
  for (const w of WINDOWS) {
    const u = el('div', 'u');
    u.dataset.window = w;
    const lbl = el('div', 'u-lbl');
    const val = el('b', null, '—');
    lbl.append(el('span', null, w), val);
    u.title = `share of probe rounds answered in the last ${w}`;
    const bar = el('div', 'bar');
    const fill = el('div', 'fill');
    bar.append(fill);
    u.append(lbl, bar);
    up.append(u);
    d.uptimeEls[w] = { u, val, fill };
  }
  const chart = el('div', 'chart small');
  deviceSeq += 1;
  chart.id = `chart-device-${deviceSeq}`;
  root.append(head, up, chart);
  const next = [...box.children].find((c) => c.dataset.device > name);
  box.insertBefore(root, next || null);
  d.el = root;
  d.chart = chart;
  registerChart(chart, () => buildDevice(name));
  devices.set(name, d);
  return d;
}

/** The chart ids of every device. */
export function deviceChartIds() {
  return [...devices.values()].map((d) => d.chart.id);
}

export function setDeviceUp(d, up) {
  if (typeof up !== 'boolean') return;
  d.dot.dataset.up = String(up);
  d.dot.setAttribute('aria-label', up ? 'reachable' : 'unreachable');
  d.dot.title = up ? 'reachable' : 'unreachable';
}

export function setUptime(d, w, v) {
  const u = d.uptimeEls[w];
  if (!u) return;
  u.val.textContent = isNum(v) ? `${v.toFixed(v >= 99.95 || v < 10 ? 1 : 2)} %` : '—';
  u.fill.style.width = `${isNum(v) ? Math.max(0, Math.min(100, v)) : 0}%`;
  let lv = 'ok';
  if (isNum(v) && v < 95) lv = 'crit';
  else if (isNum(v) && v < 99) lv = 'warn';
  u.u.dataset.level = lv;
}

/** One entry of GET /api/v1/devices. */
export function applyDevice(info) {
  const d = ensureDevice(info.name);
  setDeviceUp(d, info.up);
  d.rttEl.textContent = fmtMs(info.rtt_ms);
  d.lossEl.textContent = fmtPct(info.loss_percent);
  d.jitterEl.textContent = fmtMs(info.jitter_ms);
  const u = info.uptime_percent || {};
  for (const w of WINDOWS) setUptime(d, w, u[w]);
  if (isNum(info.last_seen)) d.el.title = `last seen ${fmtTime(info.last_seen)}`;
}

function buildDevice(name) {
  const d = devices.get(name);
  const spec = baseSpec(`${name}: latency and loss`, {
    y: { unit: 'seconds', min: 0, span: 0.01, color: COLOR.rtt },
    y2: { unit: 'percent', min: 0, max: 100, color: COLOR.loss },
  });
  spec.series.push(
    line(`rtt|${name}`, 'latency', COLOR.rtt, { kind: 'rtt' }, { fill: true }),
    line(`loss|${name}`, 'loss', COLOR.loss, { kind: 'loss' }, { axis: 'y2', width: 1.2 }),
  );
  alertMarkers(spec, (a) => a.labels && a.labels[targetLabel] === name, () => null);
  emptyNote(spec, d ? d.chart.id : '');
  return spec;
}
