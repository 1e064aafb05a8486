//! Asking questions: the question with its proposed answer in brackets, the answer read as a
//! line from any reader (the terminal, or a test's text), asked again with the reason while
//! it is not acceptable. A secret is read with the terminal's echo off.

use std::io::{self, BufRead, Write};

/// Turns the terminal's echo off (`true`) or back on (`false`).
pub type Hide = Box<dyn FnMut(bool) -> io::Result<()>>;

/// Questions on `output`, answers from `input`.
pub struct Prompt<R, W> {
    input: R,
    output: W,
    hide: Hide,
}

impl<R: BufRead, W: Write> Prompt<R, W> {
    /// Asks on `output` and reads from `input`; secrets are read like any answer.
    pub fn new(input: R, output: W) -> Self {
        Self {
            input,
            output,
            hide: Box::new(|_| Ok(())),
        }
    }

    /// Uses `hide` to keep a secret off the screen while it is typed.
    pub fn with_hiding(mut self, hide: Hide) -> Self {
        self.hide = hide;
        self
    }

    /// Writes a line for the person.
    pub fn say(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.output, "{text}")
    }

    /// Asks `question` until `check` accepts the answer; an empty answer is `proposed`.
    pub fn ask<T>(
        &mut self,
        question: &str,
        proposed: &str,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> io::Result<T> {
        loop {
            if proposed.is_empty() {
                write!(self.output, "{question}: ")?;
            } else {
                write!(self.output, "{question} [{proposed}]: ")?;
            }
            self.output.flush()?;
            let line = self.line()?;
            let answer = if line.is_empty() { proposed } else { &line };
            match check(answer) {
                Ok(v) => return Ok(v),
                Err(why) => writeln!(self.output, "  {why}")?,
            }
        }
    }

    /// Asks for a secret, read with echo off; it may be empty.
    pub fn secret(&mut self, question: &str) -> io::Result<String> {
        write!(self.output, "{question} (not shown as you type): ")?;
        self.output.flush()?;
        (self.hide)(true)?;
        let line = self.line();
        let shown = (self.hide)(false);
        // The Enter that ended it was not echoed either.
        writeln!(self.output)?;
        shown?;
        line
    }

    /// One line without its end; an error at the end of the input (nothing is written then).
    fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the questions were not all answered",
            ));
        }
        Ok(line.trim_end_matches(['\n', '\r']).trim().to_string())
    }
}

/// Echo on or off on this process's terminal (standard input).
pub fn terminal_echo(hidden: bool) -> io::Result<()> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    let stdin = io::stdin();
    let mut t = tcgetattr(&stdin)?;
    t.local_modes.set(LocalModes::ECHO, !hidden);
    tcsetattr(&stdin, OptionalActions::Now, &t)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    fn number(s: &str) -> Result<u32, String> {
        s.parse().map_err(|_| format!("'{s}' is not a number"))
    }

    #[test]
    fn an_empty_answer_takes_the_proposed_one_and_a_bad_one_is_asked_again() {
        let mut out = Vec::new();
        let mut p = Prompt::new("\nten\n12\n".as_bytes(), &mut out);
        assert_eq!(p.ask("Port", "587", number).unwrap(), 587);
        assert_eq!(p.ask("Limit", "", number).unwrap(), 12);
        drop(p);
        let shown = String::from_utf8(out).unwrap();
        assert_eq!(shown, "Port [587]: Limit:   'ten' is not a number\nLimit: ");
    }

    #[test]
    fn the_end_of_the_input_stops_the_questions() {
        let mut p = Prompt::new("".as_bytes(), Vec::new());
        let err = p.ask("Port", "587", number).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_secret_is_read_with_echo_off_and_on_again() {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let seen = Rc::clone(&calls);
        let mut out = Vec::new();
        let mut p =
            Prompt::new("  s3cret pass \n".as_bytes(), &mut out).with_hiding(Box::new(move |h| {
                seen.borrow_mut().push(h);
                Ok(())
            }));
        assert_eq!(p.secret("SMTP password").unwrap(), "s3cret pass");
        drop(p);
        assert_eq!(*calls.borrow(), [true, false]);
        let shown = String::from_utf8(out).unwrap();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.ends_with("(not shown as you type): \n"), "{shown:?}");
    }
}
