//! Which failed attempts are worth repeating, and how long to wait between them.
//!
//! Every request the CLI sends may be repeated: `GET`, `PUT`, `PATCH` and `DELETE` are
//! idempotent by their HTTP meaning, and a `POST` keeps its `Idempotency-Key` across attempts,
//! so the gateway replays the first answer instead of running the command twice. What is
//! repeated is what says "not now":
//!
//! - no connection, or one lost before the whole answer arrived (the gateway restarting);
//! - `503` (a dependency did not answer, as a rule before anything ran), `429`;
//! - `409` with `details.inProgress` (an earlier attempt with this key still runs).
//!
//! A time-out is not repeated: `--timeout` is the caller's budget. Neither is a `504` or a
//! `500`, whose command may or may not have run, nor a refused TLS handshake.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use serde_json::Value;

use crate::exit::CliError;

/// The first pause of [`Policy::new`].
const FIRST_DELAY: Duration = Duration::from_millis(200);
const MAX_DELAY: Duration = Duration::from_secs(5);
/// The longest `Retry-After` honoured; a server asking for more gets this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why one attempt did not give the final answer.
pub enum Failed {
    /// An answer that asks to try again; returned as is when no attempt is left.
    Busy {
        status: u16,
        text: String,
        retry_after: Option<Duration>,
    },
    /// No (whole) answer; `again` when another attempt could get one.
    Transport {
        error: CliError,
        cause: String,
        again: bool,
    },
}

impl Failed {
    /// Sorts an answer: `Ok` when it is final, `Busy` when it asks to try again.
    pub fn check(
        status: u16,
        text: String,
        retry_after: Option<Duration>,
    ) -> Result<(u16, String), Self> {
        if busy(status, &text) {
            Err(Self::Busy {
                status,
                text,
                retry_after,
            })
        } else {
            Ok((status, text))
        }
    }

    pub fn transport(url: &str, e: &reqwest::Error) -> Self {
        Self::Transport {
            error: CliError::transport(url, e),
            cause: crate::exit::transport_cause(url, e),
            again: !(e.is_timeout() || e.is_builder() || e.is_redirect() || crate::exit::is_tls(e)),
        }
    }

    fn again(&self) -> bool {
        match self {
            Self::Busy { .. } => true,
            Self::Transport { again, .. } => *again,
        }
    }

    fn reason(&self) -> String {
        match self {
            Self::Busy { status, text, .. } => CliError::from_response(*status, text).message,
            Self::Transport { cause, .. } => cause.clone(),
        }
    }

    /// The final result once attempts are over.
    pub fn into_result(self) -> Result<(u16, String), CliError> {
        match self {
            Self::Busy { status, text, .. } => Ok((status, text)),
            Self::Transport { error, .. } => Err(error),
        }
    }
}

/// Whether an answer asks the client to come back.
fn busy(status: u16, text: &str) -> bool {
    match status {
        429 | 503 => true,
        409 => serde_json::from_str::<Value>(text)
            .is_ok_and(|v| v["error"]["details"]["inProgress"] == Value::Bool(true)),
        _ => false,
    }
}

/// The seconds form of `Retry-After` (the HTTP-date form is not worth a date parser here).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// The pause before the next attempt: the back-off's, or longer when the server said when to
/// come back. `None` (no attempt left) stays `None`.
fn pause(failed: &Failed, delay: Option<Duration>) -> Option<Duration> {
    match failed {
        Failed::Busy {
            retry_after: Some(after),
            ..
        } => delay.map(|d| d.max(*after)),
        _ => delay,
    }
}

/// How a client repeats attempts.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts after the first.
    pub retries: usize,
    /// The first pause; each next one doubles, with jitter, up to [`MAX_DELAY`].
    pub first_delay: Duration,
    /// Say on stderr what is retried (off with `--json`, whose stderr is one JSON report).
    pub announce: bool,
}

impl Policy {
    pub fn new(retries: usize, announce: bool) -> Self {
        Self {
            retries,
            first_delay: FIRST_DELAY,
            announce,
        }
    }

    /// Runs `attempt` until it gives a final result or the retries are spent.
    pub async fn run<F, Fut>(&self, attempt: F) -> Result<(u16, String), CliError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(u16, String), Failed>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.first_delay)
            .with_max_delay(MAX_DELAY)
            .with_max_times(self.retries)
            .with_jitter();
        let announce = self.announce;
        let mut tried = 0;
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(Failed::again)
            .adjust(pause)
            .notify(|failed, delay| {
                tried += 1;
                if announce {
                    eprintln!(
                        "note: {}; retrying in {:.1}s ({tried} of {})",
                        failed.reason(),
                        delay.as_secs_f64(),
                        self.retries
                    );
                }
            })
            .await
            .or_else(Failed::into_result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_that_say_not_now_are_busy() {
        let in_progress =
            r#"{"error":{"code":"conflict","message":"running","details":{"inProgress":true}}}"#;
        let taken = r#"{"error":{"code":"conflict","message":"name taken","details":{}}}"#;
        assert!(busy(503, ""));
        assert!(busy(429, ""));
        assert!(busy(409, in_progress));
        assert!(!busy(409, taken));
        assert!(!busy(504, ""));
        assert!(!busy(500, ""));
        assert!(!busy(200, in_progress));
    }

    #[test]
    fn retry_after_takes_seconds_and_is_capped() -> anyhow::Result<()> {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "2".parse()?);
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(reqwest::header::RETRY_AFTER, "86400".parse()?);
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2026 07:28:00 GMT".parse()?,
        );
        assert_eq!(retry_after(&h), None);
        Ok(())
    }

    #[test]
    fn retry_after_lengthens_the_pause_but_never_adds_an_attempt() {
        let busy = |after| Failed::Busy {
            status: 503,
            text: String::new(),
            retry_after: after,
        };
        let (short, long) = (Duration::from_millis(200), Duration::from_secs(3));
        assert_eq!(pause(&busy(None), Some(short)), Some(short));
        assert_eq!(pause(&busy(Some(long)), Some(short)), Some(long));
        assert_eq!(pause(&busy(Some(short)), Some(long)), Some(long));
        assert_eq!(pause(&busy(Some(long)), None), None);
    }

    #[tokio::test]
    async fn a_busy_answer_is_retried_then_returned_as_is() -> anyhow::Result<()> {
        let policy = Policy {
            retries: 2,
            first_delay: Duration::from_millis(1),
            announce: false,
        };
        let mut calls = 0;
        let got = policy
            .run(|| {
                calls += 1;
                async { Failed::check(503, "{}".into(), None) }
            })
            .await;
        assert_eq!(calls, 3);
        assert_eq!(got?, (503, "{}".to_owned()));

        let mut calls = 0;
        let got = policy
            .run(|| {
                calls += 1;
                let status = if calls < 3 { 429 } else { 201 };
                async move { Failed::check(status, "{}".into(), None) }
            })
            .await;
        assert_eq!((calls, got?.0), (3, 201));
        Ok(())
    }

    /// GETs `url` under `policy`, each attempt failing in transport; the number of attempts and
    /// the result.
    async fn transport_attempts(
        policy: Policy,
        http: reqwest::Client,
        url: String,
    ) -> (usize, Result<(u16, String), CliError>) {
        let mut calls = 0;
        let got = policy
            .run(|| {
                calls += 1;
                let (http, url) = (http.clone(), url.clone());
                async move {
                    match http.get(&url).send().await {
                        Ok(r) => Ok((r.status().as_u16(), String::new())),
                        Err(e) => Err(Failed::transport(&url, &e)),
                    }
                }
            })
            .await;
        (calls, got)
    }

    #[tokio::test]
    async fn no_connection_is_retried_a_time_out_is_not() -> anyhow::Result<()> {
        let policy = Policy {
            retries: 2,
            first_delay: Duration::from_millis(1),
            announce: false,
        };
        // A port just released: nothing listens there.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let url = format!("http://{closed}/api/health");
        let (calls, got) = transport_attempts(policy, reqwest::Client::new(), url).await;
        assert_eq!(calls, 3);
        let error = got.expect_err("nothing listens");
        assert_eq!(error.class, crate::exit::Class::Unreachable);

        // One that accepts and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/api/health", silent.local_addr()?);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(100))
            .build()?;
        let (calls, got) = transport_attempts(policy, http, url).await;
        assert_eq!(calls, 1);
        let error = got.expect_err("no answer");
        assert!(error.message.contains("no answer in time"), "{error}");
        Ok(())
    }
}
