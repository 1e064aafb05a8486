//! The first line: the title, CPU, memory and the fullest disks, the units and the pause.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format::{name, percent};
use super::style::Palette;
use crate::state::{State, Units};

/// Draws the header line.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let sys = &state.model.system;
    let mut spans = vec![
        Span::styled(format!(" {} ", name(&state.options.title)), p.heading()),
        Span::raw(" CPU "),
        Span::styled(percent(sys.cpu), p.level(sys.cpu)),
        Span::raw("  mem "),
        Span::styled(percent(sys.memory), p.level(sys.memory)),
    ];
    // The fullest filesystems first: the ones worth a look.
    let mut disks: Vec<(&String, &f64)> = sys.disks.iter().collect();
    disks.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let mut tail = vec![Span::styled(
        match state.units {
            Units::Bits => "  [bits]",
            Units::Bytes => "  [bytes]",
        },
        p.dim(),
    )];
    if state.paused {
        tail.push(Span::styled("  PAUSED", p.bad()));
    }
    // As many disks as fit before the units and the pause, which always show.
    let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    let mut room = usize::from(area.width).saturating_sub(width(&spans) + width(&tail));
    for (mount, used) in disks {
        let disk = [
            Span::raw(format!("  {} ", name(mount))),
            Span::styled(percent(Some(*used)), p.level(Some(*used))),
        ];
        if width(&disk) > room {
            break;
        }
        room -= width(&disk);
        spans.extend(disk);
    }
    spans.extend(tail);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
