// The banner under the top bar and the connection pill.

import { $, el } from './dom.js';

let authFailed = false;

/** True once the server refused the token (everything stops then). */
export function isAuthFailed() { return authFailed; }

export function setConn(mode, label) {
  const p = $('#conn');
  p.dataset.state = mode;
  p.textContent = label || mode;
}

/** Says how to open the page with a token; the page is then done (ready, nothing live). */
export function showAuthBanner() {
  if (authFailed) return;
  authFailed = true;
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

/** An informational note in the banner; empty text hides it. */
export function showNote(text) {
  const b = $('#banner');
  if (authFailed) return;
  if (!text) { b.hidden = true; return; }
  b.replaceChildren(document.createTextNode(text));
  b.className = 'banner info';
  b.hidden = false;
}
