// The page settings from GET /api/v1/config: host, interval, refresh and the limits.

let current = {};

export function setConfig(cfg) { current = cfg || {}; }

/** The settings (empty until loaded). */
export function config() { return current; }

/** The limits in base units (bits/s, percent). */
export function thresholds() { return current.thresholds || {}; }

/** Seconds between samples. */
export function intervalS() {
  const v = current.interval_s;
  return typeof v === 'number' && Number.isFinite(v) ? v : 1;
}

/** Whether the server only shows recorded history (`bandwatch serve`). */
export function readOnly() { return current.read_only === true; }
