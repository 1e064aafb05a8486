//! Standalone: the agent samples this machine with the sources `run` builds, and the view is
//! one of its sinks. The agent's pipeline delivers frames on this thread, so the sink also
//! reads the keys and draws; a small `Tick` source keeps keys answered within
//! [`KEYS_EVERY`] between the sources' own frames. Nothing is stored unless `--db` is given.

use std::sync::Arc;
use std::time::Duration;

use bandwatch_agent::{Agent, Cancel, ClockWait, SignalWatch};
use bandwatch_collect::Source;
use bandwatch_core::{AlertEvent, Clock, Flow, Frame, Seconds, Sink, SinkCounters, SystemClock};
use bandwatch_engine::Engine;
use bandwatch_tui::{render, update, Action, Effect, State};

use super::keys;
use super::terminal::{self, Restore, Screen};
use crate::config::Config;
use crate::error::BadInput;

/// The longest a key waits for an answer.
const KEYS_EVERY: Duration = Duration::from_millis(100);

/// Runs the view over this machine's sources until `q`, SIGTERM or the configured duration.
pub fn run(state: State, config: &Config, store: bool) -> anyhow::Result<()> {
    let mut engine = Engine::from_specs(&crate::config::effective_rules(config))
        .map_err(|e| BadInput(e.to_string()))?;
    // Everything that can fail on the user's input fails before the screen changes.
    let sources = crate::wiring::sources::all(config)?;
    let devices = crate::wiring::devices::source(config)?;
    let history = if store {
        Some(crate::wiring::sinks::store(
            config,
            &mut engine,
            devices.is_some(),
        )?)
    } else {
        None
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let wait = Arc::new(ClockWait::new(Arc::clone(&clock)));
    // `q` ends the process at once rather than after a probe round still waiting for its
    // timeout; that round's figures are not wanted any more.
    let mut agent = Agent::new(Arc::clone(&clock), wait, engine)
        .duration(config.monitor.duration)
        .quick_stop();
    for (source, every) in sources {
        agent = agent.source(source, every);
    }
    let mut announced = Vec::new();
    if let Some((sink, uptime, caps, seen)) = history {
        announced = seen;
        agent = agent.uptime(uptime).sink(Box::new(NonEmpty(sink)));
        if let Some(caps) = caps {
            agent = agent.caps(caps);
        }
    }
    if let Some(devices) = devices {
        agent = agent.source(
            Box::new(devices.announcing(announced)),
            config.monitor.interval,
        );
    }
    agent = agent.source(Box::new(Tick(clock)), KEYS_EVERY);
    let (screen, restore) = terminal::enter()?;
    let agent = agent.sink(Box::new(View::new(screen, state, restore)));
    let cancel = Cancel::new();
    // SIGTERM and SIGINT (a `kill`; Ctrl+C itself arrives as a key in raw mode).
    let signals = SignalWatch::start(&cancel).ok();
    let report = agent.run(&cancel);
    if let Some(s) = signals {
        s.stop();
    }
    report?;
    Ok(())
}

/// The view as a sink: frames and alert transitions in, keys read and the screen drawn.
struct View {
    screen: Screen,
    state: State,
    dirty: bool,
    counters: SinkCounters,
    /// Dropped on quit, so the terminal is back at once while the sources finish.
    restore: Option<Restore>,
}

impl View {
    fn new(screen: Screen, state: State, restore: Restore) -> Self {
        Self {
            screen,
            state,
            dirty: true,
            counters: SinkCounters::default(),
            restore: Some(restore),
        }
    }

    /// Takes the keys waiting and draws what changed; `Stop` on `q` or a terminal gone.
    fn keys_and_draw(&mut self) -> Flow {
        if self.restore.is_none() {
            return Flow::Stop;
        }
        let Ok(actions) = keys::pending(Duration::ZERO) else {
            return self.quit();
        };
        for action in actions {
            self.dirty = true;
            if update(&mut self.state, action) == Effect::Quit {
                return self.quit();
            }
        }
        if self.dirty {
            self.dirty = false;
            let state = &self.state;
            if self.screen.draw(|f| render(state, f)).is_err() {
                return self.quit();
            }
        }
        Flow::Continue
    }

    fn quit(&mut self) -> Flow {
        self.restore = None;
        Flow::Stop
    }
}

impl Sink for View {
    fn name(&self) -> &'static str {
        "top"
    }

    fn frame(&mut self, frame: &Frame) -> Flow {
        if !frame.samples.is_empty() {
            update(&mut self.state, Action::Frame(frame.clone()));
            self.dirty = true;
        }
        self.counters.add_written(1);
        self.keys_and_draw()
    }

    fn alerts(&mut self, events: &[AlertEvent]) {
        for e in events {
            update(&mut self.state, Action::Alert(e.clone()));
        }
        self.dirty = true;
    }

    fn counters(&self) -> SinkCounters {
        self.counters.clone()
    }
}

/// An empty frame every [`KEYS_EVERY`]: the pipeline then calls the view, which reads the keys.
struct Tick(Arc<dyn Clock>);

impl Source for Tick {
    fn name(&self) -> &'static str {
        "top-keys"
    }

    fn collect(&mut self) -> bandwatch_collect::Result<Option<Frame>> {
        let elapsed = Seconds::from_duration(KEYS_EVERY);
        Ok(Some(Frame::new("top-keys", self.0.wall(), elapsed)))
    }
}

/// A sink that is not bothered with the key ticks' empty frames (the history writer).
struct NonEmpty<S>(S);

impl<S: Sink> Sink for NonEmpty<S> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn frame(&mut self, frame: &Frame) -> Flow {
        if frame.samples.is_empty() {
            Flow::Continue
        } else {
            self.0.frame(frame)
        }
    }

    fn alerts(&mut self, events: &[AlertEvent]) {
        self.0.alerts(events);
    }

    fn counters(&self) -> SinkCounters {
        self.0.counters()
    }

    fn close(&mut self) {
        self.0.close();
    }
}
