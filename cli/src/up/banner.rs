//! What `up` prints once the stack is ready: where to go, with what token.

use std::path::PathBuf;
use std::time::Duration;

use cm_local_infra::postgres::redact;

use super::console::Console;
use super::infra::secs;
use super::locate::WebUi;

/// Everything the banner shows.
pub struct Banner {
    pub elapsed: Duration,
    pub base_url: String,
    pub token: String,
    pub token_file: PathBuf,
    pub nats_url: String,
    pub database_url: String,
    /// Set when the cluster is outside the data directory.
    pub cluster_dir: Option<PathBuf>,
    /// The mock model's URL with `--demo`.
    pub demo_model: Option<String>,
    pub logs: PathBuf,
    /// The profiles file, when it was written.
    pub profiles: Option<PathBuf>,
    /// The web UI served at `/`.
    pub web: WebUi,
}

impl Banner {
    pub fn print(&self, console: &Console) {
        let mut lines = vec![
            String::new(),
            format!(
                "  {} (ready in {})",
                console.bold("Codex Manager is up"),
                secs(self.elapsed)
            ),
            String::new(),
            row(
                "Open",
                &console.bold(&format!("{}/#token={}", self.base_url, self.token)),
            ),
            row(
                "Web UI",
                &match &self.web {
                    WebUi::Built(dir) => dir.display().to_string(),
                    WebUi::Empty(dir) => format!(
                        "{} has no index.html: build the UI with scripts/build-web.sh",
                        dir.display()
                    ),
                    WebUi::NotBuilt => "not built: run scripts/build-web.sh and restart \
                                        (until then `/` says how)"
                        .to_owned(),
                },
            ),
            row("API", &format!("{}/api", self.base_url)),
            row("Token file", &self.token_file.display().to_string()),
            row("NATS", &self.nats_url),
        ];
        let mut database = redact(&self.database_url);
        if let Some(dir) = &self.cluster_dir {
            database.push_str(&format!("  (cluster in {})", dir.display()));
        }
        lines.push(row("Postgres", &database));
        lines.push(row(
            "Model",
            &match &self.demo_model {
                Some(url) => format!("demo: the scripted model at {url}"),
                None => "your codex configuration (CODEX_HOME, else ~/.codex)".to_owned(),
            },
        ));
        lines.push(row("Logs", &self.logs.display().to_string()));
        if let Some(path) = &self.profiles {
            lines.push(row(
                "CLI profile",
                &format!("\"local\" (current) in {}", path.display()),
            ));
        }
        lines.extend([
            String::new(),
            "  Try it:".to_owned(),
            format!(
                "    curl -H \"Authorization: Bearer $(cat {})\" {}/api/sessions",
                shell_quote(&self.token_file.display().to_string()),
                self.base_url
            ),
            String::new(),
            "  Press Ctrl-C to stop.".to_owned(),
            String::new(),
        ]);
        console.block(&lines.join("\n"));
    }
}

fn row(label: &str, value: &str) -> String {
    format!("    {label:<12}{value}")
}

/// `s` as one shell word.
fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_paths_for_the_shell() {
        assert_eq!(shell_quote("/var/tmp/x/token"), "/var/tmp/x/token");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
