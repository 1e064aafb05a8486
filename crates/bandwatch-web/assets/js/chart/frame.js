// A chart's geometry for one size: the plot box inside the tick labels, the time and value
// axes with their ticks and labels, and the mapping between times/values and pixels.

import { fmtTick } from '../format.js';
import { extent, valueAxis } from './scale.js';
import { timeTicks } from './time.js';
import { visibleValues } from './data.js';

/** Space above the plot (for the top tick label) and below it (for the time labels). */
const TOP = 8;
const BOTTOM = 20;
/** Room each time label needs, and each value tick. */
const TIME_LABEL_PX = 96;
const VALUE_TICK_PX = 38;

/** The values axis `name` shows: its series (unless hidden) inside the range, and its limits. */
function axisValues(spec, name, hidden) {
  const [t0, t1] = spec.x;
  const out = [];
  for (const s of spec.series) {
    if ((s.axis || 'y') !== name || hidden.has(s.id)) continue;
    for (const v of visibleValues(s, t0, t1)) out.push(v);
  }
  for (const l of spec.lines) if ((l.axis || 'y') === name) out.push(l.y);
  return out;
}

/** The geometry of `spec` drawn at `size` ({w, h} in CSS px); `measure(text)` is the width
 *  of a label. */
export function frameOf(spec, size, measure, hidden) {
  const [t0, t1] = spec.x;
  const plotH = Math.max(10, size.h - TOP - BOTTOM);
  const count = Math.max(2, Math.floor(plotH / VALUE_TICK_PX));
  const axes = {};
  for (const name of ['y', 'y2']) {
    const a = spec.axes[name];
    if (!a) continue;
    const v = valueAxis(a, extent(axisValues(spec, name, hidden)), count);
    const labels = v.ticks.map((t) => fmtTick(a.unit, t, v.step));
    const width = Math.max(0, ...labels.map(measure));
    axes[name] = { ...v, labels, width, unit: a.unit, color: a.color || null };
  }
  const left = Math.max(28, Math.ceil(axes.y ? axes.y.width : 0) + 10);
  const right = axes.y2 ? Math.ceil(axes.y2.width) + 10 : 14;
  const plot = { x: left, y: TOP, w: Math.max(10, size.w - left - right), h: plotH };
  const span = Math.max(1, t1 - t0);
  let time = timeTicks(t0, t1, Math.max(2, Math.floor(plot.w / TIME_LABEL_PX)));
  // labels in a long locale form ("04:05:30 PM") may need more room than guessed
  const widest = Math.max(0, ...time.ticks.map((k) => measure(k.label))) + 16;
  const room = time.ticks.length > 1 ? (plot.w * time.step) / span : plot.w;
  if (widest > room) time = timeTicks(t0, t1, Math.max(1, Math.floor(plot.w / widest)));
  return {
    plot,
    t0,
    t1,
    time,
    axes,
    xPx: (t) => plot.x + ((t - t0) / span) * plot.w,
    xAt: (px) => t0 + ((px - plot.x) / plot.w) * span,
    yPx: (name, v) => {
      const a = axes[name] || axes.y;
      return plot.y + plot.h - ((v - a.lo) / (a.hi - a.lo)) * plot.h;
    },
    inPlot: (p) => p.x >= plot.x && p.x <= plot.x + plot.w && p.y >= plot.y && p.y <= plot.y + plot.h,
  };
}
