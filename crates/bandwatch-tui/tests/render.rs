//! Frames of the view as text (ratatui's TestBackend), at 80×24 and 160×48: the recorded
//! state, the help, bytes, an empty start, and no colour at all under `NO_COLOR`.

mod support;

use bandwatch_tui::{render, update, Action, Key, State};
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use support::{recording, replay, state};

fn draw(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| render(state, f)).expect("draw");
    terminal
}

fn recorded(color: bool) -> State {
    replay(state(color), recording())
}

#[test]
fn recorded_80x24() {
    insta::assert_snapshot!(draw(&recorded(true), 80, 24).backend());
}

#[test]
fn recorded_160x48() {
    insta::assert_snapshot!(draw(&recorded(true), 160, 48).backend());
}

#[test]
fn help_80x24() {
    let mut s = recorded(true);
    update(&mut s, Action::Key(Key::Char('?')));
    insta::assert_snapshot!(draw(&s, 80, 24).backend());
}

#[test]
fn bytes_paused_devices_focused_80x24() {
    let mut s = recorded(true);
    for k in [
        Key::Char('u'),
        Key::Char('p'),
        Key::Tab,
        Key::Char('s'),
        Key::Down,
    ] {
        update(&mut s, Action::Key(k));
    }
    insta::assert_snapshot!(draw(&s, 80, 24).backend());
}

#[test]
fn before_the_first_frame_80x24() {
    insta::assert_snapshot!(draw(&state(true), 80, 24).backend());
}

#[test]
fn no_color_means_no_colour_in_any_cell() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = recorded(false);
        update(&mut s, Action::Key(Key::Char('?')));
        for terminal in [draw(&recorded(false), w, h), draw(&s, w, h)] {
            for cell in terminal.backend().buffer().content() {
                assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
            }
        }
    }
}

#[test]
fn with_colour_only_the_16_basic_colours_are_used() {
    let terminal = draw(&recorded(true), 160, 48);
    let mut seen = 0;
    for cell in terminal.backend().buffer().content() {
        for c in [cell.fg, cell.bg] {
            assert!(
                !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                "{c:?} is not one of the 16 basic colours"
            );
            seen += usize::from(c != Color::Reset);
        }
    }
    assert!(seen > 0, "colours are used");
}

#[test]
fn the_focused_panes_selected_row_is_reversed() {
    let terminal = draw(&recorded(false), 80, 24);
    let reversed = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|c| c.modifier.contains(Modifier::REVERSED))
        .count();
    assert!(reversed > 0);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let s = recorded(true);
    for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (80, 2)] {
        draw(&s, w, h);
    }
}
