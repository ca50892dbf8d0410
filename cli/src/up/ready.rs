//! Waiting for `GET /api/ready` to answer 200.
//!
//! The gateway writes the token file on its first start, so the token is read (again) until it
//! is there. On time-out the error names the checks that were still failing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

const POLL: Duration = Duration::from_millis(200);

/// The last answer (or failure) seen.
#[derive(Debug, Default)]
struct Last {
    answer: Option<(u16, String)>,
    error: Option<String>,
}

/// Polls `<base_url>/api/ready` until 200; returns the token it used.
pub async fn wait(
    base_url: String,
    token_file: PathBuf,
    timeout: Duration,
) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .context("building the HTTP client")?;
    let deadline = Instant::now() + timeout;
    let url = format!("{base_url}/api/ready");
    let mut last = Last::default();
    loop {
        match read_token(&token_file) {
            Some(token) => match client.get(&url).bearer_auth(&token).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    if status == 200 {
                        return Ok(token);
                    }
                    last.answer = Some((status, body));
                }
                Err(e) => last.error = Some(format!("{e}")),
            },
            None => last.error = Some(format!("no token in {} yet", token_file.display())),
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "the stack was not ready after {} s: {}",
                timeout.as_secs(),
                describe(&last)
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

fn read_token(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// Which checks failed, from the last `/api/ready` answer (or why there was none).
fn describe(last: &Last) -> String {
    let Some((status, body)) = &last.answer else {
        return format!(
            "the gateway never answered ({})",
            last.error.as_deref().unwrap_or("no attempt")
        );
    };
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        return format!("/api/ready answered {status}: {body}");
    };
    let failing: Vec<String> = json
        .get("checks")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, check)| check.get("ready") != Some(&Value::Bool(true)))
        .map(
            |(name, check)| match check.get("error").and_then(Value::as_str) {
                Some(error) => format!("{name} ({error})"),
                None => name.clone(),
            },
        )
        .collect();
    if failing.is_empty() {
        format!("/api/ready answered {status}: {body}")
    } else {
        format!("not ready: {}", failing.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_failing_checks() {
        let body = r#"{"ready":false,"checks":{"nats":{"ready":true},
            "runtime":{"ready":false,"error":"no responders"},"queue":{"ready":false}}}"#;
        let last = Last {
            answer: Some((503, body.into())),
            error: None,
        };
        assert_eq!(describe(&last), "not ready: queue, runtime (no responders)");
        let last = Last {
            answer: None,
            error: Some("connection refused".into()),
        };
        assert!(describe(&last).contains("connection refused"));
    }
}
