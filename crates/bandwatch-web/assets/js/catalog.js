// The metric catalogue from GET /api/v1/catalog. The page finds every metric by its role
// (what it is for: rxRate, cpuPercent, probeRtt, …) and reads units, sources and label names
// from it; it never writes a metric name.

import { api } from './api.js';

let byRole = new Map(); // role (camelCase) -> metric definition
let byName = new Map(); // metric name -> metric definition
let aggregate = null; // {label, value} of sums over many series

/** `rx_rate` → `rxRate`: roles as JavaScript names. */
const camel = (s) => String(s).replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/** Loads the catalogue (once per page). */
export async function loadCatalog() {
  const c = await api('/catalog');
  byRole = new Map();
  byName = new Map();
  for (const m of (c && Array.isArray(c.metrics) ? c.metrics : [])) {
    if (!m || typeof m.name !== 'string') continue;
    byName.set(m.name, m);
    if (m.role) byRole.set(camel(m.role), m);
  }
  aggregate = c && c.aggregate ? c.aggregate : null;
}

/** The name of the metric that plays `role`, or null when no source emits one. */
export function metric(role) {
  const m = byRole.get(role);
  return m ? m.name : null;
}

/** The role (camelCase) of metric `name`, or null. */
export function roleOf(name) {
  const m = byName.get(name);
  return m && m.role ? camel(m.role) : null;
}

/** Units a name outside the catalogue implies by its suffix (names end in their unit). */
const SUFFIXES = [
  ['_bits_per_second', 'bits_per_second'], ['_bytes_per_second', 'bytes_per_second'],
  ['_per_second', 'per_second'], ['_bytes', 'bytes'], ['_seconds', 'seconds'], ['_percent', 'percent'],
];

/** The base unit of metric `name` (`bits_per_second`, `percent`, `seconds`, …), or null. */
export function unitOf(name) {
  const m = byName.get(name);
  if (m) return m.unit;
  const hit = SUFFIXES.find(([suffix]) => String(name || '').endsWith(suffix));
  return hit ? hit[1] : null;
}

/** The source that emits metric `name`, or null. */
export function sourceOf(name) {
  const m = byName.get(name);
  return m ? m.source : null;
}

/** True when the metric `name` comes from the same source as the metric of `role`. */
export function sameSourceAs(name, role) {
  const m = byRole.get(role);
  return Boolean(m && m.source && sourceOf(name) === m.source);
}

/** The label naming the instance of `role`'s metric (`iface`, `target`, `mount`, `cpu`). */
export function instanceLabel(role) {
  const m = byRole.get(role);
  if (!m) return null;
  return (m.labels || []).find((l) => !aggregate || l !== aggregate.label) || null;
}

/** The label of `role`'s metric besides its instance label (`stat` for the RTT, `window`
 *  for uptime). */
export function extraLabel(role) {
  const m = byRole.get(role);
  const inst = instanceLabel(role);
  if (!m) return null;
  return (m.labels || []).find((l) => l !== inst && (!aggregate || l !== aggregate.label)) || null;
}
