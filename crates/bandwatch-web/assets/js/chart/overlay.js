// The chart's top layer, repainted on every pointer move without touching the series: the
// hover line with a dot on each series, and the band a drag selects for zooming.

/** Paints `state` ({hover: {t, dots: [{y, axis, color}]}, band: [x0, x1]}) over geometry `f`. */
export function paintOverlay(ctx, f, theme, size, state) {
  ctx.clearRect(0, 0, size.w, size.h);
  if (!f) return;
  const { plot } = f;
  if (state.band) {
    const a = Math.max(plot.x, Math.min(state.band[0], state.band[1]));
    const b = Math.min(plot.x + plot.w, Math.max(state.band[0], state.band[1]));
    ctx.fillStyle = theme.color('--accent');
    ctx.globalAlpha = 0.14;
    ctx.fillRect(a, plot.y, b - a, plot.h);
    ctx.globalAlpha = 0.8;
    ctx.strokeStyle = theme.color('--accent');
    ctx.lineWidth = 1;
    ctx.strokeRect(Math.round(a) + 0.5, plot.y + 0.5, Math.round(b - a), plot.h - 1);
    ctx.globalAlpha = 1;
  }
  if (state.hover) {
    const x = Math.round(f.xPx(state.hover.t)) + 0.5;
    ctx.strokeStyle = theme.text;
    ctx.globalAlpha = 0.55;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x, plot.y);
    ctx.lineTo(x, plot.y + plot.h);
    ctx.stroke();
    ctx.globalAlpha = 1;
    for (const d of state.hover.dots) {
      ctx.beginPath();
      ctx.arc(x - 0.5, f.yPx(d.axis, d.y), 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = theme.color(d.color);
      ctx.fill();
      ctx.strokeStyle = theme.panel;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
  }
}
