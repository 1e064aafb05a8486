//! The log file as logrotate users expect it: the file named by `log.file` is always the
//! current log. At the first line of a new day (UTC, the day the log lines are stamped
//! with) it is renamed to `FILE.YYYY-MM-DD`, the day it holds, and a new `FILE` begun. A
//! file that someone else moved away or removed (logrotate without `copytruncate`) is
//! noticed at the next line and begun again.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

/// Today's date, injected so tests can turn the day.
pub type Today = Box<dyn Fn() -> NaiveDate + Send>;

/// A log file renamed aside once a day.
pub struct DailyFile {
    path: PathBuf,
    file: File,
    /// The day the lines in `file` belong to.
    day: NaiveDate,
    today: Today,
}

impl DailyFile {
    /// Opens (appends to) `path`, on the system clock.
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::with_clock(path, Box::new(|| Utc::now().date_naive()))
    }

    /// Opens (appends to) `path`; a file left there on an earlier day is set aside first as
    /// that day's log.
    pub fn with_clock(path: &Path, today: Today) -> io::Result<Self> {
        let now = today();
        if let Ok(meta) = std::fs::metadata(path) {
            let modified = DateTime::<Utc>::from(meta.modified()?).date_naive();
            if modified < now {
                set_aside(path, modified)?;
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            file: append(path)?,
            day: now,
            today,
        })
    }

    /// Before a line: a new day sets the file aside; a file no longer at `path` is begun
    /// again there.
    fn ready(&mut self) -> io::Result<()> {
        let now = (self.today)();
        if now != self.day {
            self.file.flush()?;
            set_aside(&self.path, self.day)?;
            self.file = append(&self.path)?;
            self.day = now;
        } else if self.moved_away() {
            self.file = append(&self.path)?;
        }
        Ok(())
    }

    /// Whether `path` no longer names the open file.
    fn moved_away(&self) -> bool {
        match (std::fs::metadata(&self.path), self.file.metadata()) {
            (Ok(at_path), Ok(open)) => at_path.ino() != open.ino() || at_path.dev() != open.dev(),
            (Err(_), _) => true,
            (Ok(_), Err(_)) => false,
        }
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.ready()?;
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Renames `path` to `path.DAY` (or `path.DAY.N` if that is taken); nothing to do when it
/// is gone already.
fn set_aside(path: &Path, day: NaiveDate) -> io::Result<()> {
    let base = format!("{}.{}", path.display(), day.format("%Y-%m-%d"));
    let target = std::iter::once(PathBuf::from(&base))
        .chain((1..10_000).map(|n| PathBuf::from(format!("{base}.{n}"))))
        .find(|p| !p.exists())
        .unwrap_or_else(|| PathBuf::from(&base));
    match std::fs::rename(path, target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("date")
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// The defect: `--log-file logs/bw.log` wrote only `logs/bw.log.2026-12-05`.
    #[test]
    fn the_named_file_is_current_and_earlier_days_are_dated_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bw.log");
        let today = Arc::new(AtomicU32::new(5));
        let clock = Arc::clone(&today);
        let mut f =
            DailyFile::with_clock(&path, Box::new(move || day(clock.load(Ordering::SeqCst))))
                .expect("open");
        f.write_all(b"first day\n").expect("write");
        assert_eq!(read(&path), "first day\n");
        today.store(6, Ordering::SeqCst);
        f.write_all(b"second day\n").expect("write");
        assert_eq!(read(&path), "second day\n");
        assert_eq!(read(&dir.path().join("bw.log.2026-12-05")), "first day\n");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["bw.log", "bw.log.2026-12-05"]);
    }

    #[test]
    fn a_file_moved_away_by_logrotate_is_begun_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bw.log");
        let mut f = DailyFile::with_clock(&path, Box::new(|| day(5))).expect("open");
        f.write_all(b"before\n").expect("write");
        std::fs::rename(&path, dir.path().join("bw.log.1")).expect("logrotate moves it");
        f.write_all(b"after\n").expect("write");
        assert_eq!(read(&path), "after\n");
        assert_eq!(read(&dir.path().join("bw.log.1")), "before\n");
        std::fs::remove_file(&path).expect("removed");
        f.write_all(b"again\n").expect("write");
        assert_eq!(read(&path), "again\n");
    }

    #[test]
    fn a_file_left_from_an_earlier_day_is_dated_at_start_and_a_taken_name_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bw.log");
        std::fs::write(&path, "old\n").expect("write");
        std::fs::write(
            dir.path()
                .join(format!("bw.log.{}", Utc::now().date_naive())),
            "kept\n",
        )
        .expect("write");
        // Started tomorrow: today's file is from an earlier day.
        let tomorrow = Utc::now().date_naive().succ_opt().expect("tomorrow");
        let mut f = DailyFile::with_clock(&path, Box::new(move || tomorrow)).expect("open");
        f.write_all(b"new\n").expect("write");
        assert_eq!(read(&path), "new\n");
        let dated = format!("bw.log.{}", Utc::now().date_naive());
        assert_eq!(read(&dir.path().join(&dated)), "kept\n");
        assert_eq!(read(&dir.path().join(format!("{dated}.1"))), "old\n");
    }
}
