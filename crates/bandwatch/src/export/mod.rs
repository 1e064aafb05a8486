//! `bandwatch export`: the recorded history of a range written to a file (JSON in the
//! versioned shape of `docs/export-format.md`, or CSV), series by series and slice by slice
//! so memory stays flat whatever the range. Not to be confused with the live exporters
//! (Prometheus, InfluxDB) of the `bandwatch-export` crate.
//!
//! The modules, one concern each: `range` (the window and the tier), `select` (which series),
//! `walk` (reading them from the store), `format`, `json` and `csv` (writing them),
//! `target` (stdout, or a temporary file renamed into place), `progress` (the terminal bar)
//! and `peak` (peak memory for the tests and the benchmark).

mod csv;
mod format;
mod json;
mod peak;
mod progress;
mod range;
mod select;
mod target;
mod walk;

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use bandwatch_core::human::escape_control;
use bandwatch_core::{Clock as _, SystemClock};
use bandwatch_store::{Resolution, Store};

use crate::cli::{ExportArgs, ExportFormat, ExportStep};
use crate::config::Config;
use crate::error::BadInput;

use self::format::{Format, Header};
use self::progress::Progress;
use self::range::{Limits, Plan, RangeArgs};
use self::select::Chosen;
use self::target::Target;
use self::walk::{WalkError, Written};

/// Runs the command; `quiet` hides the progress bar and the closing summary.
pub fn command(config: &Config, args: &ExportArgs, quiet: bool) -> anyhow::Result<()> {
    let now = SystemClock::new().wall();
    let window = range::window(
        RangeArgs {
            hours: args.hours.as_deref(),
            since: args.since.as_deref(),
            until: args.until.as_deref(),
        },
        now,
        &chrono::Local,
    )?;
    let selector = select::selector(&args.matches)?;
    let format = format_of(args.format, &args.output);
    let step = args.step.map(resolution_of);
    let (plan, warning) = range::plan(window, step, now, limits(config));
    let mut store = open(config)?;
    store.begin_read()?;
    let result = (|| {
        let all = store.series()?;
        if all.is_empty() {
            return Err(BadInput(crate::history::no_history(config)).into());
        }
        let chosen = select::choose(&all, bandwatch_collect::catalog(), &args.metrics, &selector)?;
        if let Some(w) = &warning {
            eprintln!("warning: {w}");
        }
        if chosen.is_empty() {
            eprintln!(
                "warning: no series of the history matches --metric/--match; the export holds none"
            );
        }
        let job = Job {
            store: store.as_ref(),
            chosen: &chosen,
            plan: &plan,
            generated: now.0,
        };
        job.run(&args.output, format, quiet)
    })();
    store.end_read();
    peak::report(result.as_ref().map_or(0, |w| w.points));
    result.map(|_| ())
}

/// One export, checked and ready to write.
struct Job<'a> {
    store: &'a dyn Store,
    chosen: &'a [Chosen],
    plan: &'a Plan,
    generated: i64,
}

impl Job<'_> {
    /// Writes the document to `output`, then names it; nothing is left behind on failure.
    fn run(&self, output: &Path, format: ExportFormat, quiet: bool) -> anyhow::Result<Written> {
        let shown = escape_control(&output.display().to_string()).into_owned();
        let mut target = Target::open(output)?;
        let slices = walk::slices(self.plan).count() as u64;
        let wanted = Progress::wanted(quiet);
        let progress = Progress::new(slices * self.chosen.len() as u64, wanted);
        let started = Instant::now();
        let written = self.write(target.writer(), format, &progress);
        progress.finish();
        let written = match written {
            Ok(w) => w,
            Err(WalkError::Write(e))
                if e.kind() == std::io::ErrorKind::BrokenPipe
                    && matches!(target, Target::Stdout(_)) =>
            {
                // A reader that stopped early (`| head`) is not an error.
                return Ok(Written::default());
            }
            Err(WalkError::Store(e)) => return Err(e).context("reading the history"),
            Err(WalkError::Write(e)) => return Err(e).with_context(|| format!("writing {shown}")),
        };
        match target.commit() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(written),
            r => r.with_context(|| format!("writing {shown}"))?,
        }
        if wanted {
            eprintln!(
                "exported {} points of {} series ({} tier) to {shown} in {:.1} s",
                written.points,
                written.series,
                self.plan.resolution.as_str(),
                started.elapsed().as_secs_f64()
            );
        }
        Ok(written)
    }

    /// The whole document through one format.
    fn write(
        &self,
        out: &mut dyn std::io::Write,
        format: ExportFormat,
        progress: &Progress,
    ) -> Result<Written, WalkError> {
        let mut f: Box<dyn Format + '_> = match format {
            ExportFormat::Json => Box::new(json::JsonFormat::new(out)),
            ExportFormat::Csv => Box::new(csv::CsvFormat::new(out, self.chosen)),
        };
        f.start(&Header {
            generated: self.generated,
            plan: self.plan,
        })?;
        let written = walk::walk(
            self.store,
            self.chosen,
            self.plan,
            f.as_mut(),
            &mut |points| {
                progress.tick(points);
            },
        )?;
        f.finish()?;
        Ok(written)
    }
}

/// `--format`, else CSV for a name ending in `.csv`, else JSON.
fn format_of(asked: Option<ExportFormat>, output: &Path) -> ExportFormat {
    asked.unwrap_or_else(|| {
        let csv = output
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv {
            ExportFormat::Csv
        } else {
            ExportFormat::Json
        }
    })
}

/// The tier `--step` names.
fn resolution_of(step: ExportStep) -> Resolution {
    match step {
        ExportStep::Raw => Resolution::Raw,
        ExportStep::Minute => Resolution::Minute,
        ExportStep::Hour => Resolution::Hour,
    }
}

/// The configured retention of each tier and the sampling interval.
fn limits(config: &Config) -> Limits {
    Limits {
        raw: config.store.raw_retention,
        minute: config.store.minute_retention,
        hour: config.store.hour_retention,
        interval: config.monitor.interval,
    }
}

/// The history, read-only; a SQLite file that does not exist yet is the user's to fix.
fn open(config: &Config) -> anyhow::Result<Box<dyn Store>> {
    if config.store.url.is_none() && !config.store.path.exists() {
        return Err(BadInput(crate::history::no_history(config)).into());
    }
    crate::history::open_read_only(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_flag_then_the_name() {
        let f = |asked, name: &str| format_of(asked, Path::new(name));
        assert_eq!(f(None, "monitoring_report.json"), ExportFormat::Json);
        assert_eq!(f(None, "out.CSV"), ExportFormat::Csv);
        assert_eq!(f(None, "-"), ExportFormat::Json);
        assert_eq!(f(Some(ExportFormat::Json), "x.csv"), ExportFormat::Json);
        assert_eq!(f(Some(ExportFormat::Csv), "-"), ExportFormat::Csv);
    }
}
