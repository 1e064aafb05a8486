// A chart's legend: one toggle button per series (its colour and name as text); switching a
// series off hides it and leaves the value axis to the others.

import { el, swatch } from '../dom.js';

/** A legend in `box`; `onToggle(id)` is called when a series is switched. Returns
 *  update(series, hidden), which rebuilds the buttons only when the series change (so a
 *  focused button keeps focus while live data redraws the chart). */
export function createLegend(box, onToggle) {
  let shown = '';
  return (series, hidden) => {
    const sig = JSON.stringify(series.map((s) => [s.id, s.name, s.color]));
    if (sig !== shown) {
      shown = sig;
      box.replaceChildren(...series.map((s) => {
        const b = el('button', 'legend-item');
        b.type = 'button';
        b.dataset.series = s.id;
        b.title = 'Show or hide this line';
        b.append(swatch(s.color, 'sw line'), el('span', null, s.name));
        b.addEventListener('click', () => onToggle(s.id));
        return b;
      }));
    }
    for (const b of box.children) b.setAttribute('aria-pressed', String(!hidden.has(b.dataset.series)));
    box.hidden = series.length === 0;
  };
}
