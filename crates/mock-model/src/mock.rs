//! [`MockModel`]: the server running in the background of a test or another service.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::recorder::Recorder;
use crate::script::Script;
use crate::server;

/// A running scripted model server on a loopback port; it stops when dropped.
#[derive(Debug)]
pub struct MockModel {
    addr: SocketAddr,
    recorder: Recorder,
    stop: CancellationToken,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl MockModel {
    /// Binds `127.0.0.1:0` and serves `script` in a background task.
    pub async fn start(script: impl Into<Arc<Script>>) -> Result<MockModel, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(Error::Listen)?;
        MockModel::start_on(script, listener)
    }

    /// Serves `script` on an already bound listener in a background task.
    pub fn start_on(
        script: impl Into<Arc<Script>>,
        listener: TcpListener,
    ) -> Result<MockModel, Error> {
        let addr = listener.local_addr().map_err(Error::Listen)?;
        let recorder = Recorder::default();
        let stop = CancellationToken::new();
        let task = tokio::spawn(server::serve(
            script.into(),
            listener,
            stop.clone().cancelled_owned(),
            recorder.clone(),
        ));
        Ok(MockModel {
            addr,
            recorder,
            stop,
            task: Some(task),
        })
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port served.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The provider base URL for codex, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The JSON bodies of every `POST /v1/responses` received so far, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        self.recorder.all()
    }

    /// Waits until at least `count` requests arrived and returns them all.
    pub async fn wait_for_requests(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>, Error> {
        self.recorder.wait_for(count, timeout).await
    }

    /// Stops accepting, cuts open streams and waits for the server to finish.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        self.stop.cancel();
        match self.task.take() {
            Some(task) => task.await.map_err(|err| Error::Task(err.to_string()))?,
            None => Ok(()),
        }
    }
}

impl Drop for MockModel {
    fn drop(&mut self) {
        // The task notices the token, closes the listener and ends once streams are cut.
        self.stop.cancel();
    }
}
