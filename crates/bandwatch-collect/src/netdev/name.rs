//! Interface names as the kernel gives them (bytes) and as bandwatch shows them (text).
//!
//! Linux accepts any byte in an interface name except `/`, `:`, NUL and whitespace, so a
//! name need not be UTF-8. The raw bytes are what sysfs paths are made of; the shown form
//! is what labels, logs and outputs carry.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt as _;

/// The name as text: itself when it is UTF-8, else each byte that is not part of a valid
/// UTF-8 sequence written as `\xNN` (`bad\xff`), so it stays recognisable and one line.
pub fn shown(raw: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(raw) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for chunk in raw.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// The name as the OS takes it in a path: the raw bytes, untouched.
pub fn os(raw: &[u8]) -> &OsStr {
    OsStr::from_bytes(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_names_are_shown_as_they_are() {
        assert!(matches!(shown(b"eth0"), Cow::Borrowed("eth0")));
        assert_eq!(shown("u\u{2028}x".as_bytes()), "u\u{2028}x");
        assert_eq!(
            shown(b"e\x1b[31mx"),
            "e\x1b[31mx",
            "controls are escaped on output"
        );
    }

    #[test]
    fn bytes_outside_utf8_become_hex_escapes() {
        assert_eq!(shown(b"bad\xff"), "bad\\xff");
        assert_eq!(shown(b"\xc3(x\xe2\x82"), "\\xc3(x\\xe2\\x82");
        assert_eq!(shown(b"caf\xc3\xa9\xff"), "caf\u{e9}\\xff");
    }

    #[test]
    fn paths_keep_the_raw_bytes() {
        assert_eq!(os(b"bad\xff").as_bytes(), b"bad\xff");
    }
}
