//! Waiting, untimed, until the session service has applied a session's events up to a
//! sequence, so that background work of one measurement does not leak into the next.

use std::time::{Duration, Instant};

use cm_e2e::Api;

const POLL: Duration = Duration::from_millis(10);

/// Polls `GET /api/sessions/{sid}` until its `seq` is at least `seq` (at most 30 s).
pub async fn applied(api: &Api, sid: &str, seq: u64) -> anyhow::Result<()> {
    let path = format!("/api/sessions/{sid}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let at = api.get(&path).await?["seq"].as_u64().unwrap_or(0);
        if at >= seq {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "session {sid} stuck at seq {at} < {seq}"
        );
        tokio::time::sleep(POLL).await;
    }
}
