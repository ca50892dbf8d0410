//! The user's journey with `codex-manager up --demo`: ready, a turn with the demo model over the
//! HTTP API, Ctrl-C leaves no process behind, and a second `up` finds the session and the token.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use nix::sys::signal::Signal;
use serde_json::{Value, json};

use crate::cm::Cm;
use crate::support::{Up, bin_dir, descendants, pid_exists};

/// A phrase of the demo script's default answer.
const DEMO_REPLY: &str = "Codex Manager demo model";

#[tokio::test(flavor = "multi_thread")]
async fn up_runs_a_turn_and_keeps_its_data_across_restarts() {
    let Some(codex) = cm_test_support::codex_bin() else {
        eprintln!("SKIPPED: no codex binary (run scripts/install-deps.sh or set CODEX_BIN)");
        return;
    };
    bin_dir();
    // Not under /tmp (codex will not put its helpers there); searchable, so that as root the
    // postgres user can reach <data>/postgres.
    let root = tempfile::Builder::new()
        .prefix("cm-up-it-")
        .tempdir_in("/var/tmp")
        .unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let data = root.path().join("data");
    let config_home = root.path().join("config");
    let port = cm_test_support::free_port();

    // First run: a new cluster.
    let mut up = Up::start(
        &data,
        &config_home,
        port,
        &codex,
        &root.path().join("up-1.log"),
    );
    let cold = up.wait_ready().await;
    let token = std::fs::read_to_string(data.join("token"))
        .unwrap()
        .trim()
        .to_owned();
    let output = up.output();
    assert!(
        output.contains(&format!("{}/#token={token}", up.base())),
        "{output}"
    );
    assert!(output.contains("(new cluster)"), "{output}");
    // No built UI in the directory `up` runs from: the banner names the one found next to the
    // binaries or in the checkout, or says how to build it.
    assert!(output.contains("Web UI"), "{output}");
    assert!(data.join("postgres/data/PG_VERSION").exists());
    // All of the stack's state is in its data directory: the cluster is no link elsewhere.
    assert!(!data.join("postgres").is_symlink());
    assert!(data.join("logs/gateway.log").exists());
    bus_is_secured(&data, &output).await;
    check_profile(&config_home, &up.base(), &token);
    cli_uses_the_running_stack(&config_home, &data, &up.base()).await;

    let api = Api::new(up.base(), token.clone());
    let session = api.post("/api/sessions", json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Subscribed before the message is sent, so no event can be missed.
    let events = api.sse(&format!("/api/sessions/{session}/events")).await;
    let events = tokio::spawn(read_until(events, DEMO_REPLY));
    api.post(
        &format!("/api/sessions/{session}/messages"),
        json!({"text": "hi"}),
    )
    .await;
    let stream = tokio::time::timeout(Duration::from_secs(60), events)
        .await
        .unwrap_or_else(|_| panic!("no demo reply within 60 s; up said:\n{}", up.output()))
        .unwrap();
    assert!(stream.contains(DEMO_REPLY));

    let tree = descendants(up.pid());
    let names: Vec<&str> = tree.iter().map(|(_, name)| name.as_str()).collect();
    for expected in [
        "nats-server",
        "postgres",
        "cm-gateway",
        "cm-session",
        "codex",
    ] {
        assert!(names.contains(&expected), "{expected} not among {names:?}");
    }
    let status = up.stop(Signal::SIGINT).await;
    assert!(status.success(), "{status}; up said:\n{}", up.output());
    for (pid, name) in &tree {
        cm_test_support::wait_for(
            &format!("{name} ({pid}) to be gone"),
            Duration::from_secs(10),
            || async move {
                anyhow::ensure!(!pid_exists(*pid));
                Ok(())
            },
        )
        .await
        .unwrap();
    }
    assert!(!data.join("postgres/data/postmaster.pid").exists());
    drop(up);

    // Second run: the same cluster, token and session; a built web UI in the directory `up`
    // runs from is served at `/`.
    let dist = root.path().join("web/dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>built-ui</title>",
    )
    .unwrap();
    let mut up = Up::start(
        &data,
        &config_home,
        port,
        &codex,
        &root.path().join("up-2.log"),
    );
    let warm = up.wait_ready().await;
    assert!(!up.output().contains("(new cluster)"));
    let token_again = std::fs::read_to_string(data.join("token")).unwrap();
    assert_eq!(token_again.trim(), token);
    let sessions = api.get("/api/sessions").await;
    assert!(sessions.to_string().contains(&session), "{sessions}");
    assert!(
        up.output().contains(&dist.display().to_string()),
        "{}",
        up.output()
    );
    let page = reqwest::get(format!("{}/", up.base())).await.unwrap();
    assert!(page.text().await.unwrap().contains("built-ui"));

    // kill -9 of nats-server, then of Postgres: `up` restarts each with the same data, the
    // services reconnect, and a turn runs again.
    for victim in ["nats-server", "postgres"] {
        let (pid, _) = descendants(up.pid())
            .into_iter()
            .find(|(_, name)| name == victim)
            .unwrap_or_else(|| panic!("no {victim} under up"));
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), Signal::SIGKILL).unwrap();
        cm_test_support::wait_for(
            &format!("{victim} restarted"),
            Duration::from_secs(60),
            || {
                let out = up.output();
                async move {
                    anyhow::ensure!(out.contains(&format!("{victim} exited unexpectedly")));
                    anyhow::ensure!(out.contains(if victim == "postgres" {
                        "Postgres back"
                    } else {
                        "NATS back"
                    }));
                    Ok(())
                }
            },
        )
        .await
        .unwrap();
        let ready = format!("{}/api/ready", up.base());
        let token = token.clone();
        cm_test_support::wait_for("ready again", Duration::from_secs(60), || {
            let (ready, token) = (ready.clone(), token.clone());
            async move {
                let resp = reqwest::Client::new()
                    .get(&ready)
                    .bearer_auth(&token)
                    .send()
                    .await?;
                anyhow::ensure!(resp.status() == 200, "ready: {}", resp.status());
                Ok(())
            }
        })
        .await
        .unwrap();
    }
    // kill -9 of the bridge leaves no app-server behind (stdin EOF, and the parent-death signal
    // for one too busy to read it); `up`
    // restarts the bridge, which starts a new one.
    let tree = descendants(up.pid());
    let bridge = tree
        .iter()
        .find(|(_, n)| n.starts_with("cm-runtime-brid")) // comm is cut to 15 bytes
        .map(|(p, _)| *p);
    let codex: Vec<u32> = tree
        .iter()
        .filter(|(_, n)| n == "codex")
        .map(|(p, _)| *p)
        .collect();
    assert!(!codex.is_empty(), "no codex among {tree:?}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(bridge.expect("a bridge under up") as i32),
        Signal::SIGKILL,
    )
    .unwrap();
    for pid in codex {
        cm_test_support::wait_for(
            "the old app-server to be gone",
            Duration::from_secs(10),
            || async move {
                anyhow::ensure!(!pid_exists(pid), "app-server {pid} outlived its bridge");
                Ok(())
            },
        )
        .await
        .unwrap();
    }
    let sessions = api.get("/api/sessions").await;
    assert!(sessions.to_string().contains(&session), "{sessions}");
    let events = api.sse(&format!("/api/sessions/{session}/events")).await;
    let events = tokio::spawn(read_until(events, "turn.completed"));
    api.post(
        &format!("/api/sessions/{session}/messages"),
        json!({"text": "after the restarts"}),
    )
    .await;
    tokio::time::timeout(Duration::from_secs(60), events)
        .await
        .unwrap_or_else(|_| panic!("no turn after the restarts; up said:\n{}", up.output()))
        .unwrap();
    // Stopped from another process this time.
    let cm = Cm::with_config_dir(&config_home);
    let data_dir = data.to_str().unwrap();
    let down = cm.run(&["up", "down", "--data-dir", data_dir]).await;
    assert!(down.ok().stdout.contains("stopped"), "{down:?}");
    let status = up.wait().await;
    assert!(status.success(), "{status}; up said:\n{}", up.output());
    cm.run(&["up", "status", "--data-dir", data_dir])
        .await
        .code(7);
    let again = cm.run(&["up", "down", "--data-dir", data_dir]).await;
    assert!(
        again
            .ok()
            .stdout
            .contains("no `codex-manager up` is running")
    );
    println!("codex-manager up ready: cold (initdb) {cold:.2?}, warm {warm:.2?}");
}

/// With nothing but the profile `up` wrote, the CLI reaches the stack; `up status` and
/// `up logs` find it through the data directory.
/// The bus's keys are private files in the data directory; up's NATS refuses an anonymous
/// client and admits the `automation` key.
async fn bus_is_secured(data: &Path, output: &str) {
    let creds = data.join("nats-credentials");
    for name in [
        "gateway",
        "session",
        "runtime-bridge",
        "queue-worker",
        "automation",
        "admin",
    ] {
        let meta = std::fs::metadata(creds.join(format!("{name}.nk"))).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    let url = output
        .split("NATS ready at ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no NATS URL in {output}"))
        .to_owned();
    let anonymous = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(2))
        .connect(&url)
        .await;
    assert!(anonymous.is_err(), "an anonymous client got into {url}");
    let seed = std::fs::read_to_string(creds.join("automation.nk")).unwrap();
    let automation = async_nats::ConnectOptions::new()
        .nkey(seed.trim().to_owned())
        .connect(&url)
        .await
        .unwrap();
    automation.flush().await.unwrap();
}

async fn cli_uses_the_running_stack(config_home: &Path, data: &Path, base: &str) {
    let cm = Cm::with_config_dir(config_home);
    let created = cm
        .run(&["sessions", "create", "--title", "via-cli", "--json"])
        .await;
    let sid = created.ok().json()["id"].as_str().unwrap().to_owned();
    let sent = cm.run(&["sessions", "send", &sid, "hi", "--wait"]).await;
    assert!(sent.ok().stdout.contains(DEMO_REPLY), "{sent:?}");

    let data_dir = data.to_str().unwrap();
    let status = cm
        .run(&["up", "status", "--data-dir", data_dir, "--json"])
        .await;
    let status = status.ok().json();
    assert_eq!(
        (status["running"].as_bool(), status["baseUrl"].as_str()),
        (Some(true), Some(base))
    );
    assert_eq!(status["ready"]["ready"], true, "{status}");
    let human = cm.run(&["up", "status", "--data-dir", data_dir]).await;
    assert!(human.ok().stdout.contains(base), "{}", human.stdout);

    let logs = cm
        .run(&["up", "logs", "gateway", "--data-dir", data_dir, "-n", "3"])
        .await;
    let lines = logs.ok().stdout.lines().count();
    assert!((1..=3).contains(&lines), "{}", logs.stdout);
    let all = cm
        .run(&["up", "logs", "--data-dir", data_dir, "-n", "1"])
        .await;
    for service in [
        "gateway",
        "session",
        "runtime-bridge",
        "queue-worker",
        "nats",
    ] {
        assert!(
            all.ok().stdout.contains(&format!("==> {service} (")),
            "{}",
            all.stdout
        );
    }
    cm.run(&["up", "logs", "nope", "--data-dir", data_dir])
        .await
        .code(2);
}

fn check_profile(config_home: &Path, base: &str, token: &str) {
    let path = config_home.join("codex-manager/profiles.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("current = \"local\""), "{text}");
    assert!(text.contains(&format!("base_url = \"{base}\"")), "{text}");
    assert!(text.contains(&format!("token = \"{token}\"")), "{text}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Reads an SSE response until its text contains `needle`; returns the text.
async fn read_until(response: reqwest::Response, needle: &str) -> String {
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut text = String::new();
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        if text.contains(needle) {
            return text;
        }
    }
    panic!("the event stream ended without {needle:?}:\n{text}");
}

/// Just enough of an HTTP client.
struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    fn new(base: String, token: String) -> Self {
        Self {
            base,
            token,
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Opens an SSE stream (the request is sent when the future runs).
    fn sse(&self, path: &str) -> impl Future<Output = reqwest::Response> + Send + 'static {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept", "text/event-stream")
            .send();
        async move { request.await.unwrap() }
    }
}
