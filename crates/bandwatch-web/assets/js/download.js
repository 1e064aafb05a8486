// The Export links: the chosen metric (its option names a role; the catalogue gives the
// metric) over the chosen range, as JSON or CSV from /api/v1/export.

import { $ } from './dom.js';
import { API } from './api.js';
import { metric } from './catalog.js';
import { chartMatches } from './samples.js';
import { rangeParams } from './range.js';

/** Fills each option's value from its role; an option whose role no source plays is hidden. */
export function fillExportChoices() {
  for (const o of $('#export-metric').options) {
    const name = metric(o.dataset.role);
    o.value = name || '';
    o.hidden = !name;
    o.disabled = !name;
  }
  const select = $('#export-metric');
  if (!select.value) {
    const first = [...select.options].find((o) => !o.disabled);
    if (first) select.value = first.value;
  }
}

export function updateExportLinks() {
  const select = $('#export-metric');
  const option = select.selectedOptions[0];
  const name = select.value;
  for (const format of ['json', 'csv']) {
    const p = new URLSearchParams();
    if (name) p.set('metric', name);
    for (const m of option ? chartMatches(option.dataset.role) : []) p.append('match', m);
    for (const [k, v] of rangeParams()) p.set(k, v);
    p.set('format', format);
    $(`#download-${format}`).href = `${API}/export?${p.toString()}`;
  }
}
