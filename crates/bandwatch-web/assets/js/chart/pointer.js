// Pointer input on a chart: hover (or a tap) shows values, a horizontal drag selects a time
// range to zoom to, a double-click goes back. Touch keeps vertical page scrolling (the
// canvas has touch-action: pan-y), so only a sideways drag zooms.

/** Drags shorter than this are a click or a tap. */
const MIN_DRAG_PX = 6;

/** Calls `h.hover(p|null)`, `h.band([x0, x1]|null)`, `h.zoom(x0, x1)` and `h.reset()` for
 *  input on `target`; `h.inPlot(p)` says where a drag may start. Points are CSS px in target. */
export function bindPointer(target, h) {
  let drag = null;
  let touchTip = false;
  const pos = (e) => {
    const r = target.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const moved = () => drag && Math.abs(drag.x - drag.x0) >= MIN_DRAG_PX;

  target.addEventListener('pointerdown', (e) => {
    if (!e.isPrimary || e.button !== 0) return;
    const p = pos(e);
    if (!h.inPlot(p)) return;
    drag = { id: e.pointerId, x0: p.x, x: p.x };
    if (e.pointerType === 'mouse') {
      e.preventDefault(); // no text selection while dragging
      target.setPointerCapture(e.pointerId);
    }
  });
  target.addEventListener('pointermove', (e) => {
    const p = pos(e);
    if (drag && e.pointerId === drag.id) {
      drag.x = p.x;
      if (moved()) {
        h.hover(null);
        h.band([drag.x0, drag.x]);
        return;
      }
    }
    if (e.pointerType === 'mouse' || touchTip) h.hover(p);
  });
  target.addEventListener('pointerup', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const d = drag;
    const zoom = moved();
    drag = null;
    h.band(null);
    if (zoom) {
      h.zoom(d.x0, d.x);
    } else if (e.pointerType !== 'mouse') {
      touchTip = true; // a tap shows the values there until the next tap elsewhere
      h.hover(pos(e));
    }
  });
  target.addEventListener('pointercancel', () => {
    // the browser took over (a vertical scroll on a phone)
    drag = null;
    h.band(null);
  });
  target.addEventListener('pointerleave', (e) => {
    if (e.pointerType === 'mouse' && !drag) h.hover(null);
  });
  document.addEventListener('pointerdown', (e) => {
    if (touchTip && e.target !== target) {
      touchTip = false;
      h.hover(null);
    }
  });
  target.addEventListener('dblclick', (e) => {
    e.preventDefault();
    h.reset();
  });
}
