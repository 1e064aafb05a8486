/*
 * bandwatch dashboard: the main module. Plain modern JS as ES modules (./js/*.js, one concern
 * each), no build step and no third-party code; the charts are our own, on <canvas>
 * (./js/chart/*.js). Talks only to the same-origin JSON API in ../API.md, and finds every
 * metric through the catalogue (GET /api/v1/catalog) by its role: no metric name is written
 * here.
 *
 * The page runs under a strict CSP (no inline script, no eval), so every handler is attached
 * in the modules, and every string that comes from the API reaches the DOM through
 * textContent or an attribute, never innerHTML; on a chart it is painted with fillText.
 *
 * Contract with the browser test (crates/bandwatch/tests/browser/dashboard.mjs):
 *   body[data-ready="1"]        set once the first full load (config, catalogue, lists,
 *                               history, alerts, first draw of every chart, then the device
 *                               list) is done; set
 *                               again after Refresh.
 *   body[data-last-frame]       epoch ms of the last live frame (stream or polled snapshot).
 *   performance mark 'bandwatch:first-chart'  after the first chart has been drawn.
 *   #card-cpu, #card-memory, #card-disk     gauges; `.value` text, data-level ok|warn|crit.
 *   #ifaces [data-iface="<name>"] .rx / .tx  current download / upload text ("12.5 Mbps");
 *                                            the same element carries data-bps (bits/s).
 *   #chart-bandwidth-<iface>   one chart per interface (raw name in the id; use
 *                              getElementById). Every chart element has a read-only
 *                              `chartView`: {x: [t0, t1] shown (epoch ms), y: [lo, hi],
 *                              zoomed, series: [{id, name, meta, hidden, x, y}], lines (the
 *                              limits), marks (alert count), note, css, dpr, backing}, and
 *                              data-x-start / data-x-end / data-zoomed. Here the series carry
 *                              meta {iface, dir: 'rx'|'tx'}, named "download"/"upload", y in
 *                              bits/s. Inside: .chart-legend (button.legend-item per series,
 *                              aria-pressed), .chart-plot with canvas.chart-over (takes the
 *                              pointer: hover shows .chart-tip, a drag zooms every chart,
 *                              double-click or button.chart-reset goes back).
 *   #chart-system              CPU/memory/disk % (meta {kind: 'cpu'|'memory'|'disk'}).
 *   #lan                       the device table (hidden while /devices lists none):
 *                              #lan-rows tr[data-device="<label>"] highest rate first, each
 *                              with td.name (.label, .badge-new unless hidden; tr data-new),
 *                              td.ip, td.mac, td.rx / td.tx (text, data-bps), td.active,
 *                              td.reach (probed only), td.seen. A click (or Enter) marks the
 *                              row data-selected="true" and shows #chart-device-rate (meta
 *                              {device, dir}), the device's download and upload.
 *   #caps                      the data caps (hidden while /caps lists none), loaded after
 *                              the history: #caps-list .cap[data-cap="<name>"] per cap, with
 *                              data-level ok|warn|crit, .name, .pct ("41.2 %"), .cap-bar
 *                              (role meter, aria-valuenow = used %) holding .cap-fill (width =
 *                              used share) and .cap-forecast (left = forecast share, capped at
 *                              the end), and .cap-detail (bytes, forecast, reach day).
 *   #devices [data-device="<name>"]  one block per probed device: .dot[data-up], .name, .rtt,
 *                              .loss, uptime bars [data-window], chart .chart (id chart-device-N).
 *   #alerts [data-alert-id="<id>"]   newest first; button.ack when not acknowledged, else
 *                              span.acked ("acked by … at …").
 *   #mode                      visible "read-only: recorded history" label when the server
 *                              only shows recorded history (`bandwatch serve`); then also
 *                              body[data-read-only="1"], #conn data-state="recorded", no
 *                              button.ack, #live-toggle disabled, and a range that ends with
 *                              the recording when it ended earlier.
 *   #range (select: 5m 15m 1h 6h 24h 7d 30d custom), #custom-start, #custom-end,
 *   #custom-apply, #live-toggle (aria-pressed="true" while live), #refresh,
 *   #export-metric (options carry data-role), #download-json, #download-csv (links to
 *   /api/v1/export).
 *   The x-axis range of every time chart is exactly the chosen range (or the zoom, the same
 *   on every chart); the range is kept in the URL fragment (#r=5m) so a reload keeps it.
 */

import { $ } from './js/dom.js';
import { api, AuthError, whenUnauthorized } from './js/api.js';
import { isNum } from './js/format.js';
import { config, readOnly, setConfig } from './js/config.js';
import { loadCatalog } from './js/catalog.js';
import { setConn, showNote } from './js/banner.js';
import { buildSystem, markAllDirty, registerChart, whenZoomChanges } from './js/charts.js';
import { applyInterfaces, updateCpu, updateDisk, updateMemory } from './js/cards.js';
import { applyDevice } from './js/devices.js';
import { applyDeviceList, whenDeviceSelected } from './js/lan.js';
import { applySample, prepareSamples } from './js/samples.js';
import { bindAlerts, loadAlerts } from './js/alerts.js';
import { loadHistory } from './js/history.js';
import { fillExportChoices, updateExportLinks } from './js/download.js';
import { applyMode, followRecording } from './js/recorded.js';
import {
  isLive, startLive, startPaused, stopLive, toggleLive, updateLiveButton,
} from './js/live.js';
import {
  range, rangeSpanMs, readHash, setRange, syncRangeControls, toLocalInput, writeHash,
} from './js/range.js';

let catalogLoaded = false;

function applyConfig(cfg) {
  setConfig(cfg);
  const host = config().host ? String(config().host) : '';
  $('#host').textContent = host;
  document.title = host ? `${host} · bandwatch` : 'bandwatch';
  $('#version').textContent = config().version ? `bandwatch ${config().version}` : 'bandwatch';
  updateCpu(null);
  updateMemory(null);
  updateDisk();
  applyMode();
}

async function softly(p) {
  try { return await p; } catch (e) {
    if (e instanceof AuthError) throw e;
    showNote(`Part of the dashboard could not be loaded: ${e.message}`);
    return null;
  }
}

async function history() {
  updateExportLinks();
  const ok = await loadHistory();
  updateLiveButton();
  return ok;
}

/** The whole page: settings and catalogue, lists, snapshot, history, alerts; then live. */
async function reloadAll(first) {
  delete document.body.dataset.ready;
  stopLive();
  setConn('loading', 'loading…');
  try {
    // what the first chart needs, asked for in one round with the settings and catalogue
    const lists = Promise.all([softly(api('/interfaces')), softly(api('/snapshot'))]);
    lists.catch(() => {}); // an AuthError is handled where the settings are awaited
    if (first || !catalogLoaded) {
      const [cfg] = await Promise.all([api('/config'), loadCatalog()]);
      applyConfig(cfg);
      if (first && cfg && (cfg.auto_refresh === false || readOnly())) startPaused();
      prepareSamples();
      fillExportChoices();
      catalogLoaded = true;
    }
    const [ifaces, snap] = await lists;
    applyInterfaces(ifaces);
    if (snap && Array.isArray(snap.samples)) {
      for (const s of snap.samples) applySample(s, snap.ts, false);
    }
    const note = followRecording(snap && snap.ts);
    if (note) showNote(note);
    await Promise.all([history(), loadAlerts()]);
    // the device list and the cap bars after the charts: the first chart waits for neither
    // (the probe targets' charts find their devices in the history's labels)
    const [devices] = await Promise.all([
      softly(api('/devices')),
      import('./js/caps.js').then((m) => m.loadCaps()),
    ]);
    if (Array.isArray(devices)) devices.forEach((d) => d && typeof d.name === 'string' && d.probed !== false && applyDevice(d));
    applyDeviceList(devices);
  } catch (e) {
    if (e instanceof AuthError) return;
    setConn('offline', 'offline');
    showNote(`bandwatch could not be reached: ${e.message}. Retrying…`);
    setTimeout(() => reloadAll(!catalogLoaded), 5000);
    return;
  }
  document.body.dataset.ready = '1';
  if (readOnly()) setConn('recorded', 'recorded');
  else if (isLive()) startLive();
  else setConn('paused', 'paused');
}

async function changeRange() {
  writeHash();
  syncRangeControls();
  const ok = await history();
  if (ok) loadAlerts();
}

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
    setRange({ key: v, start: null, end: null });
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
    setRange({ key: 'custom', start: a, end: b });
    changeRange();
  });
  $('#live-toggle').addEventListener('click', () => toggleLive(() => reloadAll(false)));
  $('#refresh').addEventListener('click', () => { showNote(''); reloadAll(false); });
  $('#export-metric').addEventListener('change', updateExportLinks);
  bindAlerts();
  window.addEventListener('hashchange', () => {
    const before = JSON.stringify(range);
    readHash();
    if (JSON.stringify(range) !== before) changeRange();
  });
  // redraw after the page comes back from the background (timers were throttled there)
  document.addEventListener('visibilitychange', () => { if (!document.hidden) markAllDirty(); });
}

function init() {
  whenUnauthorized(stopLive);
  whenZoomChanges(updateLiveButton);
  whenDeviceSelected(history);
  readHash();
  syncRangeControls();
  updateLiveButton();
  registerChart($('#chart-system'), buildSystem);
  bind();
  reloadAll(true);
}

// Module scripts run after the document is parsed.
init();
