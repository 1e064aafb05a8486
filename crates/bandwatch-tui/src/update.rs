//! The one place the state changes: [`update`] takes an action and says what the caller
//! does next. Pure: no clock, no terminal, no I/O.

use crate::action::{Action, Effect, Key};
use crate::state::{Pane, State, Units};

/// Applies `action` to `state`.
pub fn update(state: &mut State, action: Action) -> Effect {
    match action {
        Action::Key(key) => return key_pressed(state, key),
        Action::Frame(frame) => {
            if !state.paused {
                let window = state.options.window.as_millis() as i64;
                state.model.observe(&state.vocab, &frame, window);
            }
        }
        Action::Alert(event) => {
            if !state.paused {
                state.model.alert(event);
            }
        }
        Action::Firing(alerts) => {
            if !state.paused {
                state.model.firing(alerts);
            }
        }
        Action::Status(line) => state.status = line,
        Action::Resize { width, height } => state.size = (width, height),
    }
    Effect::Continue
}

fn key_pressed(state: &mut State, key: Key) -> Effect {
    // The help is modal: any key closes it, and only `q` does more.
    if state.help && !matches!(key, Key::Char('q') | Key::Interrupt) {
        state.help = false;
        return Effect::Continue;
    }
    match key {
        Key::Char('q') | Key::Interrupt => return Effect::Quit,
        Key::Tab | Key::Right => state.focus = state.focus.step(1),
        Key::BackTab | Key::Left => state.focus = state.focus.step(-1),
        Key::Up => move_selection(state, -1),
        Key::Down => move_selection(state, 1),
        Key::Char('s') => {
            let slot = State::slot(state.focus);
            state.sort[slot] = (state.sort[slot] + 1) % state.focus.sorts().len();
        }
        Key::Char('p' | ' ') => state.paused = !state.paused,
        Key::Char('u') => {
            state.units = match state.units {
                Units::Bits => Units::Bytes,
                Units::Bytes => Units::Bits,
            };
        }
        Key::Char('?' | 'h') => state.help = true,
        Key::Esc | Key::Char(_) => {}
    }
    Effect::Continue
}

/// Moves the focused pane's selection, stopping at its first and last rows.
fn move_selection(state: &mut State, by: isize) {
    let pane: Pane = state.focus;
    let rows = state.rows(pane);
    let now = state.selected_in(pane);
    let next = (now as isize + by).clamp(0, rows.saturating_sub(1) as isize) as usize;
    state.selected[State::slot(pane)] = next;
}
