//! Forking children that die with this process.
//!
//! `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not the process.
//! Test runtimes and tokio's blocking pool start and stop threads all the time, so every child is
//! forked from one dedicated thread that lives as long as the process: the death signal then
//! means "this process is gone", which is what both the tests and `codex-manager up` want.
//!
//! std runs `pre_exec` closures after `setuid`/`setgid`, which matters because a credential
//! change clears the death signal; setting it in `pre_exec` keeps it in force.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::sync::mpsc;

use nix::errno::Errno;
use nix::sys::signal::Signal;

/// Arms `cmd` with `PR_SET_PDEATHSIG = SIGKILL` and forks it from the spawner thread.
pub(super) fn spawn_with_death_signal(mut cmd: Command) -> io::Result<Child> {
    let parent = nix::unistd::getpid();
    // SAFETY: the closure only makes async-signal-safe system calls and does not allocate.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
                .map_err(|errno| io::Error::from_raw_os_error(errno as i32))?;
            // The parent may have died between fork and prctl.
            if nix::unistd::getppid() != parent {
                return Err(io::Error::from_raw_os_error(Errno::ESRCH as i32));
            }
            Ok(())
        });
    }
    spawn_on_keeper_thread(cmd)
}

/// Forks `cmd` from a thread that never exits.
fn spawn_on_keeper_thread(cmd: Command) -> io::Result<Child> {
    type Job = (Command, mpsc::Sender<io::Result<Child>>);
    static KEEPER: OnceLock<io::Result<mpsc::Sender<Job>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("cm-local-infra-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })?;
        Ok(tx)
    });
    let keeper = keeper
        .as_ref()
        .map_err(|e| io::Error::new(e.kind(), format!("starting the spawner thread: {e}")))?;
    let (reply_tx, reply_rx) = mpsc::channel();
    keeper
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}
