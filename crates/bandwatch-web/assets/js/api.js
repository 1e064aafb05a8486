// The same-origin JSON API (../../API.md). A 401 shows the token banner and stops live updates.

import { showAuthBanner } from './banner.js';

export const API = '/api/v1';

/** The server wants a token this page does not have. */
export class AuthError extends Error {}

let onUnauthorized = () => {};

/** What to stop when the server answers 401 (live updates). */
export function whenUnauthorized(f) { onUnauthorized = f; }

/** GET (or `opts.method`) `path` under /api/v1; the parsed JSON, or an Error with its message. */
export async function api(path, opts = {}) {
  const res = await fetch(API + path, {
    credentials: 'same-origin',
    cache: 'no-store',
    ...opts,
    headers: { Accept: 'application/json', ...(opts.headers || {}) },
  });
  if (res.status === 401) {
    onUnauthorized();
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
