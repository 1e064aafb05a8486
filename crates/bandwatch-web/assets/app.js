/*
 * bandwatch dashboard. Plain modern JS, no build step; charts are plotly.js (global `Plotly`,
 * served at /assets/plotly.min.js). Talks only to the same-origin JSON API in ../API.md.
 *
 * The page runs under a strict CSP (no inline script, no eval), so every handler is attached
 * here, and every string that comes from the API reaches the DOM through textContent or an
 * attribute, never innerHTML. Strings that go into Plotly (trace names, hover text,
 * annotations) are passed through esc(), because Plotly renders a subset of HTML.
 *
 * Contract with the browser test (crates/bandwatch/tests/browser/dashboard.mjs):
 *   body[data-ready="1"]        set once the first full load (config, lists, history, alerts,
 *                               first draw of every chart) is done; set again after Refresh.
 *   body[data-last-frame]       epoch ms of the last live frame (stream or polled snapshot).
 *   performance mark 'bandwatch:first-chart'  after the first chart has been drawn.
 *   #card-cpu, #card-memory, #card-disk     gauges; `.value` text, data-level ok|warn|crit.
 *   #ifaces [data-iface="<name>"] .rx / .tx  current download / upload text ("12.5 Mbps");
 *                                            the same element carries data-bps (bits/s).
 *   #chart-bandwidth-<iface>   one Plotly chart per interface (raw name in the id; use
 *                              getElementById). Traces carry meta {iface, dir: 'rx'|'tx'},
 *                              named "download"/"upload", y in Mbit/s, x in local-time ms.
 *                              An optional third trace (meta {kind: 'alerts'}) holds alert
 *                              markers; thresholds and alert starts are layout.shapes.
 *   #chart-system              CPU/memory/disk % (meta {kind: 'cpu'|'memory'|'disk'}).
 *   #devices [data-device="<name>"]  one block per device: .dot[data-up], .name, .rtt,
 *                              .loss, uptime bars [data-window], chart .chart (id chart-device-N).
 *   #alerts [data-alert-id="<id>"]   newest first; button.ack when not acknowledged, else
 *                              span.acked ("acked by … at …").
 *   #range (select: 5m 15m 1h 6h 24h 7d 30d custom), #custom-start, #custom-end,
 *   #custom-apply, #live-toggle (aria-pressed="true" while live), #refresh,
 *   #export-metric, #download-json, #download-csv (links to /api/v1/export).
 *   The x-axis range of every time chart is exactly the chosen range; the range is kept in
 *   the URL fragment (#r=5m) so a reload keeps it.
 */
(() => {
  'use strict';

  const API = '/api/v1';
  const RANGES = { '5m': 300, '15m': 900, '1h': 3600, '6h': 21600, '24h': 86400, '7d': 604800, '30d': 2592000 };
  const DEFAULT_RANGE = '15m';
  const MAX_POINTS_TARGET = 600;
  const SEVERITIES = ['low', 'medium', 'high', 'critical'];
  const COLOR = {
    rx: '#4c9aff', tx: '#ff9f43', cpu: '#b877d9', memory: '#36c5b4', disk: '#e0c341',
    rtt: '#4c9aff', loss: '#f85149', grid: '#252b33', axis: '#2f3640', text: '#aeb7c2',
    low: '#8a9bb3', medium: '#d29922', high: '#f0883e', critical: '#f85149',
  };
  const DISK_COLORS = ['#e0c341', '#c9a227', '#f2dc7c', '#a8901c'];
  const RENDER_GAP_MS = 700;
  const STREAM_RETRY_MS = 60000;

  // ---------------------------------------------------------------- state
  const state = {
    config: null,
    range: { key: DEFAULT_RANGE, start: null, end: null }, // start/end (epoch ms) for custom
    win: { start: 0, end: 0 },    // the window the charts show, epoch ms
    stepMs: 1000,
    loadGen: 0,
    live: true,
    zoomed: false,
    mode: 'loading',
    es: null,
    pollTimer: null,
    streamRetryAt: 0,
    polls: 0,
    ifaces: new Map(),   // name -> {name, card, rxEl, txEl, linkEl, box, chart, up, speed}
    devices: new Map(),  // name -> {name, el, dot, rtt, loss, jitter, uptime:{}, chart}
    disks: new Map(),    // mount -> percent
    knownMetrics: new Set(), // metrics seen in a snapshot or frame (so /series will know them)
    series: new Map(),   // key -> {x: [], y: [], lastBucket, n}
    seriesErrors: new Map(), // chart id -> message
    alerts: [],
    charts: new Map(),   // element id -> {el, build, drawn}
    dirty: new Set(),
    renderTimer: null,
    lastRender: 0,
    firstChartMarked: false,
    syncing: false,
    deviceSeq: 0,
    alertsTimer: null,
    authFailed: false,
    historyLoaded: false,
  };

  const $ = (sel) => document.querySelector(sel);

  // ---------------------------------------------------------------- small helpers
  /** Escapes text for Plotly, which interprets a subset of HTML in labels. */
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

  function num(x) {
    const a = Math.abs(x);
    if (a >= 100) return x.toFixed(0);
    if (a >= 10) return x.toFixed(1);
    return x.toFixed(2);
  }

  /** A limit as people write it: 50, 12.5 (no trailing zeros). */
  function short(x) { return String(Math.round(x * 100) / 100); }

  function fmtBps(v) {
    if (!isNum(v)) return '—';
    const units = [['Gbps', 1e9], ['Mbps', 1e6], ['kbps', 1e3]];
    for (const [name, div] of units) if (Math.abs(v) >= div) return `${num(v / div)} ${name}`;
    return `${num(v)} bps`;
  }

  function fmtPct(v) { return isNum(v) ? `${v.toFixed(1)} %` : '—'; }
  function fmtMs(v) { return isNum(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : '—'; }

  /** A metric value in its human unit, chosen from the metric name. */
  function fmtMetric(metric, v) {
    if (!isNum(v)) return '—';
    if (/bits_per_second$/.test(metric)) return fmtBps(v);
    if (/percent$/.test(metric)) return fmtPct(v);
    if (/seconds$/.test(metric)) return fmtMs(v * 1000);
    return num(v);
  }

  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });

  function fmtTime(ms) {
    if (!isNum(ms)) return '—';
    const d = new Date(ms);
    return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dateTimeFmt.format(d);
  }

  function fmtDuration(ms) {
    if (!isNum(ms) || ms < 0) return '';
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  }

  /** Plotly draws numeric dates as UTC; shift so the axis reads in the viewer's local time. */
  function loc(ms) { return ms - new Date(ms).getTimezoneOffset() * 60000; }

  function level(value, limit) {
    if (!isNum(value) || !isNum(limit) || limit <= 0) return 'ok';
    if (value >= limit) return 'crit';
    if (value >= 0.75 * limit) return 'warn';
    return 'ok';
  }

  function metricOf(seriesText) {
    const s = String(seriesText || '');
    const i = s.indexOf('{');
    return i < 0 ? s : s.slice(0, i);
  }

  // ---------------------------------------------------------------- API access
  class AuthError extends Error {}

  async function api(path, opts = {}) {
    const res = await fetch(API + path, {
      credentials: 'same-origin',
      cache: 'no-store',
      ...opts,
      headers: { Accept: 'application/json', ...(opts.headers || {}) },
    });
    if (res.status === 401) {
      showAuthBanner();
      throw new AuthError('unauthorized');
    }
    let body = null;
    const text = await res.text();
    if (text) {
      try { body = JSON.parse(text); } catch (_) { body = null; }
    }
    if (!res.ok) {
      const msg = body && body.error ? body.error : `${res.status} ${res.statusText}`;
      const err = new Error(msg);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  function showAuthBanner() {
    if (state.authFailed) return;
    state.authFailed = true;
    stopLive();
    const b = $('#banner');
    b.replaceChildren(
      el('strong', null, 'This bandwatch server needs a token. '),
      document.createTextNode('Open the page as '),
      el('code', null, '/?token=…'),
      document.createTextNode(' with the token that '),
      el('code', null, 'bandwatch run'),
      document.createTextNode(' printed (or the one given with '),
      el('code', null, '--web-token'),
      document.createTextNode('); the server then remembers it in a cookie.'),
    );
    b.className = 'banner';
    b.hidden = false;
    setConn('error', 'token needed');
    document.body.dataset.ready = '1';
  }

  function showNote(text) {
    const b = $('#banner');
    if (state.authFailed) return;
    if (!text) { b.hidden = true; return; }
    b.replaceChildren(document.createTextNode(text));
    b.className = 'banner info';
    b.hidden = false;
  }

  function setConn(mode, label) {
    state.mode = mode;
    const p = $('#conn');
    p.dataset.state = mode;
    p.textContent = label || mode;
  }

  // ---------------------------------------------------------------- range and step
  function rangeSpanMs() {
    if (state.range.key === 'custom') return state.range.end - state.range.start;
    return RANGES[state.range.key] * 1000;
  }

  function stepSeconds() {
    const interval = state.config && isNum(state.config.interval_s) ? state.config.interval_s : 1;
    return Math.max(1, Math.ceil(interval), Math.round(rangeSpanMs() / 1000 / MAX_POINTS_TARGET));
  }

  /** Query parameters (start, end, step) for the current range. */
  function rangeParams() {
    const p = new URLSearchParams();
    if (state.range.key === 'custom') {
      p.set('start', String(state.range.start));
      p.set('end', String(state.range.end));
    } else {
      p.set('start', `-${state.range.key}`);
      p.set('end', 'now');
    }
    p.set('step', `${stepSeconds()}s`);
    return p;
  }

  function isFollowing() {
    return state.live && !state.zoomed && state.range.key !== 'custom';
  }

  function readHash() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ''));
    const r = h.get('r');
    if (r && RANGES[r]) {
      state.range = { key: r, start: null, end: null };
    } else if (r === 'custom') {
      const a = Number(h.get('from'));
      const b = Number(h.get('to'));
      if (isNum(a) && isNum(b) && b > a) state.range = { key: 'custom', start: a, end: b };
    }
  }

  function writeHash() {
    const h = new URLSearchParams();
    h.set('r', state.range.key);
    if (state.range.key === 'custom') {
      h.set('from', String(state.range.start));
      h.set('to', String(state.range.end));
    }
    history.replaceState(null, '', `${location.pathname}${location.search}#${h.toString()}`);
  }

  function toLocalInput(ms) {
    const d = new Date(loc(ms));
    return d.toISOString().slice(0, 16);
  }

  function syncRangeControls() {
    $('#range').value = state.range.key;
    const custom = state.range.key === 'custom';
    $('#custom-range').hidden = !custom;
    if (custom && state.range.start) {
      $('#custom-start').value = toLocalInput(state.range.start);
      $('#custom-end').value = toLocalInput(state.range.end);
    }
  }

  // ---------------------------------------------------------------- export links
  const EXPORT_MATCH = { system_cpu_percent: ['cpu=total'], probe_rtt_seconds: ['stat=avg'] };

  function updateExportLinks() {
    const metric = $('#export-metric').value;
    for (const format of ['json', 'csv']) {
      const p = new URLSearchParams();
      p.set('metric', metric);
      for (const m of EXPORT_MATCH[metric] || []) p.append('match', m);
      for (const [k, v] of rangeParams()) p.set(k, v);
      p.set('format', format);
      $(`#download-${format}`).href = `${API}/export?${p.toString()}`;
    }
  }

  // ---------------------------------------------------------------- series store
  function seriesFor(key) {
    let s = state.series.get(key);
    if (!s) {
      s = { x: [], y: [], lastBucket: -Infinity, n: 0 };
      state.series.set(key, s);
    }
    return s;
  }

  /** Adds a live value, averaging into the current bucket when the step spans several ticks. */
  function appendPoint(key, ts, value) {
    if (!isNum(ts) || !isNum(value)) return;
    const s = seriesFor(key);
    const step = state.stepMs;
    const bucket = Math.floor(ts / step) * step;
    if (bucket === s.lastBucket && s.y.length) {
      s.n += 1;
      s.y[s.y.length - 1] += (value - s.y[s.y.length - 1]) / s.n;
    } else if (bucket > s.lastBucket) {
      s.x.push(loc(bucket));
      s.y.push(value);
      s.lastBucket = bucket;
      s.n = 1;
    }
  }

  function trimSeries() {
    const min = loc(state.win.start);
    for (const s of state.series.values()) {
      let i = 0;
      while (i < s.x.length && s.x[i] < min) i += 1;
      if (i > 0) { s.x.splice(0, i); s.y.splice(0, i); }
    }
  }

  // ---------------------------------------------------------------- cards
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

  function thresholds() { return (state.config && state.config.thresholds) || {}; }

  function limitText(v) { return isNum(v) ? `limit ${short(v)} %` : 'no limit set'; }

  function updateCpu(v) { setGauge('card-cpu', v, thresholds().cpu_percent, limitText(thresholds().cpu_percent)); }
  function updateMemory(v) { setGauge('card-memory', v, thresholds().memory_percent, limitText(thresholds().memory_percent)); }

  function updateDisk() {
    let worst = null;
    let worstMount = null;
    for (const [mount, v] of state.disks) {
      if (isNum(v) && (worst === null || v > worst)) { worst = v; worstMount = mount; }
    }
    const n = state.disks.size;
    const where = worstMount === null ? '' : `${worstMount}${n > 1 ? ` (fullest of ${n})` : ''} · `;
    setGauge('card-disk', worst, thresholds().disk_percent, `${where}${limitText(thresholds().disk_percent)}`);
  }

  function ensureIface(name) {
    let f = state.ifaces.get(name);
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
    registerChart(chart, () => buildBandwidth(name));
    state.ifaces.set(name, f);
    updateLink(f);
    return f;
  }

  function insertSorted(parent, node, name, key) {
    const next = [...parent.children].find((c) => c.dataset[key] !== undefined && c.dataset[key] > name);
    parent.insertBefore(node, next || null);
  }

  function updateLink(f) {
    if (f.up === null && f.carrier === null) { f.linkEl.hidden = true; return; }
    f.linkEl.hidden = false;
    const up = f.up !== false && f.carrier !== false;
    f.linkEl.dataset.up = String(up);
    let text = up ? 'up' : (f.up === false ? 'down' : 'no carrier');
    if (up && isNum(f.speed) && f.speed > 0) text += ` · ${fmtBps(f.speed).replace('bps', 'bit/s')}`;
    f.linkEl.textContent = text;
  }

  function setRate(elem, v, limit) {
    elem.textContent = fmtBps(v);
    if (isNum(v)) elem.dataset.bps = String(v); else delete elem.dataset.bps;
    elem.dataset.level = isNum(v) ? level(v, limit) : 'ok';
  }

  // ---------------------------------------------------------------- devices
  function ensureDevice(name) {
    let d = state.devices.get(name);
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
    for (const w of ['1h', '24h', '7d']) {
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
    state.deviceSeq += 1;
    chart.id = `chart-device-${state.deviceSeq}`;
    root.append(head, up, chart);
    const next = [...box.children].find((c) => c.dataset.device > name);
    box.insertBefore(root, next || null);
    d.el = root;
    d.chart = chart;
    registerChart(chart, () => buildDevice(name));
    state.devices.set(name, d);
    return d;
  }

  function setDeviceUp(d, up) {
    if (typeof up !== 'boolean') return;
    d.dot.dataset.up = String(up);
    d.dot.setAttribute('aria-label', up ? 'reachable' : 'unreachable');
    d.dot.title = up ? 'reachable' : 'unreachable';
  }

  function setUptime(d, w, v) {
    const u = d.uptimeEls[w];
    if (!u) return;
    u.val.textContent = isNum(v) ? `${v.toFixed(v >= 99.95 || v < 10 ? 1 : 2)} %` : '—';
    u.fill.style.width = `${isNum(v) ? Math.max(0, Math.min(100, v)) : 0}%`;
    let lv = 'ok';
    if (isNum(v) && v < 95) lv = 'crit';
    else if (isNum(v) && v < 99) lv = 'warn';
    u.u.dataset.level = lv;
  }

  function applyDevice(info) {
    const d = ensureDevice(info.name);
    setDeviceUp(d, info.up);
    d.rttEl.textContent = fmtMs(info.rtt_ms);
    d.lossEl.textContent = fmtPct(info.loss_percent);
    d.jitterEl.textContent = fmtMs(info.jitter_ms);
    const u = info.uptime_percent || {};
    for (const w of ['1h', '24h', '7d']) setUptime(d, w, u[w]);
    if (isNum(info.last_seen)) d.el.title = `last seen ${fmtTime(info.last_seen)}`;
  }

  // ---------------------------------------------------------------- samples (snapshot + live)
  /** Applies one sample to cards and, when `chart` is true, to the chart series. */
  function applySample(s, ts, chart) {
    if (!s || typeof s.metric !== 'string') return;
    const labels = s.labels || {};
    const v = s.value;
    const t = isNum(s.ts) ? s.ts : ts;
    state.knownMetrics.add(s.metric);
    if (!isNum(v) && /^(net_up|net_carrier|probe_up)$/.test(s.metric)) return;
    const th = thresholds();
    switch (s.metric) {
      case 'net_rx_bits_per_second':
      case 'net_tx_bits_per_second': {
        if (typeof labels.iface !== 'string') break;
        const f = ensureIface(labels.iface);
        const rx = s.metric === 'net_rx_bits_per_second';
        setRate(rx ? f.rxEl : f.txEl, v, rx ? th.download_bps : th.upload_bps);
        if (chart) appendPoint(`${rx ? 'rx' : 'tx'}|${labels.iface}`, t, v / 1e6);
        break;
      }
      case 'net_up':
      case 'net_carrier': {
        if (typeof labels.iface !== 'string') break;
        const f = ensureIface(labels.iface);
        if (s.metric === 'net_up') f.up = v >= 0.5; else f.carrier = v >= 0.5;
        updateLink(f);
        break;
      }
      case 'system_cpu_percent':
        if (labels.cpu !== undefined && labels.cpu !== 'total') break;
        updateCpu(v);
        if (chart) appendPoint('cpu', t, v);
        break;
      case 'system_memory_used_percent':
        updateMemory(v);
        if (chart) appendPoint('memory', t, v);
        break;
      case 'system_disk_used_percent': {
        const mount = typeof labels.mount === 'string' ? labels.mount : '';
        state.disks.set(mount, v);
        updateDisk();
        if (chart) appendPoint(`disk|${mount}`, t, v);
        break;
      }
      case 'probe_up':
        if (typeof labels.target === 'string') setDeviceUp(ensureDevice(labels.target), v >= 0.5);
        break;
      case 'probe_rtt_seconds':
        if (typeof labels.target !== 'string' || (labels.stat !== undefined && labels.stat !== 'avg')) break;
        ensureDevice(labels.target).rttEl.textContent = fmtMs(isNum(v) ? v * 1000 : null);
        if (chart) appendPoint(`rtt|${labels.target}`, t, v * 1000);
        break;
      case 'probe_loss_percent':
        if (typeof labels.target !== 'string') break;
        ensureDevice(labels.target).lossEl.textContent = fmtPct(v);
        if (chart) appendPoint(`loss|${labels.target}`, t, v);
        break;
      case 'probe_jitter_seconds':
        if (typeof labels.target === 'string') ensureDevice(labels.target).jitterEl.textContent = fmtMs(isNum(v) ? v * 1000 : null);
        break;
      case 'probe_uptime_percent':
        if (typeof labels.target === 'string') setUptime(ensureDevice(labels.target), labels.window, v);
        break;
      default:
        break;
    }
  }

  /** A live frame (stream) or a polled snapshot: update cards, extend and slide the charts. */
  function onLiveData(ts, samples) {
    const follow = isFollowing();
    for (const s of samples || []) applySample(s, ts, follow);
    if (isNum(ts)) {
      document.body.dataset.lastFrame = String(ts);
      $('#updated').textContent = `updated ${fmtTime(ts)}`;
      if (follow && ts > state.win.end) {
        state.win.end = ts;
        state.win.start = ts - rangeSpanMs();
        trimSeries();
      }
    }
    if (follow) markAllDirty();
  }

  // ---------------------------------------------------------------- charts
  function registerChart(elem, build) {
    state.charts.set(elem.id, { el: elem, build, drawn: false });
    state.dirty.add(elem.id);
    scheduleRender();
  }

  function markAllDirty() {
    for (const id of state.charts.keys()) state.dirty.add(id);
    scheduleRender();
  }

  function scheduleRender() {
    // until the history is in, there is nothing worth drawing (the first load draws everything)
    if (state.renderTimer || !state.historyLoaded) return;
    const wait = Math.max(0, RENDER_GAP_MS - (performance.now() - state.lastRender));
    state.renderTimer = setTimeout(() => {
      state.renderTimer = null;
      requestAnimationFrame(() => { renderDirty(); });
    }, wait);
  }

  function renderDirty() {
    state.lastRender = performance.now();
    const ids = [...state.dirty];
    state.dirty.clear();
    return Promise.all(ids.map((id) => drawChart(id)));
  }

  const narrow = () => window.matchMedia('(max-width: 600px)').matches;

  function baseLayout(extra) {
    const xr = [loc(state.win.start), loc(state.win.end)];
    const layout = {
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 11, color: COLOR.text },
      margin: { l: 46, r: 14, t: 26, b: 30 },
      xaxis: {
        type: 'date', range: xr, autorange: false, gridcolor: COLOR.grid, linecolor: COLOR.axis,
        zeroline: false, hoverformat: '%Y-%m-%d %H:%M:%S', nticks: narrow() ? 4 : 8,
      },
      yaxis: { gridcolor: COLOR.grid, linecolor: COLOR.axis, zeroline: false, rangemode: 'tozero', fixedrange: true, automargin: true },
      showlegend: true,
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1, yanchor: 'bottom', bgcolor: 'rgba(0,0,0,0)', font: { size: 11 } },
      hovermode: 'x unified',
      hoverlabel: { bgcolor: '#1d222a', bordercolor: '#3a414c', font: { color: '#d6dce4', size: 11 } },
      dragmode: narrow() ? false : 'zoom',
      shapes: [],
      annotations: [],
      datarevision: Date.now(),
    };
    return Object.assign(layout, extra || {});
  }

  const PLOT_CONFIG = {
    displaylogo: false,
    responsive: true,
    displayModeBar: 'hover',
    modeBarButtonsToRemove: ['select2d', 'lasso2d', 'autoScale2d', 'toggleSpikelines', 'hoverClosestCartesian', 'hoverCompareCartesian'],
    scrollZoom: false,
  };

  function line(key, name, color, meta, extra) {
    const s = state.series.get(key) || { x: [], y: [] };
    return Object.assign({
      type: 'scatter', mode: 'lines', name, meta,
      x: s.x.slice(), y: s.y.slice(),
      line: { color, width: 1.6 },
      connectgaps: false,
    }, extra || {});
  }

  function hline(y, color, label, layout, labelX = 1) {
    if (!isNum(y)) return;
    const yref = 'y';
    layout.shapes.push({
      type: 'line', xref: 'paper', x0: 0, x1: 1, yref, y0: y, y1: y,
      line: { color, width: 1, dash: 'dash' }, layer: 'below',
    });
    layout.annotations.push({
      xref: 'paper', x: labelX, xanchor: 'right', yref, y, yanchor: 'bottom',
      text: esc(label), showarrow: false, font: { size: 10, color },
    });
  }

  /** Vertical lines at alert starts plus a hoverable marker trace. */
  function alertMarkers(filter, yOf, layout) {
    const lo = loc(state.win.start);
    const hi = loc(state.win.end);
    const xs = []; const ys = []; const texts = []; const colors = [];
    for (const a of state.alerts) {
      if (!isNum(a.started) || !filter(a)) continue;
      const x = loc(a.started);
      if (x < lo || x > hi) continue;
      const color = COLOR[a.severity] || COLOR.low;
      layout.shapes.push({
        type: 'line', xref: 'x', x0: x, x1: x, yref: 'paper', y0: 0, y1: 1,
        line: { color, width: 1, dash: 'dot' }, layer: 'below',
      });
      const y = yOf(a);
      if (isNum(y)) {
        xs.push(x); ys.push(y); colors.push(color);
        const msg = String(a.message || '').slice(0, 160);
        texts.push(`${esc(a.rule)} · ${esc(a.severity)} · ${esc(a.state)}<br>${esc(msg)}`);
      }
    }
    if (!xs.length) return null;
    return {
      type: 'scatter', mode: 'markers', name: 'alerts', meta: { kind: 'alerts' }, showlegend: false,
      x: xs, y: ys, hovertext: texts, hoverinfo: 'text',
      marker: { symbol: 'triangle-down', size: 11, color: colors, line: { color: '#0f1216', width: 1 } },
    };
  }

  function emptyNote(layout, traces, id) {
    const err = state.seriesErrors.get(id);
    const hasData = traces.some((t) => t.x && t.x.length && !(t.meta && t.meta.kind === 'alerts'));
    if (hasData && !err) return;
    layout.annotations.push({
      xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false,
      text: esc(err ? `could not load: ${err}` : 'no data in this range'),
      font: { size: 12, color: err ? COLOR.critical : COLOR.text },
    });
  }

  function buildBandwidth(iface) {
    const th = thresholds();
    const layout = baseLayout();
    layout.yaxis.ticksuffix = '';
    layout.yaxis.title = { text: 'Mbit/s', font: { size: 10 }, standoff: 4 };
    const traces = [
      line(`rx|${iface}`, 'download', COLOR.rx, { iface, dir: 'rx' },
        { fill: 'tozeroy', fillcolor: 'rgba(76,154,255,0.12)', hovertemplate: '%{y:.3~f} Mbit/s' }),
      line(`tx|${iface}`, 'upload', COLOR.tx, { iface, dir: 'tx' },
        { fill: 'tozeroy', fillcolor: 'rgba(255,159,67,0.10)', hovertemplate: '%{y:.3~f} Mbit/s' }),
    ];
    if (isNum(th.download_bps)) hline(th.download_bps / 1e6, COLOR.rx, `download limit ${short(th.download_bps / 1e6)} Mbit/s`, layout);
    if (isNum(th.upload_bps)) hline(th.upload_bps / 1e6, COLOR.tx, `upload limit ${short(th.upload_bps / 1e6)} Mbit/s`, layout);
    const markers = alertMarkers(
      (a) => metricOf(a.series).startsWith('net_') && (!a.labels || !a.labels.iface || a.labels.iface === iface),
      (a) => (/bits_per_second$/.test(metricOf(a.series)) && isNum(a.value) ? a.value / 1e6 : null),
      layout,
    );
    if (markers) traces.push(markers);
    emptyNote(layout, traces, `chart-bandwidth-${iface}`);
    return { traces, layout };
  }

  function buildSystem() {
    const th = thresholds();
    const layout = baseLayout();
    layout.yaxis.range = [0, 100];
    layout.yaxis.rangemode = undefined;
    layout.yaxis.ticksuffix = ' %';
    const pct = { hovertemplate: '%{y:.1f} %' };
    const traces = [
      line('cpu', 'CPU', COLOR.cpu, { kind: 'cpu' }, pct),
      line('memory', 'memory', COLOR.memory, { kind: 'memory' }, pct),
    ];
    const mounts = [...state.series.keys()].filter((k) => k.startsWith('disk|')).sort();
    mounts.forEach((k, i) => {
      const mount = k.slice(5);
      traces.push(line(k, esc(mounts.length > 1 || mount ? `disk ${mount}` : 'disk'),
        DISK_COLORS[i % DISK_COLORS.length], { kind: 'disk', mount }, pct));
    });
    // the three limits are often close together: stagger their labels along the line
    const limits = [['CPU', th.cpu_percent, COLOR.cpu], ['memory', th.memory_percent, COLOR.memory], ['disk', th.disk_percent, COLOR.disk]]
      .filter(([, v]) => isNum(v));
    limits.forEach(([what, v, color], i) => hline(v, color, `${what} limit ${short(v)} %`, layout, 1 - i * 0.2));
    const markers = alertMarkers(
      (a) => metricOf(a.series).startsWith('system_'),
      (a) => (/percent$/.test(metricOf(a.series)) && isNum(a.value) ? a.value : null),
      layout,
    );
    if (markers) traces.push(markers);
    emptyNote(layout, traces, 'chart-system');
    return { traces, layout };
  }

  function buildDevice(name) {
    const d = state.devices.get(name);
    const layout = baseLayout({ showlegend: false });
    layout.margin = { l: 46, r: 46, t: 8, b: 24 };
    // one line of tick labels: the date line plotly adds would not fit a small chart
    layout.xaxis.tickformat = state.win.end - state.win.start <= 86400000 ? '%H:%M' : '%b %-d';
    layout.yaxis.title = { text: 'rtt ms', font: { size: 10, color: COLOR.rtt }, standoff: 2 };
    layout.yaxis2 = {
      overlaying: 'y', side: 'right', range: [0, 100], fixedrange: true, showgrid: false, zeroline: false,
      ticksuffix: '%', title: { text: 'loss', font: { size: 10, color: COLOR.loss }, standoff: 2 }, nticks: 3,
    };
    const traces = [
      line(`rtt|${name}`, 'latency', COLOR.rtt, { kind: 'rtt' },
        { hovertemplate: '%{y:.2f} ms', fill: 'tozeroy', fillcolor: 'rgba(76,154,255,0.10)' }),
      line(`loss|${name}`, 'loss', COLOR.loss, { kind: 'loss' }, { yaxis: 'y2', hovertemplate: '%{y:.1f} %', line: { color: COLOR.loss, width: 1.2 } }),
    ];
    const markers = alertMarkers(
      (a) => a.labels && a.labels.target === name,
      () => null,
      layout,
    );
    if (markers) traces.push(markers);
    emptyNote(layout, traces, d ? d.chart.id : '');
    return { traces, layout };
  }

  /** Draws one chart; a request while it is drawing is run once after, with the newest data. */
  function drawChart(id) {
    const c = state.charts.get(id);
    if (!c) return Promise.resolve();
    if (c.busy) {
      const next = () => { c.again = null; return drawChart(id); };
      if (!c.again) c.again = c.busy.then(next, next);
      return c.again;
    }
    c.busy = drawNow(id, c).finally(() => { c.busy = null; });
    return c.busy;
  }

  async function drawNow(id, c) {
    if (!c.el.isConnected || !window.Plotly) return;
    try {
      const { traces, layout } = c.build();
      if (!c.drawn) {
        await window.Plotly.newPlot(c.el, traces, layout, PLOT_CONFIG);
        c.drawn = true;
        c.el.on('plotly_relayout', (ev) => onUserRelayout(id, ev));
        if (!state.firstChartMarked) {
          state.firstChartMarked = true;
          performance.mark('bandwatch:first-chart');
        }
      } else {
        await window.Plotly.react(c.el, traces, layout, PLOT_CONFIG);
      }
    } catch (e) {
      showNote(`A chart could not be drawn: ${e && e.message ? e.message : e}`);
    }
  }

  /** Zooming one chart pauses following and zooms the other time charts the same way. */
  function onUserRelayout(id, ev) {
    if (state.syncing || !ev) return;
    const a = ev['xaxis.range[0]'];
    const b = ev['xaxis.range[1]'];
    const r = ev['xaxis.range'];
    if (ev['xaxis.autorange']) {
      // double-click: back to the chosen range
      state.zoomed = false;
      updateLiveButton();
      markAllDirty();
      return;
    }
    let range = null;
    if (a !== undefined && b !== undefined) range = [a, b];
    else if (Array.isArray(r)) range = r;
    if (!range) return;
    if (!state.zoomed) {
      state.zoomed = true;
      updateLiveButton();
    }
    state.syncing = true;
    const others = [...state.charts.values()].filter((c) => c.drawn && c.el.id !== id);
    Promise.all(others.map((c) => window.Plotly.relayout(c.el, { 'xaxis.range': range.slice() })))
      .catch(() => {})
      .finally(() => { state.syncing = false; });
  }

  // ---------------------------------------------------------------- loading history
  async function fetchSeries(metric, matches) {
    const p = rangeParams();
    p.set('metric', metric);
    for (const m of matches || []) p.append('match', m);
    return api(`/series?${p.toString()}`);
  }

  function fill(resp, keyOf, scale) {
    if (!resp || !Array.isArray(resp.series)) return;
    const stepMs = isNum(resp.step_ms) ? resp.step_ms : state.stepMs;
    for (const s of resp.series) {
      const key = keyOf(s.labels || {});
      if (!key) continue;
      const out = seriesFor(key);
      for (const p of s.points || []) {
        if (!Array.isArray(p) || !isNum(p[0]) || !isNum(p[1])) continue;
        out.x.push(loc(p[0]));
        out.y.push(p[1] * scale);
        out.lastBucket = Math.floor(p[0] / stepMs) * stepMs;
        out.n = 1;
      }
    }
  }

  /** Re-queries every chart's history for the current range and redraws. */
  async function loadHistory() {
    const gen = ++state.loadGen;
    updateExportLinks();
    const now = Date.now();
    const win = state.range.key === 'custom'
      ? { start: state.range.start, end: state.range.end }
      : { start: now - rangeSpanMs(), end: now };
    let stepMs = stepSeconds() * 1000;

    // /series answers 400 for a metric nobody has seen, so ask only for what the agent has
    // (bandwidth always: it is what bandwatch is for)
    const known = (m) => state.knownMetrics.has(m);
    const ifaceKey = (dir) => (l) => {
      if (typeof l.iface !== 'string') return null;
      ensureIface(l.iface);
      return `${dir}|${l.iface}`;
    };
    const jobs = [
      ['net_rx_bits_per_second', [], ifaceKey('rx'), 1e-6, 'bw'],
      ['net_tx_bits_per_second', [], ifaceKey('tx'), 1e-6, 'bw'],
    ];
    const optional = [
      ['system_cpu_percent', ['cpu=total'], () => 'cpu', 1, 'chart-system'],
      ['system_memory_used_percent', [], () => 'memory', 1, 'chart-system'],
      ['system_disk_used_percent', [], (l) => `disk|${typeof l.mount === 'string' ? l.mount : ''}`, 1, 'chart-system'],
      ['probe_rtt_seconds', ['stat=avg'], (l) => (typeof l.target === 'string' ? `rtt|${ensureDevice(l.target).name}` : null), 1000, 'dev'],
      ['probe_loss_percent', [], (l) => (typeof l.target === 'string' ? `loss|${ensureDevice(l.target).name}` : null), 1, 'dev'],
    ];
    for (const job of optional) if (known(job[0])) jobs.push(job);
    const results = await Promise.all(jobs.map(([metric, matches]) => fetchSeries(metric, matches)
      .then((r) => ({ ok: r }), (e) => ({ err: e }))));
    if (gen !== state.loadGen) return false; // a newer range won
    if (results.some((r) => r.err instanceof AuthError)) return false;

    // the server may widen the step (rollup tiers); live points then go into its buckets
    const first = results.find((r) => r.ok && isNum(r.ok.step_ms));
    if (first) stepMs = first.ok.step_ms;
    state.stepMs = stepMs;
    state.win = win;
    state.series = new Map();
    state.seriesErrors = new Map();
    let windowFromServer = false;
    results.forEach((r, i) => {
      const [metric, , keyOf, scale, target] = jobs[i];
      if (r.err) {
        const ids = target === 'bw' ? [...state.ifaces.values()].map((f) => f.chart.id)
          : target === 'dev' ? [...state.devices.values()].map((d) => d.chart.id) : [target];
        for (const id of ids) state.seriesErrors.set(id, `${metric}: ${r.err.message}`);
        return;
      }
      fill(r.ok, keyOf, scale);
      if (!windowFromServer && state.range.key !== 'custom' && isNum(r.ok.end)) {
        // the server's "now" is the right edge, so live frames line up with history
        windowFromServer = true;
        state.win = { start: r.ok.end - rangeSpanMs(), end: r.ok.end };
      }
    });
    state.zoomed = false;
    state.historyLoaded = true;
    updateLiveButton();
    for (const id of state.charts.keys()) state.dirty.add(id);
    await renderDirty();
    return true;
  }

  // ---------------------------------------------------------------- alerts
  function alertParams() {
    const p = new URLSearchParams();
    const sev = $('#alert-severity').value;
    const st = $('#alert-state').value;
    const q = $('#alert-search').value.trim();
    if (sev) p.set('severity', sev);
    if (st) p.set('state', st);
    if (q) p.set('q', q);
    if (state.range.key === 'custom') {
      p.set('since', String(Math.min(state.range.start, Date.now() - 7 * 86400000)));
    } else {
      p.set('since', RANGES[state.range.key] > RANGES['7d'] ? `-${state.range.key}` : '-7d');
    }
    p.set('limit', '200');
    return p;
  }

  async function loadAlerts() {
    let list;
    try {
      list = await api(`/alerts?${alertParams().toString()}`);
    } catch (e) {
      if (e instanceof AuthError) return;
      renderAlertsError(e.message);
      return;
    }
    state.alerts = Array.isArray(list) ? list : [];
    state.alerts.sort((a, b) => (b.started || 0) - (a.started || 0));
    renderAlerts();
    markAllDirty();
  }

  function scheduleAlerts(delay) {
    clearTimeout(state.alertsTimer);
    state.alertsTimer = setTimeout(loadAlerts, delay);
  }

  function renderAlertsError(msg) {
    $('#alerts').replaceChildren(el('li', 'empty', `Alerts could not be loaded: ${msg}`));
  }

  function renderAlerts() {
    const ol = $('#alerts');
    if (!state.alerts.length) {
      ol.replaceChildren(el('li', 'empty', 'No alerts match.'));
      return;
    }
    ol.replaceChildren(...state.alerts.map(alertItem));
  }

  function ackLine(a) {
    const who = a.acked_by ? `acked by ${a.acked_by}` : 'acked';
    const s = el('span', 'acked', `${who} at ${fmtTime(a.acked_at)}`);
    s.title = new Date(a.acked_at).toString();
    return s;
  }

  function alertItem(a) {
    const li = el('li', 'alert');
    li.dataset.alertId = String(a.id);
    const sev = SEVERITIES.includes(a.severity) ? a.severity : 'low';
    li.dataset.severity = sev;
    li.dataset.state = String(a.state || '');
    const head = el('div', 'alert-head');
    head.append(el('span', `badge sev-${sev}`, a.severity || 'unknown'));
    head.append(el('span', `badge state-${['firing', 'pending', 'resolved'].includes(a.state) ? a.state : 'x'}`, a.state || ''));
    head.append(el('span', 'rule', a.rule || ''));
    const t = el('time', null, fmtTime(a.started));
    if (isNum(a.started)) {
      t.dateTime = new Date(a.started).toISOString();
      t.title = new Date(a.started).toString();
    }
    head.append(t);
    li.append(head);
    if (a.message) li.append(el('div', 'msg', a.message));
    const meta = el('div', 'meta');
    meta.append(el('span', 'series', a.series || ''));
    const metric = metricOf(a.series);
    const bits = [];
    if (isNum(a.value)) bits.push(`value ${fmtMetric(metric, a.value)}`);
    if (isNum(a.reference)) bits.push(`limit ${fmtMetric(metric, a.reference)}`);
    if (isNum(a.ended)) bits.push(`ended ${fmtTime(a.ended)} after ${fmtDuration(a.ended - a.started)}`);
    else if (isNum(a.started)) bits.push(`for ${fmtDuration(Date.now() - a.started)}`);
    if (a.max_severity && a.max_severity !== a.severity) bits.push(`peak ${a.max_severity}`);
    if (bits.length) meta.append(document.createTextNode(` · ${bits.join(' · ')}`));
    li.append(meta);
    const foot = el('div', 'alert-foot');
    if (isNum(a.acked_at)) {
      foot.append(ackLine(a));
    } else {
      const b = el('button', 'btn small ack', 'Acknowledge');
      b.type = 'button';
      foot.append(b);
    }
    li.append(foot);
    return li;
  }

  async function acknowledge(li, button) {
    const id = li.dataset.alertId;
    const by = $('#ack-by').value.trim();
    button.disabled = true;
    button.textContent = 'Acknowledging…';
    const foot = button.parentElement;
    const old = foot.querySelector('.note');
    if (old) old.remove();
    try {
      const res = await api(`/alerts/${encodeURIComponent(id)}/ack`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(by ? { by } : {}),
      });
      const a = state.alerts.find((x) => String(x.id) === id);
      const ackedAt = res && isNum(res.acked_at) ? res.acked_at : Date.now();
      const ackedBy = res && typeof res.acked_by === 'string' ? res.acked_by : (by || null);
      if (a) { a.acked_at = ackedAt; a.acked_by = ackedBy; }
      button.replaceWith(ackLine({ acked_at: ackedAt, acked_by: ackedBy }));
      scheduleAlerts(1500);
    } catch (e) {
      if (e instanceof AuthError) return;
      button.disabled = false;
      button.textContent = 'Acknowledge';
      foot.append(el('span', 'note', `could not acknowledge: ${e.message}`));
    }
  }

  // ---------------------------------------------------------------- live updates
  function stopLive() {
    if (state.es) { state.es.close(); state.es = null; }
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  function startLive() {
    stopLive();
    if (!state.live || state.authFailed) { setConn('paused', 'paused'); return; }
    if (!('EventSource' in window) || Date.now() < state.streamRetryAt) { startPolling(); return; }
    const es = new EventSource(`${API}/stream`);
    state.es = es;
    let opened = false;
    let errors = 0;
    es.addEventListener('open', () => { opened = true; errors = 0; setConn('live', 'live'); });
    es.addEventListener('frame', (e) => {
      errors = 0;
      let f;
      try { f = JSON.parse(e.data); } catch (_) { return; }
      if (state.es !== es) return;
      onLiveData(f.ts, f.samples);
    });
    es.addEventListener('alert', () => { if (state.es === es) scheduleAlerts(400); });
    es.addEventListener('lagged', () => { if (state.es === es) setConn('live', 'live (skipped frames)'); });
    es.addEventListener('error', () => {
      if (state.es !== es) return;
      errors += 1;
      if (es.readyState === EventSource.CLOSED || !opened || errors >= 3) {
        // the stream is not available: poll the snapshot instead and try the stream later
        es.close();
        state.es = null;
        state.streamRetryAt = Date.now() + STREAM_RETRY_MS;
        api('/config').catch(() => {});
        if (!state.authFailed) startPolling();
      } else {
        setConn('polling', 'reconnecting…');
      }
    });
  }

  function startPolling() {
    if (!state.live || state.authFailed) return;
    setConn('polling', 'polling');
    const every = Math.max(0.5, (state.config && state.config.auto_refresh_s) || 2) * 1000;
    const tick = async () => {
      if (!state.live || state.es) return;
      try {
        const snap = await api('/snapshot');
        if (!state.live) return;
        setConn('polling', 'polling');
        onLiveData(snap && snap.ts, snap && snap.samples);
        state.polls += 1;
        if (state.polls % 5 === 0) loadAlerts();
      } catch (e) {
        if (e instanceof AuthError) return;
        setConn('offline', 'offline');
      }
      if (!state.live || state.es) return;
      if (Date.now() >= state.streamRetryAt && 'EventSource' in window) { startLive(); return; }
      state.pollTimer = setTimeout(tick, every);
    };
    state.pollTimer = setTimeout(tick, every);
  }

  function updateLiveButton() {
    const b = $('#live-toggle');
    b.setAttribute('aria-pressed', String(state.live && !state.zoomed));
    if (!state.live) b.textContent = 'Resume';
    else if (state.zoomed) b.textContent = 'Follow live';
    else b.textContent = 'Pause';
  }

  async function toggleLive() {
    if (state.live && !state.zoomed) {
      state.live = false;
      stopLive();
      setConn('paused', 'paused');
      updateLiveButton();
      return;
    }
    state.live = true;
    state.zoomed = false;
    updateLiveButton();
    await reloadAll(false);
  }

  // ---------------------------------------------------------------- load sequence
  function applyConfig(cfg) {
    state.config = cfg || {};
    const host = state.config.host ? String(state.config.host) : '';
    $('#host').textContent = host;
    document.title = host ? `${host} · bandwatch` : 'bandwatch';
    $('#version').textContent = state.config.version ? `bandwatch ${state.config.version}` : 'bandwatch';
    updateCpu(null);
    updateMemory(null);
    updateDisk();
  }

  function applyInterfaces(list) {
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

  async function softly(p) {
    try { return await p; } catch (e) {
      if (e instanceof AuthError) throw e;
      showNote(`Part of the dashboard could not be loaded: ${e.message}`);
      return null;
    }
  }

  /** The whole page: lists, snapshot, history, alerts; then live updates. */
  async function reloadAll(first) {
    delete document.body.dataset.ready;
    stopLive();
    setConn('loading', 'loading…');
    try {
      if (first || !state.config) applyConfig(await api('/config'));
      const [ifaces, devices, snap] = await Promise.all([
        softly(api('/interfaces')), softly(api('/devices')), softly(api('/snapshot')),
      ]);
      applyInterfaces(ifaces);
      if (Array.isArray(devices)) devices.forEach((d) => d && typeof d.name === 'string' && applyDevice(d));
      if (snap && Array.isArray(snap.samples)) {
        for (const s of snap.samples) applySample(s, snap.ts, false);
      }
      await Promise.all([loadHistory(), loadAlerts()]);
      if (!window.Plotly) showNote('The chart library (/assets/plotly.min.js) did not load; numbers still update.');
    } catch (e) {
      if (e instanceof AuthError) return;
      setConn('offline', 'offline');
      showNote(`bandwatch could not be reached: ${e.message}. Retrying…`);
      setTimeout(() => reloadAll(!state.config), 5000);
      return;
    }
    document.body.dataset.ready = '1';
    if (state.live) startLive(); else setConn('paused', 'paused');
  }

  async function changeRange() {
    writeHash();
    syncRangeControls();
    updateExportLinks();
    const ok = await loadHistory();
    if (ok) loadAlerts();
  }

  // ---------------------------------------------------------------- wiring
  function bind() {
    $('#range').addEventListener('change', (e) => {
      const v = e.target.value;
      if (v === 'custom') {
        const end = Date.now();
        const span = rangeSpanMs();
        $('#custom-range').hidden = false;
        if (!$('#custom-start').value) $('#custom-start').value = toLocalInput(end - span);
        if (!$('#custom-end').value) $('#custom-end').value = toLocalInput(end);
        $('#custom-start').focus();
        return;
      }
      state.range = { key: v, start: null, end: null };
      changeRange();
    });
    $('#custom-range').addEventListener('submit', (e) => {
      e.preventDefault();
      const a = new Date($('#custom-start').value).getTime();
      const b = new Date($('#custom-end').value).getTime();
      if (!isNum(a) || !isNum(b) || b <= a) {
        showNote('Custom range: "From" must be a valid time before "To".');
        return;
      }
      showNote('');
      state.range = { key: 'custom', start: a, end: b };
      changeRange();
    });
    $('#live-toggle').addEventListener('click', toggleLive);
    $('#refresh').addEventListener('click', () => { showNote(''); reloadAll(false); });
    $('#export-metric').addEventListener('change', updateExportLinks);
    for (const id of ['#alert-severity', '#alert-state']) $(id).addEventListener('change', () => scheduleAlerts(0));
    $('#alert-search').addEventListener('input', () => scheduleAlerts(300));
    const by = $('#ack-by');
    try { by.value = localStorage.getItem('bandwatch.ackBy') || ''; } catch (_) { /* storage off */ }
    by.addEventListener('change', () => {
      try { localStorage.setItem('bandwatch.ackBy', by.value.trim()); } catch (_) { /* storage off */ }
    });
    $('#alerts').addEventListener('click', (e) => {
      const b = e.target.closest('button.ack');
      if (!b || b.disabled) return;
      const li = b.closest('[data-alert-id]');
      if (li) acknowledge(li, b);
    });
    window.addEventListener('hashchange', () => {
      const before = JSON.stringify(state.range);
      readHash();
      if (JSON.stringify(state.range) !== before) changeRange();
    });
    // redraw after the page comes back from the background (timers were throttled there)
    document.addEventListener('visibilitychange', () => { if (!document.hidden) markAllDirty(); });
  }

  function init() {
    readHash();
    syncRangeControls();
    updateLiveButton();
    registerChart($('#chart-system'), buildSystem);
    bind();
    updateExportLinks();
    reloadAll(true);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
