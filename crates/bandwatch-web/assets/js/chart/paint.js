// Painting a chart's base layer on a canvas: grid, tick labels, the series (lines, optional
// fill, broken at gaps), the limits as dashed lines with their label, alert marks, and the
// note for an empty or failed chart. Text goes to the canvas with fillText, never into markup.

import { gapMs, visibleSpan } from './data.js';

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
/** Half a pixel: a 1 px line on a pixel boundary is blurred over two. */
const crisp = (v) => Math.round(v) + 0.5;

function grid(ctx, f, theme) {
  const { plot } = f;
  ctx.lineWidth = 1;
  ctx.strokeStyle = theme.grid;
  ctx.beginPath();
  for (const v of f.axes.y.ticks) {
    const y = crisp(f.yPx('y', v));
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
  }
  for (const { t } of f.time.ticks) {
    const x = crisp(f.xPx(t));
    ctx.moveTo(x, plot.y);
    ctx.lineTo(x, plot.y + plot.h);
  }
  ctx.stroke();
  ctx.strokeStyle = theme.axis;
  ctx.beginPath();
  const base = crisp(plot.y + plot.h);
  ctx.moveTo(plot.x, base);
  ctx.lineTo(plot.x + plot.w, base);
  ctx.stroke();
}

function labels(ctx, f, theme, width) {
  const { plot } = f;
  ctx.font = theme.font(11);
  ctx.textBaseline = 'middle';
  for (const [name, align, x] of [['y', 'right', plot.x - 6], ['y2', 'left', plot.x + plot.w + 6]]) {
    const a = f.axes[name];
    if (!a) continue;
    ctx.fillStyle = a.color ? theme.color(a.color) : theme.text;
    ctx.textAlign = align;
    a.ticks.forEach((v, i) => ctx.fillText(a.labels[i], x, f.yPx(name, v)));
  }
  ctx.fillStyle = theme.text;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const { t, label } of f.time.ticks) {
    const half = ctx.measureText(label).width / 2;
    const x = Math.min(width - half - 1, Math.max(half + 1, f.xPx(t)));
    ctx.fillText(label, x, plot.y + plot.h + 5);
  }
}

/** The runs of one series between gaps, as pixel points. */
function runsOf(f, s, stepMs) {
  const axis = s.axis || 'y';
  const [from, to] = visibleSpan(s.x, f.t0, f.t1);
  const gap = gapMs(s.x, stepMs);
  const runs = [];
  let run = [];
  let lastX = null;
  for (let i = from; i < to; i += 1) {
    const x = s.x[i];
    const y = s.y[i];
    if (!isNum(y)) { lastX = null; continue; }
    if (lastX === null || x - lastX > gap) {
      if (run.length) runs.push(run);
      run = [];
    }
    run.push([f.xPx(x), f.yPx(axis, y)]);
    lastX = x;
  }
  if (run.length) runs.push(run);
  return runs;
}

function series(ctx, f, s, theme, stepMs) {
  const color = theme.color(s.color);
  const a = f.axes[s.axis || 'y'];
  const zero = f.yPx(s.axis || 'y', Math.min(a.hi, Math.max(a.lo, 0)));
  const runs = runsOf(f, s, stepMs);
  if (s.fill) {
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.13;
    for (const run of runs) {
      if (run.length < 2) continue;
      ctx.beginPath();
      ctx.moveTo(run[0][0], zero);
      for (const [x, y] of run) ctx.lineTo(x, y);
      ctx.lineTo(run[run.length - 1][0], zero);
      ctx.closePath();
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = s.width || 1.6;
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  for (const run of runs) {
    if (run.length === 1) {
      // a lone point (between two gaps) would be invisible as a line
      ctx.beginPath();
      ctx.arc(run[0][0], run[0][1], ctx.lineWidth + 0.6, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(run[0][0], run[0][1]);
    for (let i = 1; i < run.length; i += 1) ctx.lineTo(run[i][0], run[i][1]);
    ctx.stroke();
  }
}

/** The limits: dashed lines, labelled above (or below, at the top) at `at` of the width. */
function limits(ctx, f, lines, theme) {
  const { plot } = f;
  ctx.font = theme.font(10);
  ctx.textAlign = 'right';
  ctx.lineWidth = 1;
  for (const l of lines) {
    if (!isNum(l.y)) continue;
    const a = f.axes[l.axis || 'y'];
    if (!a || l.y < a.lo || l.y > a.hi) continue;
    const y = crisp(f.yPx(l.axis || 'y', l.y));
    const color = theme.color(l.color);
    ctx.strokeStyle = color;
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
    ctx.setLineDash([]);
    if (!l.label) continue;
    const above = y - plot.y > 14;
    ctx.textBaseline = above ? 'bottom' : 'top';
    const x = plot.x + (isNum(l.at) ? l.at : 1) * plot.w - 4;
    // a backing in the panel colour keeps the label readable over a line that crosses it
    const w = ctx.measureText(l.label).width;
    ctx.fillStyle = theme.panel;
    ctx.globalAlpha = 0.75;
    ctx.fillRect(x - w - 2, above ? y - 14 : y + 1, w + 4, 13);
    ctx.globalAlpha = 1;
    ctx.fillStyle = color;
    ctx.fillText(l.label, x, above ? y - 2 : y + 2);
  }
}

/** Alert starts: a dotted line across the plot and a triangle at the alert's value (or at
 *  the top when it has none on this axis). */
function marks(ctx, f, list, theme) {
  const { plot } = f;
  for (const m of list) {
    if (!(m.x >= f.t0 && m.x <= f.t1)) continue;
    const x = crisp(f.xPx(m.x));
    const color = theme.color(m.color);
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(x, plot.y);
    ctx.lineTo(x, plot.y + plot.h);
    ctx.stroke();
    ctx.setLineDash([]);
    const a = f.axes[m.axis || 'y'];
    const y = isNum(m.y) && a && m.y >= a.lo && m.y <= a.hi ? f.yPx(m.axis || 'y', m.y) : plot.y + 6;
    ctx.beginPath();
    ctx.moveTo(x - 6, y - 8);
    ctx.lineTo(x + 6, y - 8);
    ctx.lineTo(x, y + 2);
    ctx.closePath();
    ctx.fillStyle = color;
    ctx.fill();
    ctx.strokeStyle = theme.panel;
    ctx.stroke();
  }
}

function note(ctx, f, n, theme) {
  if (!n || !n.text) return;
  const { plot } = f;
  ctx.font = theme.font(12);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = n.error ? theme.error : theme.text;
  let text = String(n.text);
  const room = plot.w - 16;
  if (ctx.measureText(text).width > room) {
    // shortened to the plot's width, so a long error still reads from its start
    while (text.length > 1 && ctx.measureText(`${text}…`).width > room) text = text.slice(0, -1);
    text = `${text}…`;
  }
  ctx.fillText(text, plot.x + plot.w / 2, plot.y + plot.h / 2);
}

/** Paints `spec` (geometry `f`) on `ctx` in CSS pixels `size`; `hidden` holds the ids of
 *  series switched off in the legend. */
export function paintBase(ctx, f, spec, theme, hidden, size) {
  ctx.clearRect(0, 0, size.w, size.h);
  grid(ctx, f, theme);
  labels(ctx, f, theme, size.w);
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.plot.x, f.plot.y - 2, f.plot.w, f.plot.h + 2);
  ctx.clip();
  for (const s of spec.series) if (!hidden.has(s.id)) series(ctx, f, s, theme, spec.stepMs);
  limits(ctx, f, spec.lines, theme);
  marks(ctx, f, spec.marks, theme);
  ctx.restore();
  note(ctx, f, spec.note, theme);
}
