//! Ctrl-C and SIGTERM: the first asks for an orderly stop, a second one forces it.
//!
//! The children lead their own process groups, so a Ctrl-C in the terminal reaches only `up`,
//! which then stops them in order (services, then Postgres, then NATS). On a second signal `up`
//! exits at once with status 130; the kernel then kills every child through its parent-death
//! signal, and Postgres recovers from its log on the next start.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Installs the handlers; the token is cancelled on the first signal.
pub fn install() -> std::io::Result<CancellationToken> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let token = CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            seen += 1;
            if seen == 1 {
                eprintln!("\nstopping (press Ctrl-C again to force)");
                stop.cancel();
            } else {
                eprintln!("forced stop");
                std::process::exit(130);
            }
        }
    });
    Ok(token)
}
