//! A client following one session's events across any outage: it reconnects with the last
//! `Last-Event-ID` it saw, as the web UI and the CLI do, and keeps everything it received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cm_e2e::Api;
use cm_schemas::StreamedEvent;
use futures::StreamExt;
use tokio::task::JoinHandle;

/// Events received live, in arrival order; reconnects counted.
#[derive(Default)]
pub struct Received {
    pub events: Vec<StreamedEvent>,
    pub reconnects: u32,
}

pub struct Follower {
    pub received: Arc<Mutex<Received>>,
    task: JoinHandle<()>,
}

impl Follower {
    pub fn start(api: Api, session: String) -> Self {
        let received = Arc::new(Mutex::new(Received::default()));
        let shared = received.clone();
        let task = tokio::spawn(async move {
            loop {
                let last = shared.lock().unwrap().events.last().map(|e| e.seq);
                if let Ok(mut stream) = api.events(&session, Some(last.unwrap_or(0))).await {
                    while let Some(Ok(event)) = stream.next().await {
                        shared.lock().unwrap().events.push(event);
                    }
                }
                shared.lock().unwrap().reconnects += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Self { received, task }
    }

    pub fn stop(self) -> Received {
        self.task.abort();
        Arc::try_unwrap(self.received)
            .map(|m| m.into_inner().unwrap())
            .unwrap_or_else(|shared| std::mem::take(&mut *shared.lock().unwrap()))
    }
}

/// Everything the server has for the session, from the start, read until it goes quiet.
pub async fn replay(api: &Api, session: &str) -> anyhow::Result<Vec<StreamedEvent>> {
    let mut stream = api.events(session, Some(0)).await?;
    let mut out = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(1500), stream.next()).await
    {
        out.push(event?);
    }
    Ok(out)
}
