// The alerts list: filters, loading, rendering (text only), acknowledging; the charts mark
// the same alerts.

import { $, el } from './dom.js';
import { api, AuthError } from './api.js';
import { fmtDuration, fmtTime, fmtUnit, isNum, metricOf } from './format.js';
import { unitOf } from './catalog.js';
import { readOnly } from './config.js';
import { markAllDirty, setAlerts } from './charts.js';
import { range, RANGES } from './range.js';

const SEVERITIES = ['low', 'medium', 'high', 'critical'];

let alerts = [];
let timer = null;

function alertParams() {
  const p = new URLSearchParams();
  const sev = $('#alert-severity').value;
  const st = $('#alert-state').value;
  const q = $('#alert-search').value.trim();
  if (sev) p.set('severity', sev);
  if (st) p.set('state', st);
  if (q) p.set('q', q);
  if (range.key === 'custom') {
    p.set('since', String(Math.min(range.start, Date.now() - 7 * 86400000)));
  } else {
    p.set('since', RANGES[range.key] > RANGES['7d'] ? `-${range.key}` : '-7d');
  }
  p.set('limit', '200');
  return p;
}

/** Reloads the list and redraws the charts' markers. */
export async function loadAlerts() {
  let list;
  try {
    list = await api(`/alerts?${alertParams().toString()}`);
  } catch (e) {
    if (e instanceof AuthError) return;
    renderError(e.message);
    return;
  }
  alerts = Array.isArray(list) ? list : [];
  alerts.sort((a, b) => (b.started || 0) - (a.started || 0));
  setAlerts(alerts);
  render();
  markAllDirty();
}

/** Reloads the list after `delay` ms (calls in between are folded into one). */
export function scheduleAlerts(delay) {
  clearTimeout(timer);
  timer = setTimeout(loadAlerts, delay);
}

function renderError(msg) {
  $('#alerts').replaceChildren(el('li', 'empty', `Alerts could not be loaded: ${msg}`));
}

function render() {
  const ol = $('#alerts');
  if (!alerts.length) {
    ol.replaceChildren(el('li', 'empty', 'No alerts match.'));
    return;
  }
  ol.replaceChildren(...alerts.map(alertItem));
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
  const unit = unitOf(metricOf(a.series));
  const bits = [];
  if (isNum(a.value)) bits.push(`value ${fmtUnit(unit, a.value)}`);
  if (isNum(a.reference)) bits.push(`limit ${fmtUnit(unit, a.reference)}`);
  if (isNum(a.ended)) bits.push(`ended ${fmtTime(a.ended)} after ${fmtDuration(a.ended - a.started)}`);
  else if (isNum(a.started)) bits.push(`for ${fmtDuration(Date.now() - a.started)}`);
  if (a.max_severity && a.max_severity !== a.severity) bits.push(`peak ${a.max_severity}`);
  if (bits.length) meta.append(document.createTextNode(` · ${bits.join(' · ')}`));
  li.append(meta);
  const foot = el('div', 'alert-foot');
  if (isNum(a.acked_at)) {
    foot.append(ackLine(a));
  } else if (!readOnly()) {
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
    const a = alerts.find((x) => String(x.id) === id);
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

/** The filters, the "ack as" name (kept in localStorage) and the Acknowledge buttons. */
export function bindAlerts() {
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
}
