// Read-only mode (`bandwatch serve`): the page shows a recorded history. It says so in the top
// bar, has nothing live to follow (it opens paused; Refresh reloads what was recorded since),
// offers no acknowledging, and starts on the end of the recording when that ends before the
// chosen range.

import { $ } from './dom.js';
import { readOnly } from './config.js';
import { fmtTime, isNum } from './format.js';
import { range, rangeSpanMs, setRange, syncRangeControls, writeHash } from './range.js';

/** The label every read-only page carries. */
export const READ_ONLY_LABEL = 'read-only: recorded history';

/** The values of one minute are kept as that minute's last: its end is a minute later. */
const MINUTE_MS = 60000;

/** Marks the page as showing recorded history when the server says so (else undoes it). */
export function applyMode() {
  const ro = readOnly();
  if (ro) document.body.dataset.readOnly = '1'; else delete document.body.dataset.readOnly;
  const tag = $('#mode');
  tag.textContent = READ_ONLY_LABEL;
  tag.hidden = !ro;
  const live = $('#live-toggle');
  live.disabled = ro;
  if (ro) live.title = 'This server shows recorded history: nothing is live. Refresh loads what was recorded since.';
  $('#h-status').textContent = ro ? 'Last recorded' : 'Now';
  $('#ack-by').closest('label').hidden = ro;
}

/**
 * With the newest recorded time `newest` (epoch ms): says in the footer until when the
 * history goes, and when the recording ends before the chosen range, moves the range to end
 * with it (a custom range of the same span). Returns a note for the banner, or null.
 */
export function followRecording(newest) {
  if (!readOnly()) return null;
  if (!isNum(newest)) {
    $('#updated').textContent = 'nothing recorded yet';
    return null;
  }
  $('#updated').textContent = `last recorded minute ${fmtTime(newest)}`;
  if (range.key === 'custom' || newest + MINUTE_MS > Date.now() - rangeSpanMs()) return null;
  const end = newest + MINUTE_MS;
  setRange({ key: 'custom', start: end - rangeSpanMs(), end });
  writeHash();
  syncRangeControls();
  return `The recorded history ends in the minute of ${fmtTime(newest)}; the charts show the time before that.`;
}
