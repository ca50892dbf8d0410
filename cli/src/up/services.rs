//! The service processes: started with their environment, watched, restarted with back-off when
//! they die on their own, and stopped with `SIGTERM` (then `SIGKILL` after 10 s).
//!
//! Each service leads its own process group (a Ctrl-C in the terminal reaches only `up`), and its
//! output goes line by line to the terminal, prefixed, and to `<data>/logs/<name>.log`.
//!
//! A death after less than [`QUICK`] of running counts as a quick one; after
//! [`MAX_QUICK_RESTARTS`] quick restarts in a row `up` gives up and stops everything. Back-off
//! doubles from 0.5 s.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::bail;
use cm_local_infra::process::{ChildProcess, log_tail};
use nix::sys::signal::Signal;

use super::console::Console;
use super::layout::Layout;

/// A run shorter than this that ends in a crash counts towards [`MAX_QUICK_RESTARTS`].
const QUICK: Duration = Duration::from_secs(30);
const MAX_QUICK_RESTARTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How to run one service.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Short name: the terminal prefix and the log file name.
    pub name: &'static str,
    pub bin: PathBuf,
    pub args: Vec<String>,
    /// Set on top of `up`'s own environment.
    pub env: Vec<(String, OsString)>,
}

struct Slot {
    spec: ServiceSpec,
    child: Option<ChildProcess>,
    started_at: Instant,
    quick_deaths: u32,
    restart_at: Option<Instant>,
}

/// The supervised services.
pub struct Services {
    slots: Vec<Slot>,
    console: Console,
    layout: Layout,
}

impl Services {
    /// An empty set; [`Services::start`] adds to it.
    pub fn new(console: &Console, layout: &Layout) -> Self {
        Self {
            slots: Vec::new(),
            console: console.clone(),
            layout: layout.clone(),
        }
    }

    /// Starts `spec` and supervises it from now on.
    pub fn start(&mut self, spec: ServiceSpec) -> anyhow::Result<()> {
        let child = self.spawn(&spec)?;
        self.slots.push(Slot {
            spec,
            child: Some(child),
            started_at: Instant::now(),
            quick_deaths: 0,
            restart_at: None,
        });
        Ok(())
    }

    /// Notices services that exited, restarts those whose back-off is over; an error when one
    /// keeps crashing.
    pub fn check(&mut self) -> anyhow::Result<()> {
        let now = Instant::now();
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            if let Some(child) = &mut slot.child
                && let Some(status) = child.try_status()
            {
                slot.child = None;
                let ran = now.duration_since(slot.started_at);
                slot.quick_deaths = if ran < QUICK {
                    slot.quick_deaths + 1
                } else {
                    1
                };
                let name = slot.spec.name;
                if slot.quick_deaths > MAX_QUICK_RESTARTS {
                    bail!(
                        "{name} keeps crashing ({status}; {MAX_QUICK_RESTARTS} quick restarts \
                         did not help); {}",
                        log_tail(&self.layout.log(name))
                    );
                }
                let backoff = FIRST_BACKOFF * 2u32.pow(slot.quick_deaths - 1);
                self.console.alert(&format!(
                    "{name} exited unexpectedly ({status}) after {:.1} s; restarting in {:.1} s \
                     (restart {} of at most {MAX_QUICK_RESTARTS} in a row)",
                    ran.as_secs_f64(),
                    backoff.as_secs_f64(),
                    slot.quick_deaths
                ));
                slot.restart_at = Some(now + backoff);
            }
            let slot = &self.slots[i];
            if slot.child.is_none() && slot.restart_at.is_some_and(|at| at <= now) {
                let spec = slot.spec.clone();
                let child = self.spawn(&spec)?;
                self.console.info(&format!("{} restarted", spec.name));
                let slot = &mut self.slots[i];
                slot.child = Some(child);
                slot.started_at = Instant::now();
                slot.restart_at = None;
            }
        }
        Ok(())
    }

    /// `SIGTERM` to every service, then waits up to 10 s in all before `SIGKILL`.
    pub async fn stop(&mut self) {
        for slot in &mut self.slots {
            slot.restart_at = None;
            if let Some(child) = &mut slot.child {
                let _ = child.signal(Signal::SIGTERM);
            }
        }
        let deadline = Instant::now() + STOP_GRACE;
        for slot in &mut self.slots {
            if let Some(mut child) = slot.child.take() {
                let left = deadline.saturating_duration_since(Instant::now());
                if child.wait_exit(left).await.is_err() {
                    self.console
                        .alert(&format!("{} ignored SIGTERM; killing it", slot.spec.name));
                    // Drop sends SIGKILL to its process group and reaps it.
                }
            }
        }
    }

    /// The names of the services and their log files.
    pub fn logs(&self) -> Vec<(&'static str, PathBuf)> {
        self.slots
            .iter()
            .map(|s| (s.spec.name, self.layout.log(s.spec.name)))
            .collect()
    }

    fn spawn(&self, spec: &ServiceSpec) -> anyhow::Result<ChildProcess> {
        let mut cmd = Command::new(&spec.bin);
        cmd.args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            // Their output is a pipe: no colours, whatever the library defaults are.
            .env("NO_COLOR", "1")
            .process_group(0);
        ChildProcess::spawn_with_lines(
            spec.name,
            cmd,
            &self.layout.log(spec.name),
            self.console.sink(spec.name),
        )
    }
}
