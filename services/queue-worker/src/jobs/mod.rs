//! Job kinds: one file each. Adding a kind is a variant of `cm_schemas::job::Job`, a file here
//! with its `run`, and one arm in [`run`].

pub mod agent_instruction;
mod noop;

use cm_bus::Bus;
use cm_schemas::job::{Job, JobErrorClass};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What a handler gets besides its spec.
pub struct JobCtx {
    pub job_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Cancelled when the job is canceled (the engine stops waiting at once; a handler with
    /// work outside this process, a turn, interrupts it here).
    pub cancel: CancellationToken,
    /// The enqueue's `projectId`: `agent_instruction` files its worker session there.
    pub project_id: Option<String>,
    /// For kinds that call other services (`agent_instruction` drives a session); `noop`
    /// calls none.
    pub bus: Bus,
}

/// A failed attempt: `Retryable` is tried again while attempts remain, `Fatal` never.
#[derive(Debug)]
pub struct JobFailure {
    pub class: JobErrorClass,
    pub message: String,
}

impl JobFailure {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            class: JobErrorClass::Retryable,
            message: message.into(),
        }
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            class: JobErrorClass::Fatal,
            message: message.into(),
        }
    }
}

/// Runs one attempt of `job`; `Ok` is the job's result.
pub async fn run(job: Job, ctx: JobCtx) -> Result<Value, JobFailure> {
    match job {
        Job::Noop(spec) => noop::run(spec, ctx).await,
        Job::AgentInstruction(spec) => agent_instruction::run(spec, ctx).await,
    }
}
