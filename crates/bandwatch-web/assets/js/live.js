// Live updates: the Server-Sent Events stream, or polling the snapshot when the stream is not
// available; each frame updates the cards and, while following, extends and slides the charts.
// Pause/Resume and "Follow live" after a zoom.

import { $ } from './dom.js';
import { api, AuthError, API } from './api.js';
import { fmtTime, isNum } from './format.js';
import { config } from './config.js';
import { isAuthFailed, setConn } from './banner.js';
import { markAllDirty, trimSeries } from './charts.js';
import { applySample } from './samples.js';
import { scheduleAlerts, loadAlerts } from './alerts.js';
import { range, rangeSpanMs, setWindow, setZoomed, win, zoomed } from './range.js';

const STREAM_RETRY_MS = 60000;

let live = true;
let es = null;
let pollTimer = null;
let streamRetryAt = 0;
let polls = 0;

/** True unless paused. */
export function isLive() { return live; }

/** Paused from the start: the page does not update by itself (`web.auto_refresh = false`). */
export function startPaused() {
  live = false;
  updateLiveButton();
}

/** Whether new frames move the charts (live, not zoomed, not a custom range). */
export function isFollowing() {
  return live && !zoomed && range.key !== 'custom';
}

/** A live frame (stream) or a polled snapshot: update cards, extend and slide the charts. */
export function onLiveData(ts, samples) {
  const follow = isFollowing();
  for (const s of samples || []) applySample(s, ts, follow);
  if (isNum(ts)) {
    document.body.dataset.lastFrame = String(ts);
    $('#updated').textContent = `updated ${fmtTime(ts)}`;
    if (follow && ts > win.end) {
      setWindow(ts - rangeSpanMs(), ts);
      trimSeries();
    }
  }
  if (follow) markAllDirty();
}

export function stopLive() {
  if (es) { es.close(); es = null; }
  clearTimeout(pollTimer);
  pollTimer = null;
}

export function startLive() {
  stopLive();
  if (!live || isAuthFailed()) { setConn('paused', 'paused'); return; }
  if (!('EventSource' in window) || Date.now() < streamRetryAt) { startPolling(); return; }
  const source = new EventSource(`${API}/stream`);
  es = source;
  let opened = false;
  let errors = 0;
  source.addEventListener('open', () => { opened = true; errors = 0; setConn('live', 'live'); });
  source.addEventListener('frame', (e) => {
    errors = 0;
    let f;
    try { f = JSON.parse(e.data); } catch (_) { return; }
    if (es !== source) return;
    onLiveData(f.ts, f.samples);
  });
  source.addEventListener('alert', () => { if (es === source) scheduleAlerts(400); });
  source.addEventListener('lagged', () => { if (es === source) setConn('live', 'live (skipped frames)'); });
  source.addEventListener('error', () => {
    if (es !== source) return;
    errors += 1;
    if (source.readyState === EventSource.CLOSED || !opened || errors >= 3) {
      // the stream is not available: poll the snapshot instead and try the stream later
      source.close();
      es = null;
      streamRetryAt = Date.now() + STREAM_RETRY_MS;
      api('/config').catch(() => {});
      if (!isAuthFailed()) startPolling();
    } else {
      setConn('polling', 'reconnecting…');
    }
  });
}

function startPolling() {
  if (!live || isAuthFailed()) return;
  setConn('polling', 'polling');
  const every = Math.max(0.5, config().auto_refresh_s || 2) * 1000;
  const tick = async () => {
    if (!live || es) return;
    try {
      const snap = await api('/snapshot');
      if (!live) return;
      setConn('polling', 'polling');
      onLiveData(snap && snap.ts, snap && snap.samples);
      polls += 1;
      if (polls % 5 === 0) loadAlerts();
    } catch (e) {
      if (e instanceof AuthError) return;
      setConn('offline', 'offline');
    }
    if (!live || es) return;
    if (Date.now() >= streamRetryAt && 'EventSource' in window) { startLive(); return; }
    pollTimer = setTimeout(tick, every);
  };
  pollTimer = setTimeout(tick, every);
}

export function updateLiveButton() {
  const b = $('#live-toggle');
  b.setAttribute('aria-pressed', String(live && !zoomed));
  if (!live) b.textContent = 'Resume';
  else if (zoomed) b.textContent = 'Follow live';
  else b.textContent = 'Pause';
}

/** Pause, or resume (and after a zoom: follow live again) by reloading with `reload`. */
export async function toggleLive(reload) {
  if (live && !zoomed) {
    live = false;
    stopLive();
    setConn('paused', 'paused');
    updateLiveButton();
    return;
  }
  live = true;
  setZoomed(false);
  updateLiveButton();
  await reload();
}
