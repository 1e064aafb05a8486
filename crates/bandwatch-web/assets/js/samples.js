// Samples (from a snapshot or a live frame) into the cards, devices, device table and chart series, by the
// role the catalogue gives each metric.

import { isNum, fmtMs, fmtPct } from './format.js';
import { thresholds } from './config.js';
import { extraLabel, instanceLabel, roleOf } from './catalog.js';
import { appendPoint } from './charts.js';
import { ensureIface, setDisk, setRate, updateCpu, updateLink, updateMemory } from './cards.js';
import { ensureDevice, setDeviceUp, setTargetLabel, setUptime } from './devices.js';
import { selectedDevice, setLanActive, setLanRate } from './lan.js';

/** The all-cores value of the CPU series' instance label. */
const CPU_TOTAL = 'total';
/** The round-trip statistic the page shows. */
const RTT_STAT = 'avg';

const known = new Set(); // metrics seen in a snapshot or frame (so /series will know them)
let L = {}; // label names from the catalogue

/** Reads the label names the samples are told apart by from the catalogue. */
export function prepareSamples() {
  L = {
    iface: instanceLabel('rxRate'),
    cpu: instanceLabel('cpuPercent'),
    mount: instanceLabel('diskPercent'),
    target: instanceLabel('probeUp'),
    stat: extraLabel('probeRtt'),
    window: extraLabel('probeUptime'),
    device: instanceLabel('deviceRxRate'),
  };
  setTargetLabel(L.target);
}

/** The label names (iface, cpu, mount, target, stat, window, device) as the catalogue has them. */
export function labelNames() { return L; }

/** Whether a snapshot or frame has carried metric `name`. */
export function isKnown(name) { return known.has(name); }

/** Matchers that pick the one series a chart shows of a role's metric (all CPUs, the
 *  average RTT). */
export function chartMatches(role) {
  if (role === 'cpuPercent' && L.cpu) return [`${L.cpu}=${CPU_TOTAL}`];
  if (role === 'probeRtt' && L.stat) return [`${L.stat}=${RTT_STAT}`];
  // a device's label is any text: matched as a regex of itself, every special character escaped
  if (role.startsWith('device') && L.device) return [`${L.device}=~${String(selectedDevice()).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`];
  return [];
}

function rate(dir, labels, v, t, chart) {
  const iface = labels[L.iface];
  if (typeof iface !== 'string') return;
  const f = ensureIface(iface);
  const th = thresholds();
  const rx = dir === 'rx';
  setRate(rx ? f.rxEl : f.txEl, v, rx ? th.download_bps : th.upload_bps);
  if (chart) appendPoint(`${dir}|${iface}`, t, v);
}

function link(which, labels, v) {
  const iface = labels[L.iface];
  if (typeof iface !== 'string') return;
  const f = ensureIface(iface);
  f[which] = v >= 0.5;
  updateLink(f);
}

function target(labels) {
  const t = labels[L.target];
  return typeof t === 'string' ? ensureDevice(t) : null;
}

function lanRate(dir, labels, v, t, chart) {
  const d = labels[L.device];
  if (typeof d === 'string') setLanRate(d, dir, v, t, chart);
}

/** What each role does with a sample: (labels, value, time, whether charts follow). */
const APPLY = {
  rxRate: (l, v, t, c) => rate('rx', l, v, t, c),
  txRate: (l, v, t, c) => rate('tx', l, v, t, c),
  linkUp: (l, v) => link('up', l, v),
  carrier: (l, v) => link('carrier', l, v),
  cpuPercent: (l, v, t, c) => {
    if (l[L.cpu] !== undefined && l[L.cpu] !== CPU_TOTAL) return;
    updateCpu(v);
    if (c) appendPoint('cpu', t, v);
  },
  memoryPercent: (l, v, t, c) => {
    updateMemory(v);
    if (c) appendPoint('memory', t, v);
  },
  diskPercent: (l, v, t, c) => {
    const mount = typeof l[L.mount] === 'string' ? l[L.mount] : '';
    setDisk(mount, v);
    if (c) appendPoint(`disk|${mount}`, t, v);
  },
  probeUp: (l, v) => {
    const d = target(l);
    if (d) setDeviceUp(d, v >= 0.5);
  },
  probeRtt: (l, v, t, c) => {
    if (l[L.stat] !== undefined && l[L.stat] !== RTT_STAT) return;
    const d = target(l);
    if (!d) return;
    d.rttEl.textContent = fmtMs(isNum(v) ? v * 1000 : null);
    if (c) appendPoint(`rtt|${d.name}`, t, v);
  },
  probeLoss: (l, v, t, c) => {
    const d = target(l);
    if (!d) return;
    d.lossEl.textContent = fmtPct(v);
    if (c) appendPoint(`loss|${d.name}`, t, v);
  },
  probeJitter: (l, v) => {
    const d = target(l);
    if (d) d.jitterEl.textContent = fmtMs(isNum(v) ? v * 1000 : null);
  },
  probeUptime: (l, v) => {
    const d = target(l);
    if (d) setUptime(d, l[L.window], v);
  },
  deviceRxRate: (l, v, t, c) => lanRate('rx', l, v, t, c),
  deviceTxRate: (l, v, t, c) => lanRate('tx', l, v, t, c),
  deviceActive: (l, v) => {
    if (typeof l[L.device] === 'string') setLanActive(l[L.device], v);
  },
};

/** States (1/0) mean nothing without a number. */
const STATES = new Set(['linkUp', 'carrier', 'probeUp', 'deviceActive']);

/** Applies one sample to cards and, when `chart` is true, to the chart series. */
export function applySample(s, ts, chart) {
  if (!s || typeof s.metric !== 'string') return;
  known.add(s.metric);
  const role = roleOf(s.metric);
  const apply = role && APPLY[role];
  if (!apply) return;
  const v = s.value;
  if (!isNum(v) && STATES.has(role)) return;
  apply(s.labels || {}, v, isNum(s.ts) ? s.ts : ts, chart);
}
