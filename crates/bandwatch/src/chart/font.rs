//! The font charts write text with: a TrueType sans-serif font installed on the system,
//! found once per process and registered with plotters as `sans-serif`. bandwatch ships no
//! font file and links no font library (fontconfig, freetype): the file is read as bytes
//! and drawn by ab_glyph, in pure Rust.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where fonts are looked for, for the message when none is found.
pub const SEARCHED: &str = "/usr/share/fonts, /usr/local/share/fonts";

/// The family name charts ask plotters for.
pub const FAMILY: &str = "sans-serif";

/// Well-known regular sans-serif fonts, best first (Debian/Ubuntu, Fedora, Arch, Alpine).
const KNOWN: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
];

/// Whether a font file's name looks like an upright, regular-weight sans-serif.
fn looks_regular_sans(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let std = Path::new(&n)
        .extension()
        .is_some_and(|e| e == "ttf" || e == "otf");
    std && n.contains("sans")
        && ![
            "bold",
            "italic",
            "oblique",
            "mono",
            "condensed",
            "narrow",
            "light",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// Any regular sans-serif font under `dir`, depth first, in name order (so the choice is
/// the same on every run).
fn search(dir: &Path, depth: u32) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries
        .iter()
        .find(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(looks_regular_sans)
        })
        .cloned()
        .or_else(|| {
            (depth > 0)
                .then(|| {
                    entries
                        .iter()
                        .filter(|p| p.is_dir())
                        .find_map(|d| search(d, depth - 1))
                })
                .flatten()
        })
}

/// The font file to use, if the system has one.
fn find() -> Option<PathBuf> {
    KNOWN
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| {
            ["/usr/share/fonts", "/usr/local/share/fonts"]
                .iter()
                .find_map(|d| search(Path::new(d), 4))
        })
}

/// Finds and registers the font once; false when there is none (charts then carry no text).
pub fn ensure() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        let Some(bytes) = find().and_then(|p| std::fs::read(p).ok()) else {
            return false;
        };
        // plotters keeps fonts for the life of the process; this is read once per process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font(FAMILY, plotters::style::FontStyle::Normal, bytes).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_sans_fonts_are_told_from_the_others() {
        for yes in [
            "DejaVuSans.ttf",
            "LiberationSans-Regular.ttf",
            "NotoSans-Regular.otf",
        ] {
            assert!(looks_regular_sans(yes), "{yes}");
        }
        for no in [
            "DejaVuSans-Bold.ttf",
            "LiberationSerif-Regular.ttf",
            "DejaVuSansMono.ttf",
            "LiberationSansNarrow-Regular.ttf",
            "sans.pcf.gz",
        ] {
            assert!(!looks_regular_sans(no), "{no}");
        }
    }
}
