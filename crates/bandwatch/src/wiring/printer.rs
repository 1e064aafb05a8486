//! The per-tick output on stdout in the configured mode, as one of the agent's sinks: one
//! line per interface frame; when stdout is gone (piped into `head`), the run stops.

use std::io::Write as _;

use bandwatch_collect::netdev::SOURCE_NAME as NETDEV;
use bandwatch_core::{Flow, Frame, Sink, SinkCounters};

use crate::config::OutputMode;
use crate::output::{
    console_line, json_line_with_devices, Devices, DevicesSince, Places, TickSummary,
};

/// Prints ticks; holds nothing but the mode.
#[derive(Debug)]
pub struct Printer {
    mode: OutputMode,
}

impl Printer {
    /// A printer for one output mode.
    pub fn new(mode: OutputMode) -> Self {
        Self { mode }
    }

    /// True when the mode prints something per tick.
    pub fn prints(&self) -> bool {
        self.mode != OutputMode::Quiet
    }

    /// Prints one tick (with the LAN devices' numbers since the last line, in JSON); false
    /// when the mode prints nothing, an error when stdout is gone.
    pub fn print(&self, tick: &TickSummary, devices: Option<&Devices>) -> std::io::Result<bool> {
        let line = match self.mode {
            OutputMode::Quiet => return Ok(false),
            OutputMode::Json => json_line_with_devices(tick, devices),
            OutputMode::Console => console_line(tick),
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
        Ok(true)
    }
}

/// The printer as a sink: `written` counts lines, `dropped` the ticks after stdout closed.
#[derive(Debug)]
pub struct PrinterSink {
    printer: Printer,
    counters: SinkCounters,
    closed: bool,
    /// The devices frames since the last line (JSON mode only).
    devices: DevicesSince,
    /// Where each interface series goes in a summary, remembered across ticks.
    places: Places,
}

impl PrinterSink {
    /// Prints in `mode`.
    pub fn new(mode: OutputMode) -> Self {
        Self {
            printer: Printer::new(mode),
            counters: SinkCounters::default(),
            closed: false,
            devices: DevicesSince::default(),
            places: Places::default(),
        }
    }
}

impl Sink for PrinterSink {
    fn name(&self) -> &'static str {
        "console"
    }

    fn frame(&mut self, frame: &Frame) -> Flow {
        if frame.source != NETDEV {
            if self.printer.mode == OutputMode::Json {
                self.devices.observe(frame);
            }
            return Flow::Continue;
        }
        if self.closed {
            self.counters.add_dropped(1);
            return Flow::Stop;
        }
        if !self.printer.prints() {
            // Quiet: nothing to summarise.
            return Flow::Continue;
        }
        let devices = self.devices.take();
        let tick = TickSummary::from_frame_with(frame, &mut self.places);
        match self.printer.print(&tick, devices.as_ref()) {
            Ok(printed) => {
                self.counters.add_written(u64::from(printed));
                Flow::Continue
            }
            Err(e) => {
                // stdout closed (e.g. piped into `head`): stop cleanly rather than spin.
                tracing::info!(error = %e, "stdout closed; stopping");
                self.closed = true;
                self.counters.add_dropped(1);
                Flow::Stop
            }
        }
    }

    fn counters(&self) -> SinkCounters {
        self.counters.clone()
    }
}
