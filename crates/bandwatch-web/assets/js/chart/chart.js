// One time-series chart on <canvas>: a legend and a "Reset zoom" button above it, a base
// layer with the data, an overlay for the hover line and the zoom band, and a tooltip. Sharp on HiDPI screens,
// repainted when its box changes size or the colour scheme changes. It draws a spec:
//
//   { label,                      what the chart shows, for screen readers
//     x: [t0, t1],                the time range shown, epoch ms
//     stepMs,                     bucket width: points several buckets apart are a gap
//     zoomed,                     whether the range is a zoom (shows "Reset zoom")
//     legend,                     false for no legend
//     axes: { y: {unit, min, max, span, color}, y2? },   units as format.js knows them
//     series: [{id, name, color, x, y, axis, fill, width, meta}],   colours: CSS variables
//     lines: [{y, axis, color, label, at}],                 limits, dashed
//     marks: [{x, y, axis, color, title, text}],            alert starts
//     note: null | {text, error} }
//
// The host element gets a read-only `chartView` (what is drawn: range, axes, series, and
// the plot box in CSS px of the canvas) and
// data-x-start / data-x-end / data-zoomed, for tests and for the curious.

import { el } from '../dom.js';
import { fmtUnit } from '../format.js';
import { nearestTime, valueAt } from './data.js';
import { frameOf } from './frame.js';
import { createLegend } from './legend.js';
import { paintOverlay } from './overlay.js';
import { paintBase } from './paint.js';
import { bindPointer } from './pointer.js';
import { themeOf, whenSchemeChanges } from './theme.js';
import {
  createTooltip, fillTooltip, hideTooltip, placeTooltip,
} from './tooltip.js';

/** Alerts this close to the pointer (CSS px) are listed in the tooltip. */
const MARK_HOVER_PX = 8;
/** The narrowest range a drag zooms to. */
const MIN_ZOOM_MS = 1000;

/** Makes `host` a chart. `onZoom([t0, t1])` is called when the user drags across it,
 *  `onReset()` on a double-click or "Reset zoom". Returns {draw(spec)}; draw returns whether
 *  anything was painted (not while the chart has no size). */
export function createChart(host, { onZoom, onReset }) {
  const head = el('div', 'chart-head');
  const legendBox = el('div', 'chart-legend');
  const plotBox = el('div', 'chart-plot');
  const base = el('canvas', 'chart-base');
  base.setAttribute('role', 'img');
  const over = el('canvas', 'chart-over');
  over.setAttribute('aria-hidden', 'true');
  const tip = createTooltip();
  const reset = el('button', 'btn small chart-reset', 'Reset zoom');
  reset.type = 'button';
  reset.hidden = true;
  reset.title = 'Back to the chosen range (or double-click the chart)';
  head.append(legendBox, reset);
  plotBox.append(base, over, tip);
  host.replaceChildren(head, plotBox);

  let spec = null;
  let f = null;
  let theme = null;
  let pointer = null; // where the pointer hovers, to keep the tooltip current as data comes in
  let draws = 0;
  const size = { w: 0, h: 0, dpr: 1 };
  const hidden = new Set();
  const layer = { hover: null, band: null };

  /** Matches the canvases' pixels to the box and the screen; false while it has no size. */
  function fit() {
    const w = plotBox.clientWidth;
    const h = plotBox.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (w !== size.w || h !== size.h || dpr !== size.dpr) {
      Object.assign(size, { w, h, dpr });
      for (const c of [base, over]) {
        c.width = Math.max(1, Math.round(w * dpr));
        c.height = Math.max(1, Math.round(h * dpr));
      }
    }
    return w > 0 && h > 0;
  }

  /** A canvas's context drawing in CSS pixels. */
  function ctxOf(c) {
    const ctx = c.getContext('2d');
    if (ctx) ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
    return ctx;
  }

  function paintLayer() {
    const ctx = ctxOf(over);
    if (ctx && theme) paintOverlay(ctx, f, theme, size, layer);
  }

  /** The tooltip and hover line for point `p` (null: none). */
  function hover(p) {
    pointer = p;
    layer.hover = null;
    const shown = spec ? spec.series.filter((s) => !hidden.has(s.id)) : [];
    const t = p && f && f.inPlot(p) ? nearestTime(shown, f.xAt(p.x), f.t0, f.t1) : null;
    if (t === null) {
      hideTooltip(tip);
      paintLayer();
      return;
    }
    const rows = [];
    const dots = [];
    for (const s of shown) {
      const axis = s.axis || 'y';
      const v = valueAt(s, t, spec.stepMs);
      rows.push({ name: s.name, color: s.color, text: fmtUnit(spec.axes[axis].unit, v) });
      if (v !== null) dots.push({ y: v, axis, color: s.color });
    }
    const alerts = spec.marks
      .filter((m) => Math.abs(f.xPx(m.x) - p.x) <= MARK_HOVER_PX)
      .map((m) => ({ title: m.title, text: m.text, color: m.color }));
    layer.hover = { t, dots };
    fillTooltip(tip, t, rows, alerts);
    placeTooltip(tip, p, size.w, size.h);
    paintLayer();
  }

  function paint() {
    if (!spec || !fit()) return false;
    const ctx = ctxOf(base);
    if (!ctx) return false;
    theme = themeOf(host);
    ctx.font = theme.font(11);
    f = frameOf(spec, size, (text) => ctx.measureText(text).width, hidden);
    paintBase(ctx, f, spec, theme, hidden, size);
    // the legend starts where the plot does
    head.style.paddingLeft = `${Math.max(0, Math.round(f.plot.x) - 6)}px`;
    draws += 1;
    hover(pointer);
    return true;
  }

  const legend = createLegend(legendBox, (id) => {
    if (hidden.has(id)) hidden.delete(id); else hidden.add(id);
    legend(spec.series, hidden);
    paint();
  });

  bindPointer(over, {
    inPlot: (p) => Boolean(f && f.inPlot(p)),
    hover,
    band: (b) => { layer.band = b; paintLayer(); },
    zoom: (a, b) => {
      if (!f) return;
      const t0 = Math.max(f.t0, f.xAt(Math.min(a, b)));
      const t1 = Math.min(f.t1, f.xAt(Math.max(a, b)));
      if (t1 - t0 >= MIN_ZOOM_MS) onZoom([Math.round(t0), Math.round(t1)]);
    },
    reset: () => { if (spec && spec.zoomed) onReset(); },
  });
  reset.addEventListener('click', () => onReset());
  new ResizeObserver(() => { paint(); }).observe(plotBox);
  whenSchemeChanges(() => { paint(); });

  function view() {
    if (!spec) return null;
    const axis = (name) => (f && f.axes[name] ? [f.axes[name].lo, f.axes[name].hi] : null);
    return {
      x: spec.x.slice(),
      y: axis('y'),
      y2: axis('y2'),
      zoomed: Boolean(spec.zoomed),
      draws,
      css: { w: size.w, h: size.h },
      plot: f ? { ...f.plot } : null,
      dpr: size.dpr,
      backing: { w: base.width, h: base.height },
      series: spec.series.map((s) => ({
        id: s.id,
        name: s.name,
        meta: s.meta ? { ...s.meta } : null,
        hidden: hidden.has(s.id),
        x: Array.from(s.x),
        y: Array.from(s.y),
      })),
      lines: spec.lines.map((l) => ({ y: l.y, label: l.label })),
      marks: spec.marks.length,
      note: spec.note ? spec.note.text : null,
    };
  }
  Object.defineProperty(host, 'chartView', { configurable: true, get: view });

  /** Draws `next` (see the spec above). */
  function draw(next) {
    spec = next;
    base.setAttribute('aria-label', spec.label || 'chart');
    reset.hidden = !spec.zoomed;
    host.dataset.xStart = String(Math.round(spec.x[0]));
    host.dataset.xEnd = String(Math.round(spec.x[1]));
    host.dataset.zoomed = spec.zoomed ? '1' : '0';
    legend(spec.legend === false ? [] : spec.series, hidden);
    return paint();
  }
  return { draw };
}
