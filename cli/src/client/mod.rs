//! The HTTP client of the API commands: the base URL and token of the chosen profile, the
//! `X-CM-Actor: cli` header on every request and an `Idempotency-Key` on every `POST`, and
//! errors classed by [`crate::exit`].

mod retry;
pub mod sse;
mod target;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use crate::exit::CliError;
use crate::ops::{Method, Op};

pub use retry::Policy as RetryPolicy;
pub use target::Target;

use retry::Failed;

/// How long to wait for a TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Query parameters, built from optional values.
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `name=value` when there is a value.
    pub fn opt(mut self, name: &str, value: Option<impl ToString>) -> Self {
        if let Some(v) = value {
            self.0.push((name.to_owned(), v.to_string()));
        }
        self
    }

    /// Adds `name=true` when set (the API's defaults are `false`).
    pub fn flag(mut self, name: &str, set: bool) -> Self {
        if set {
            self.0.push((name.to_owned(), "true".to_owned()));
        }
        self
    }

    /// Adds `limit` and `cursor` (of a runtime's paged list) when given.
    pub fn page(self, limit: Option<u32>, cursor: Option<String>) -> Self {
        self.opt("limit", limit).opt("cursor", cursor)
    }

    /// Adds `name=v` once per value.
    pub fn each(mut self, name: &str, values: &[String]) -> Self {
        self.0
            .extend(values.iter().map(|v| (name.to_owned(), v.clone())));
        self
    }
}

/// A 2xx answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The JSON body; `Null` when there was none (204).
    pub body: Value,
}

pub struct Client {
    http: reqwest::Client,
    pub target: Target,
    idempotency_key: String,
    posts: AtomicU32,
    retry: RetryPolicy,
}

impl Client {
    /// `idempotency_key` is the key of this invocation's first `POST` (one is generated when
    /// absent); later `POST`s of the same invocation get `<key>-2`, `<key>-3`... Every attempt
    /// of one `POST` carries the same key (see [`retry`]).
    pub fn new(
        target: Target,
        idempotency_key: Option<String>,
        timeout: Duration,
        retry: RetryPolicy,
    ) -> anyhow::Result<Self> {
        let mut http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(timeout);
        if let Some(path) = &target.ca_cert {
            http = http.tls_certs_merge(ca_certs(path)?);
        }
        let http = http.build()?;
        Ok(Self {
            http,
            target,
            idempotency_key: idempotency_key
                .unwrap_or_else(|| format!("cli-{}", uuid::Uuid::new_v4())),
            posts: AtomicU32::new(0),
            retry,
        })
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}{path_and_query}",
            self.target.base_url.trim_end_matches('/')
        )
    }

    fn builder(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        let m = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let rb = self.http.request(m, url).header("X-CM-Actor", "cli");
        match &self.target.token {
            Some(token) => rb.bearer_auth(token),
            None => rb,
        }
    }

    /// The key of this invocation's next `POST`.
    fn next_idempotency_key(&self) -> String {
        let n = self.posts.fetch_add(1, Ordering::Relaxed) + 1;
        if n == 1 {
            self.idempotency_key.clone()
        } else {
            format!("{}-{n}", self.idempotency_key)
        }
    }

    /// Sends a request, repeating it while the answer says "not now" ([`retry`]); returns the
    /// status and body text whatever the status.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<&Value>,
    ) -> Result<(u16, String), CliError> {
        let url = self.url(path);
        let key = (method == Method::Post).then(|| self.next_idempotency_key());
        let attempt = || async {
            let mut rb = self.builder(method, &url).query(&query.0);
            if let Some(key) = &key {
                rb = rb.header("Idempotency-Key", key);
            }
            if let Some(body) = body {
                rb = rb
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.to_string());
            }
            let response = rb.send().await.map_err(|e| Failed::transport(&url, &e))?;
            let status = response.status().as_u16();
            let after = retry::retry_after(response.headers());
            let text = response
                .text()
                .await
                .map_err(|e| Failed::transport(&url, &e))?;
            Failed::check(status, text, after)
        };
        self.retry.run(attempt).await
    }

    /// Sends a request; any status other than 2xx is an error.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<&Value>,
    ) -> Result<Reply, CliError> {
        let (status, text) = self.raw(method, path, query, body).await?;
        if !(200..300).contains(&status) {
            return Err(CliError::from_response(status, &text));
        }
        Ok(Reply {
            status,
            body: parse_body(text),
        })
    }

    /// Calls `op` with its path parameters, query and body; returns the JSON answer.
    pub async fn call(
        &self,
        op: &Op,
        params: &[&str],
        query: Query,
        body: Option<Value>,
    ) -> Result<Value, CliError> {
        let path = op.path_with(params);
        Ok(self
            .send(op.method, &path, &query, body.as_ref())
            .await?
            .body)
    }

    /// Opens an SSE stream, resuming after `last_event_id`. The read time-out still applies:
    /// the gateway sends a heartbeat every 15 s, so a silent stream is a dead one.
    pub async fn open_stream(
        &self,
        path: &str,
        query: &Query,
        last_event_id: Option<u64>,
    ) -> Result<reqwest::Response, CliError> {
        let url = self.url(path);
        let mut rb = self
            .builder(Method::Get, &url)
            .query(&query.0)
            .header(ACCEPT, "text/event-stream");
        if let Some(id) = last_event_id {
            rb = rb.header("Last-Event-ID", id.to_string());
        }
        let response = rb.send().await.map_err(|e| CliError::transport(&url, &e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let text = response.text().await.unwrap_or_default();
            return Err(CliError::from_response(status, &text));
        }
        Ok(response)
    }
}

/// The certificates of a PEM file, trusted besides the system's.
fn ca_certs(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, CliError> {
    let refuse = |why: String| CliError::usage(format!("--ca-cert {}: {why}", path.display()));
    let pem = std::fs::read(path).map_err(|e| refuse(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| refuse(e.to_string()))?;
    if certs.is_empty() {
        return Err(refuse("no PEM certificate in it".to_owned()));
    }
    Ok(certs)
}

/// A body as JSON; `Null` when empty, a string when it is not JSON.
pub fn parse_body(text: String) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}
