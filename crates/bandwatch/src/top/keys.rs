//! The terminal's events as the view's actions.

use std::time::Duration;

use bandwatch_tui::{Action, Key};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

/// Every event already waiting, or arriving within `wait`, as actions (the rest ignored).
pub fn pending(wait: Duration) -> std::io::Result<Vec<Action>> {
    let mut actions = Vec::new();
    let mut wait = wait;
    while event::poll(wait)? {
        if let Some(a) = action(&event::read()?) {
            actions.push(a);
        }
        // Once something came, take only what is already there.
        wait = Duration::ZERO;
    }
    Ok(actions)
}

/// One terminal event as an action, if the view has a use for it.
pub fn action(event: &Event) -> Option<Action> {
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            let key = match k.code {
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
                KeyCode::Char(c) => Key::Char(c),
                KeyCode::Tab => Key::Tab,
                KeyCode::BackTab => Key::BackTab,
                KeyCode::Up => Key::Up,
                KeyCode::Down => Key::Down,
                KeyCode::Left => Key::Left,
                KeyCode::Right => Key::Right,
                KeyCode::Esc => Key::Esc,
                _ => return None,
            };
            Some(Action::Key(key))
        }
        Event::Resize(width, height) => Some(Action::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyEvent;

    use super::*;

    #[test]
    fn keys_and_resizes_become_actions() {
        let key = |code, mods| Event::Key(KeyEvent::new(code, mods));
        assert_eq!(
            action(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Key(Key::Char('q')))
        );
        assert_eq!(
            action(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Key(Key::Interrupt))
        );
        assert_eq!(
            action(&key(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::Key(Key::BackTab))
        );
        assert_eq!(action(&key(KeyCode::F(1), KeyModifiers::NONE)), None);
        assert_eq!(
            action(&Event::Resize(100, 30)),
            Some(Action::Resize {
                width: 100,
                height: 30
            })
        );
        assert_eq!(action(&Event::FocusGained), None);
    }
}
