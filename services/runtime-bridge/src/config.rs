//! Bridge configuration, validated once by `main` (or built directly by tests).

use std::path::PathBuf;
use std::time::Duration;

use crate::appserver::{DEFAULT_MAX_LINE_BYTES, SpawnConfig};

#[derive(Debug, Clone)]
pub struct Config {
    /// Identifies this bridge instance on the bus (runtime-scoped events, status).
    pub bridge_id: String,
    pub spawn: SpawnConfig,
    /// Working directory for threads started without one.
    pub default_cwd: PathBuf,
    /// Time-out of every call into app-server.
    pub call_timeout: Duration,
    /// First and largest delay between respawns (exponential, with jitter).
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
    /// Approval policy and sandbox for new threads (the runtime's defaults when `None`).
    pub approval_policy: Option<String>,
    pub sandbox: Option<String>,
    /// Methods callable through `cm.v1.runtime.call` beyond `OPERATOR_METHODS` (tests use it to
    /// reach a method the runtime lacks).
    pub extra_operator_methods: Vec<String>,
    /// The longest line accepted from the runtime's stdout or stderr; a longer one is skipped
    /// with a `runtime.error` event and the bridge reads on (`docs/runtime-events.md`).
    pub max_line_bytes: usize,
}

impl Config {
    pub fn new(spawn: SpawnConfig, default_cwd: PathBuf) -> Self {
        Self {
            bridge_id: "bridge-1".to_owned(),
            spawn,
            default_cwd,
            call_timeout: Duration::from_secs(60),
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
            approval_policy: None,
            sandbox: None,
            extra_operator_methods: Vec::new(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// The bridge's own flags (beside [`cm_bus::ServiceArgs`]), with environment fallbacks.
#[derive(Debug, Clone, clap::Args)]
pub struct BridgeArgs {
    /// The codex binary (the native one from @openai/codex, or `codex` on PATH).
    #[arg(long, env = "CODEX_BIN", default_value = "codex")]
    pub codex_bin: PathBuf,
    /// CODEX_HOME for the runtime (codex's own default when unset).
    #[arg(long, env = "CODEX_HOME")]
    pub codex_home: Option<PathBuf>,
    /// Extra `-c key=value` config overrides for app-server, one per line.
    #[arg(long, env = "CM_CODEX_CONFIG", default_value = "")]
    pub codex_config: String,
    /// This bridge's id on the bus.
    #[arg(long, env = "CM_BRIDGE_ID", default_value = "bridge-1")]
    pub bridge_id: String,
    /// Working directory for sessions created without one (default: the current directory).
    #[arg(long, env = "CM_DEFAULT_CWD")]
    pub default_cwd: Option<PathBuf>,
    /// Approval policy for new threads (untrusted, on-request, never...).
    #[arg(long, env = "CM_APPROVAL_POLICY")]
    pub approval_policy: Option<String>,
    /// Sandbox mode for new threads (read-only, workspace-write, danger-full-access).
    #[arg(long, env = "CM_SANDBOX")]
    pub sandbox: Option<String>,
    /// The longest line accepted from app-server's stdout/stderr; longer ones are skipped and
    /// recorded as `runtime.error` events. At least 1 MiB: below that, ordinary messages (a
    /// thread's answer with its items, a command's output) would be skipped.
    #[arg(long, env = "CM_MAX_LINE_BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1024 * 1024..))]
    pub max_line_bytes: u64,
}

impl BridgeArgs {
    /// The configuration these flags name (the default working directory is the current one).
    pub fn config(self) -> anyhow::Result<Config> {
        let overrides = self
            .codex_config
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .flat_map(|l| ["-c".to_owned(), l.to_owned()])
            .collect();
        let spawn = SpawnConfig {
            bin: self.codex_bin,
            codex_home: self.codex_home,
            args: overrides,
            env: Vec::new(),
        };
        let cwd = match self.default_cwd {
            Some(d) => d,
            None => std::env::current_dir()?,
        };
        let mut cfg = Config::new(spawn, cwd);
        cfg.bridge_id = self.bridge_id;
        cfg.approval_policy = self.approval_policy;
        cfg.sandbox = self.sandbox;
        cfg.max_line_bytes = usize::try_from(self.max_line_bytes).unwrap_or(usize::MAX);
        Ok(cfg)
    }
}
