//! The `.env` file, read the way python-dotenv's `load_dotenv()` reads it, because that is
//! what the scripts bandwatch replaces called and their users' files are written for it:
//!
//! - `NAME=value`, spaces around the name, the `=` and the value ignored; an `export `
//!   prefix changes nothing; a name may be in single quotes;
//! - an unquoted value runs to the end of the line, trimmed, and ` #` (whitespace, then `#`)
//!   starts a comment: `EMAIL_PASSWORD=abcd efgh ijkl mnop  # app password`;
//! - `'single quotes'` keep everything but `\\` and `\'`; `"double quotes"` also decode
//!   `\"`, `\a`, `\b`, `\f`, `\n`, `\r`, `\t` and `\v`; quoted values may span lines and
//!   may be followed by a comment;
//! - `NAME=` is the empty string; `NAME` alone has no value and sets nothing;
//! - `${NAME}` and `${NAME:-default}` in a value are expanded (not `$NAME`), from the
//!   process environment first, then from the names the file set above the line.
//!
//! One deliberate difference: python-dotenv skips a line it cannot read with a warning;
//! here it stops the start with the line number, so a setting is never silently lost. The
//! error never repeats the line's text, which may hold a password.

use std::fmt;

/// One `NAME=value` (or bare `NAME`) of the file, escapes decoded, not yet expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Binding {
    key: String,
    value: Option<String>,
}

/// Why a `.env` statement could not be read. It holds no part of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line where the statement starts.
    pub line: usize,
    /// The name, when it was read before the fault.
    pub key: Option<String>,
    /// What is wrong and how to write it instead.
    pub problem: &'static str,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(k) = &self.key {
            write!(f, " ({k})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// Every variable the file sets, in file order (a later line wins), with `${…}` expanded.
/// `process` looks a name up in the process environment, which wins over the file in
/// expansion as it does for the settings themselves.
pub fn read(
    text: &str,
    process: impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, LineError> {
    let bindings = parse(text)?;
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    let mut out = Vec::new();
    for b in bindings {
        let value = b.value.map(|v| {
            expand(&v, |name| {
                process(name).or_else(|| {
                    // A name set above without a value expands to nothing, not to the default.
                    seen.iter()
                        .rev()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone().unwrap_or_default())
                })
            })
        });
        if let Some(v) = &value {
            out.push((b.key.clone(), v.clone()));
        }
        seen.push((b.key, value));
    }
    Ok(out)
}

/// The statements of the file, without expansion.
fn parse(text: &str) -> Result<Vec<Binding>, LineError> {
    // Editors on Windows may start the file with a byte order mark; it is not part of a name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cur = Cursor {
        rest: text,
        line: 1,
    };
    let mut out = Vec::new();
    loop {
        cur.take_while(char::is_whitespace);
        if cur.rest.is_empty() {
            return Ok(out);
        }
        if let Some(b) = cur.statement()? {
            out.push(b);
        }
    }
}

/// Whitespace within a line.
fn blank(c: char) -> bool {
    c.is_whitespace() && c != '\n' && c != '\r'
}

fn line_end(c: char) -> bool {
    c == '\n' || c == '\r'
}

/// The unread text and the line it starts on.
struct Cursor<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Cursor<'a> {
    /// Consumes `n` bytes, counting the line ends in them (`\r\n`, `\n` or `\r`).
    fn advance(&mut self, n: usize) -> &'a str {
        let (taken, rest) = self.rest.split_at(n);
        self.line += taken.matches('\n').count() + taken.matches('\r').count()
            - taken.matches("\r\n").count();
        self.rest = rest;
        taken
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let n = self.rest.find(|c| !keep(c)).unwrap_or(self.rest.len());
        self.advance(n)
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    /// One statement: a binding, or `None` for a comment line.
    fn statement(&mut self) -> Result<Option<Binding>, LineError> {
        let line = self.line;
        let fail = |key: Option<&str>, problem| LineError {
            line,
            key: key.map(str::to_string),
            problem,
        };
        if let Some(after) = self.rest.strip_prefix("export") {
            if after.starts_with(blank) {
                self.advance("export".len());
                self.take_while(blank);
            }
        }
        let key = match self.peek() {
            Some('#') => None,
            Some('\'') => {
                let inner = &self.rest[1..];
                match inner.find('\'') {
                    Some(end) if end > 0 => {
                        let key = inner[..end].to_string();
                        self.advance(end + 2);
                        Some(key)
                    }
                    _ => {
                        return Err(fail(
                            None,
                            "a name in single quotes needs a closing quote; write NAME=value",
                        ))
                    }
                }
            }
            _ => {
                let key = self.take_while(|c| c != '=' && c != '#' && !c.is_whitespace());
                if key.is_empty() {
                    return Err(fail(None, "has no name before the '='; write NAME=value"));
                }
                Some(key.to_string())
            }
        };
        self.take_while(blank);
        let value = if self.peek() == Some('=') {
            self.advance(1);
            self.take_while(blank);
            Some(self.value().map_err(|p| fail(key.as_deref(), p))?)
        } else {
            None
        };
        self.comment();
        self.take_while(blank);
        match self.peek() {
            None => {}
            Some('\r') if self.rest.starts_with("\r\n") => {
                self.advance(2);
            }
            Some('\n' | '\r') => {
                self.advance(1);
            }
            Some(_) if value.is_none() => {
                return Err(fail(
                    key.as_deref(),
                    "has text after the name; write NAME=value, and start a comment with #",
                ))
            }
            Some(_) => {
                return Err(fail(
                    key.as_deref(),
                    "has text after the closing quote of its value; start a comment with #, \
                     or quote the whole value",
                ))
            }
        }
        Ok(key.map(|key| Binding { key, value }))
    }

    /// An optional `# comment` up to the end of the line, after optional blanks.
    fn comment(&mut self) {
        let blanks = self.rest.find(|c| !blank(c)).unwrap_or(self.rest.len());
        if self.rest[blanks..].starts_with('#') {
            let end = self.rest.find(line_end).unwrap_or(self.rest.len());
            self.advance(end);
        }
    }

    fn value(&mut self) -> Result<String, &'static str> {
        match self.peek() {
            Some(q @ ('\'' | '"')) => {
                let raw = self.quoted(q).ok_or(if q == '"' {
                    "its value in double quotes has no closing \"; close it (a quoted value \
                     may span lines)"
                } else {
                    "its value in single quotes has no closing '; close it (a quoted value \
                     may span lines)"
                })?;
                Ok(unescape(raw, if q == '"' { DOUBLE } else { SINGLE }))
            }
            None | Some('\n' | '\r') => Ok(String::new()),
            Some(_) => {
                let raw = self.take_while(|c| !line_end(c));
                Ok(without_comment(raw).trim_end().to_string())
            }
        }
    }

    /// The text between the quote `q` here and its closing quote. A backslash before `q`
    /// escapes it; if the text ends without a closing quote, the last escaped quote is taken
    /// as the closing one after all (`"C:\dir\"` is `C:\dir\`).
    fn quoted(&mut self, q: char) -> Option<&'a str> {
        let body = &self.rest[1..];
        let mut last_escaped = None;
        let mut chars = body.char_indices().peekable();
        let mut close = None;
        while let Some((i, c)) = chars.next() {
            if c == '\\' && chars.peek().is_some_and(|&(_, n)| n == q) {
                last_escaped = Some(i + 1);
                chars.next();
            } else if c == q {
                close = Some(i);
                break;
            }
        }
        let close = close.or(last_escaped)?;
        self.advance(1);
        let raw = self.advance(close);
        self.advance(1);
        Some(raw)
    }
}

/// `raw` up to the first run of whitespace that is followed by `#`.
fn without_comment(raw: &str) -> &str {
    let mut run_start = None;
    for (i, c) in raw.char_indices() {
        if c.is_whitespace() {
            run_start.get_or_insert(i);
        } else if c == '#' && run_start.is_some() {
            return &raw[..run_start.unwrap_or(i)];
        } else {
            run_start = None;
        }
    }
    raw
}

/// The escapes single-quoted values decode.
const SINGLE: &[(char, char)] = &[('\\', '\\'), ('\'', '\'')];
/// The escapes double-quoted values decode.
const DOUBLE: &[(char, char)] = &[
    ('\\', '\\'),
    ('\'', '\''),
    ('"', '"'),
    ('a', '\u{7}'),
    ('b', '\u{8}'),
    ('f', '\u{c}'),
    ('n', '\n'),
    ('r', '\r'),
    ('t', '\t'),
    ('v', '\u{b}'),
];

/// `raw` with the listed escapes decoded left to right; any other backslash stays.
fn unescape(raw: &str, escapes: &[(char, char)]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let decoded = (c == '\\')
            .then(|| chars.peek())
            .flatten()
            .and_then(|n| escapes.iter().find(|(e, _)| e == n))
            .map(|&(_, d)| d);
        match decoded {
            Some(d) => {
                out.push(d);
                chars.next();
            }
            None => out.push(c),
        }
    }
    out
}

/// `value` with every `${NAME}` and `${NAME:-default}` replaced: by `lookup(NAME)`, else the
/// default, else nothing. Anything else (`$NAME`, `${A:x}`) stays as written.
fn expand(value: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        if let Some((name, default, len)) = reference(&rest[start + 2..]) {
            out.push_str(&rest[..start]);
            out.push_str(&lookup(name).unwrap_or_else(|| default.unwrap_or_default().to_string()));
            rest = &rest[start + 2 + len..];
        } else {
            // Not a reference here; one may still start at the next character.
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// After `${`: the name, the default and the length up to and including `}`.
fn reference(text: &str) -> Option<(&str, Option<&str>, usize)> {
    let name_end = text.find(['}', ':'])?;
    let name = &text[..name_end];
    let after = &text[name_end..];
    if after.starts_with('}') {
        return Some((name, None, name_end + 1));
    }
    let default = after.strip_prefix(":-")?;
    let end = default.find('}')?;
    Some((name, Some(&default[..end]), name_end + 2 + end + 1))
}

#[cfg(test)]
mod tests;
