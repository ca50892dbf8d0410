//! Durable jobs (`cm.v1.queue.job.*`): what a job is ([`Job`], typed by kind and versioned),
//! how it is enqueued, and the record every command and `job.*` event carries ([`JobInfo`]).
//!
//! A job kind is one variant of [`Job`] here and one file under `services/queue-worker/src/jobs/`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What a job does: tagged by `kind`, the kind's fields beside it. Each kind carries its own
/// payload `version` (1 when absent): a change old workers could not read bumps it, and a
/// worker refuses a version it does not know (`validation` on enqueue, a `fatal` failure for a
/// stored job) instead of guessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind")]
pub enum Job {
    /// Does nothing, after an optional sleep: for tests and the benchmark, with fault
    /// injection (`failAttempts`, `fatal`) that exercises retries and failures.
    #[serde(rename = "noop")]
    Noop(NoopJob),
    /// Runs an instruction in a worker session of its own, owned by the queue worker
    /// (`system:queue-worker`, hidden from session lists unless asked for), and answers the
    /// reply: `{sessionId, turnId, text}`, or `{sessionId, turnId, json}` with `expectJson`.
    #[serde(rename = "agent_instruction")]
    AgentInstruction(AgentInstructionJob),
}

impl Job {
    /// The `kind` string, stored in `queue.jobs.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Noop(_) => "noop",
            Job::AgentInstruction(_) => "agent_instruction",
        }
    }

    /// The payload version this job was written with.
    pub fn version(&self) -> u32 {
        match self {
            Job::Noop(j) => j.version,
            Job::AgentInstruction(j) => j.version,
        }
    }

    /// The newest payload version of each kind this build reads.
    pub fn supported_version(&self) -> u32 {
        match self {
            Job::Noop(_) => 1,
            Job::AgentInstruction(_) => 1,
        }
    }

    /// Checks what serde cannot (lengths, paths): `Err((field, message))`, the field named
    /// under `spec.`. The enqueue answers it as `validation`.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        match self {
            Job::Noop(j) => j.check(),
            Job::AgentInstruction(j) => j.check(),
        }
    }
}

/// `kind: "noop"`. Fault injection, for tests: `failAttempts` = N makes attempts 1..=N fail
/// *retryably* (attempt N+1 completes), `fatal` makes every attempt fail *fatally*.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoopJob {
    #[serde(default = "v1")]
    pub version: u32,
    /// Sleep this long before finishing, at most [`MAX_NOOP_SLEEP_MS`] (cancellation and
    /// time-outs interrupt it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep_ms: Option<u64>,
    #[serde(default)]
    pub fail_attempts: u32,
    #[serde(default)]
    pub fatal: bool,
}

/// Longest `sleepMs` of a `noop` job: ten minutes. A test job needs no more, and a client must
/// not be able to hold the worker's slots for a day with one request.
pub const MAX_NOOP_SLEEP_MS: u64 = 10 * 60 * 1000;

impl NoopJob {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.sleep_ms.is_some_and(|ms| ms > MAX_NOOP_SLEEP_MS) {
            return Err((
                "spec.sleepMs",
                format!("sleepMs must be at most {MAX_NOOP_SLEEP_MS}"),
            ));
        }
        Ok(())
    }
}

/// Most attempts a job may ask for (`maxAttempts`).
pub const MAX_ATTEMPTS: u32 = 100;
/// Longest per-attempt time-out a job may ask for (`timeoutMs`): 24 hours.
pub const MAX_TIMEOUT_MS: u64 = 24 * 3600 * 1000;
/// Longest dedupe key, project or session id of a job, in bytes (they are ids, not documents).
pub const MAX_KEY_LEN: usize = 255;

/// Longest `instruction` of an `agent_instruction` job, in characters (what JSON Schema's
/// `maxLength` counts, so the document and the check agree).
pub const MAX_INSTRUCTION_CHARS: usize = 64 * 1024;
/// Longest `cwd`, in characters.
pub const MAX_CWD_CHARS: usize = 4096;
/// Longest `model`, in characters.
pub const MAX_MODEL_CHARS: usize = 200;

/// `kind: "agent_instruction"`: one instruction, one turn, in a session of its own.
///
/// The worker creates the session once per job (a retried attempt finds it again, and the turn
/// in it: a running turn is waited for, a completed one's reply is answered without a second
/// turn). A turn that fails with a transient runtime error (overload, rate or usage limit, a
/// lost connection, the runtime exiting) fails the attempt `retryable` and the next attempt
/// starts a new turn in the same session; any other failure is `fatal`. Canceling the job
/// interrupts its turn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentInstructionJob {
    #[serde(default = "v1")]
    pub version: u32,
    /// The user message of the turn: at most [`MAX_INSTRUCTION_CHARS`] characters, not blank.
    pub instruction: String,
    /// Working directory of the worker session (absolute); the project's (the enqueue's
    /// `projectId`), else the runtime's default, when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Model of the worker session; the runtime's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Per-turn controls (model, effort, approval policy, sandbox, cwd). A turn that waits for
    /// an approval waits until the job times out: unattended instructions usually set
    /// `approvalPolicy: "never"`.
    #[serde(default, skip_serializing_if = "is_default_overrides")]
    pub overrides: crate::thread::TurnOverrides,
    /// The reply must be a JSON object or array (bare, or in a fenced ```` ```json ```` block):
    /// the result carries it parsed as `json` instead of `text`. A reply that is not one fails
    /// the job `fatal` (asking again is a new job: a retry would reuse the same reply).
    #[serde(default)]
    pub expect_json: bool,
}

fn is_default_overrides(o: &crate::thread::TurnOverrides) -> bool {
    *o == crate::thread::TurnOverrides::default()
}

impl AgentInstructionJob {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.instruction.trim().is_empty() {
            return Err(("spec.instruction", "instruction must not be blank".into()));
        }
        if self.instruction.chars().count() > MAX_INSTRUCTION_CHARS {
            return Err((
                "spec.instruction",
                format!("instruction is longer than {MAX_INSTRUCTION_CHARS} characters"),
            ));
        }
        for (field, cwd) in [
            ("spec.cwd", &self.cwd),
            ("spec.overrides.cwd", &self.overrides.cwd),
        ] {
            if cwd.as_deref().is_some_and(|c| !absolute_path(c)) {
                return Err((
                    field,
                    format!(
                        "cwd must be an absolute path of at most {MAX_CWD_CHARS} characters, \
                         without control characters"
                    ),
                ));
            }
        }
        if self
            .model
            .as_ref()
            .is_some_and(|m| m.trim().is_empty() || m.chars().count() > MAX_MODEL_CHARS)
        {
            return Err((
                "spec.model",
                format!("model must not be blank, at most {MAX_MODEL_CHARS} characters"),
            ));
        }
        Ok(())
    }
}

/// An absolute path of at most [`MAX_CWD_CHARS`] characters without control characters: the
/// rule the OpenAPI document states as a pattern for every `cwd`.
fn absolute_path(path: &str) -> bool {
    path.starts_with('/')
        && path.chars().count() <= MAX_CWD_CHARS
        && !path
            .chars()
            .any(|c| matches!(u32::from(c), 0..=0x1f | 0x7f..=0x9f))
}

fn v1() -> u32 {
    1
}

/// Which jobs are taken first: every queued `interactive` job that is due before any
/// `background` one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobPriority {
    Interactive,
    #[default]
    Background,
}

/// `queued → running → completed | failed | canceled`; a retry goes `running → queued`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Completed,
    Failed,
    Canceled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Running,
            Self::Completed,
            Self::Failed,
            Self::Canceled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Canceled)
    }
}

/// Why an attempt failed. `retryable` and `timeout` are retried while attempts remain, so is
/// `lost` (the worker running it stopped renewing its lease: killed, or cut off); `fatal` and
/// `invalid` (a stored job this worker cannot read) never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobErrorClass {
    Retryable,
    Fatal,
    Timeout,
    Lost,
    Invalid,
}

impl JobErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retryable => "retryable",
            Self::Fatal => "fatal",
            Self::Timeout => "timeout",
            Self::Lost => "lost",
            Self::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Retryable,
            Self::Fatal,
            Self::Timeout,
            Self::Lost,
            Self::Invalid,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Retryable | Self::Timeout | Self::Lost)
    }
}

/// The last attempt's failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JobError {
    pub class: JobErrorClass,
    pub message: String,
}

/// A job's record, as stored in `queue.jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobInfo {
    pub id: Uuid,
    pub kind: String,
    /// The payload version ([`Job::version`]).
    pub version: u32,
    /// The job's spec as enqueued (a [`Job`]).
    pub spec: Value,
    pub priority: JobPriority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    pub state: JobState,
    /// Attempts started so far (the running one included).
    pub attempts: u32,
    pub max_attempts: u32,
    /// Not taken before this time (the enqueue's `runAfter`, or a retry's back-off).
    pub run_after: DateTime<Utc>,
    /// Each attempt is stopped after this long and counts as a `timeout` failure.
    pub timeout_ms: u64,
    /// A cancel reached the job while it ran; it ends `canceled`.
    pub cancel_requested: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// `cm.v1.queue.job.enqueue`. An unknown kind or a bad spec answers `validation` with
/// `details.field` (`spec`, `spec.kind`, `spec.version`); capacity exhausted answers
/// `rate_limited` with `details.reason = "queue_full"` and `details.retryAfterSecs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnqueueJob {
    /// A [`Job`]: `{"kind": "noop", ...}`. Decoded by the worker so that a bad one is a
    /// `validation` error naming the field.
    #[schemars(with = "Job")]
    pub spec: Value,
    #[serde(default)]
    pub priority: JobPriority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Single flight: while a job with this key is queued or running, enqueueing another
    /// answers that job (`deduplicated: true`) instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    /// 1..=100; the worker's default (3) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_after: Option<DateTime<Utc>>,
    /// Per attempt, 1 ms..=24 h; the worker's default (5 minutes) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// The answer to `job.enqueue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enqueued {
    pub job: JobInfo,
    /// The job already existed (same `dedupeKey`, queued or running): nothing was enqueued.
    pub deduplicated: bool,
}

/// `cm.v1.queue.job.get`, `cm.v1.queue.job.cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRef {
    pub job_id: Uuid,
}

/// `cm.v1.queue.job.list`: newest first, filtered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListJobs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<JobState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// 1..=200, 50 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `nextCursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobPage {
    pub jobs: Vec<JobInfo>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests;
