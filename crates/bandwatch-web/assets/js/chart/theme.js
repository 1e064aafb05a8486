// The charts' colours and font, read from the page's CSS (custom properties like --rx,
// --chart-grid) when a chart is painted, so the stylesheet alone decides how charts look.

/** The fallback when the stylesheet lacks a colour: visible on light and dark panels. */
const FALLBACK = '#8b95a3';

/** The theme as the element `el` sees it: color('--rx') and the canvas font for a size. */
export function themeOf(el) {
  const style = getComputedStyle(el);
  const cache = new Map();
  const color = (name) => {
    if (!name) return FALLBACK;
    if (!name.startsWith('--')) return name;
    let c = cache.get(name);
    if (c === undefined) {
      c = style.getPropertyValue(name).trim() || FALLBACK;
      cache.set(name, c);
    }
    return c;
  };
  const family = style.fontFamily || 'system-ui, sans-serif';
  return {
    color,
    font: (px, weight = 400) => `${weight} ${px}px ${family}`,
    grid: color('--chart-grid'),
    axis: color('--chart-axis'),
    text: color('--chart-text'),
    error: color('--crit'),
    panel: color('--panel'),
  };
}

/** Calls `f` when the viewer switches between a light and a dark scheme. */
export function whenSchemeChanges(f) {
  const mq = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  if (mq && mq.addEventListener) mq.addEventListener('change', f);
}
