//! Durable jobs: enqueue, list, get, cancel — each a `cm.v1.queue.job.*` command of the queue
//! worker (`docs/architecture.md`, "Jobs"). A job's progress is on the event stream
//! (`GET /api/events?scope=job&scopeId=<id>`: `job.queued`, `job.started`, ... each with the
//! job's record).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use cm_schemas::commands;
use cm_schemas::http::ErrorBody;
use cm_schemas::job::{EnqueueJob, Enqueued, JobInfo, JobPage, JobRef, ListJobs};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::extract::body;
use crate::params;
use crate::state::AppState;

pub const JOB_ID: &str = "0193b0c3-8e21-7b4d-9a6f-1c2d3e4f5a6b";

/// A job as the worker records it, at the end of a successful run.
pub fn job_example() -> Value {
    json!({
        "id": JOB_ID, "kind": "noop", "version": 1,
        "spec": { "kind": "noop", "version": 1, "sleepMs": 50, "failAttempts": 0, "fatal": false },
        "priority": "background", "projectId": "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d",
        "dedupeKey": "nightly-reindex", "state": "completed", "attempts": 1, "maxAttempts": 3,
        "runAfter": "2026-11-25T09:30:00Z", "timeoutMs": 300000, "cancelRequested": false,
        "result": { "attempt": 1, "jobId": JOB_ID },
        "createdAt": "2026-11-25T09:30:00Z", "updatedAt": "2026-11-25T09:30:00.081Z",
        "startedAt": "2026-11-25T09:30:00.012Z", "finishedAt": "2026-11-25T09:30:00.081Z"
    })
}

fn queued_example() -> Value {
    let mut job = job_example();
    job["state"] = json!("queued");
    job["attempts"] = json!(0);
    for field in ["result", "startedAt", "finishedAt"] {
        job.as_object_mut().map(|o| o.remove(field));
    }
    job["updatedAt"] = json!("2026-11-25T09:30:00Z");
    job
}

fn canceled_example() -> Value {
    let mut job = queued_example();
    job["state"] = json!("canceled");
    job["runAfter"] = json!("2026-11-25T12:00:00Z");
    job["updatedAt"] = json!("2026-11-25T09:31:00Z");
    job["finishedAt"] = json!("2026-11-25T09:31:00Z");
    job
}

fn queue_full_example() -> Value {
    json!({ "error": {
        "code": "rate_limited",
        "message": "queue full: 1000 jobs queued or running (project)",
        "details": { "reason": "queue_full", "scope": "project", "limit": 1000,
                     "projectId": "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d", "retryAfterSecs": 5 }
    } })
}

fn bad_spec_example() -> Value {
    json!({ "error": {
        "code": "validation",
        "message": "invalid reindex job: unknown variant `reindex`, expected `noop`",
        "details": { "field": "spec.kind" }
    } })
}

#[utoipa::path(post, path = "/api/jobs", operation_id = "enqueueJob", tag = "jobs",
    summary = "Enqueue a job",
    description = "Stores the job (`queued`) and answers at once; it runs when a worker has a slot and `runAfter` has passed, interactive jobs first. Follow it with `GET /api/jobs/{id}` or `GET /api/events?scope=job&scopeId=<id>`.\n\n`spec` is the job, tagged by `kind` (today only `noop`). An unknown kind, a bad field or a payload `version` the worker cannot read is `400 validation` with `details.field` (`spec.kind`, `spec`, `spec.version`).\n\nWith a `dedupeKey`, while a job with that key is queued or running, that job is answered (`200`, `deduplicated: true`) and nothing is enqueued; a new job is `201`. When the queue is full (all jobs or the project's queued or running) the answer is `429 rate_limited` with `details.reason = \"queue_full\"` and `Retry-After` = `details.retryAfterSecs`.",
    request_body(content = EnqueueJob, example = json!({"spec": {"kind": "noop", "sleepMs": 50}, "priority": "background", "projectId": "0193b0c2-5a7e-7f10-8c2d-4e6f8a9b0c1d", "dedupeKey": "nightly-reindex", "maxAttempts": 3})),
    responses(
        (status = 201, description = "The new job", body = Enqueued,
            example = json!({"job": queued_example(), "deduplicated": false})),
        (status = 200, description = "A job with this `dedupeKey` is queued or running: that job, nothing enqueued", body = Enqueued,
            example = json!({"job": queued_example(), "deduplicated": true})),
        (status = 400, description = "An invalid spec or field; `details.field` names it (`spec.kind`, `spec`, `spec.version`, `maxAttempts`, `timeoutMs`, ...)", body = ErrorBody,
            example = bad_spec_example),
        (status = 429, description = "The queue is full (`details.reason = \"queue_full\"`); try again after `Retry-After` seconds (`details.retryAfterSecs`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait: `details.retryAfterSecs`")),
            example = queue_full_example)))]
pub async fn enqueue(
    State(state): State<AppState>,
    payload: Result<Json<EnqueueJob>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Enqueued>)> {
    let req = body(payload)?;
    for (field, id) in [
        ("projectId", &req.project_id),
        ("sessionId", &req.session_id),
    ] {
        if let Some(id) = id {
            params::check_id(field, id)?;
        }
    }
    let enqueued = state.call::<commands::queue::JobEnqueue>(&req).await?;
    let status = if enqueued.deduplicated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(enqueued)))
}

#[utoipa::path(get, path = "/api/jobs", operation_id = "listJobs", tag = "jobs",
    summary = "List jobs, newest first, a page at a time",
    params(
        ("state" = Option<String>, Query, description = "Only jobs in this state: `queued`, `running`, `completed`, `failed` or `canceled`"),
        ("kind" = Option<String>, Query, description = "Only jobs of this kind (`noop`)"),
        ("projectId" = Option<String>, Query, description = "Only the jobs of this project"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 200 (50 by default)"),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page")),
    responses((status = 200, description = "One page", body = JobPage,
        example = json!({"jobs": [job_example()], "nextCursor": null}))))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListJobs>,
) -> ApiResult<Json<JobPage>> {
    params::check_limit(q.limit)?;
    params::check_job_cursor(q.cursor.as_deref())?;
    params::check_job_kind(q.kind.as_deref())?;
    if let Some(project) = &q.project_id {
        params::check_id("projectId", project)?;
    }
    Ok(Json(state.call::<commands::queue::JobList>(&q).await?))
}

#[utoipa::path(get, path = "/api/jobs/{id}", operation_id = "getJob", tag = "jobs",
    summary = "A job's record: its state, attempts, result or last error",
    responses((status = 200, description = "The job", body = JobInfo, example = job_example)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobInfo>> {
    let req = JobRef {
        job_id: params::job_id(&id)?,
    };
    Ok(Json(state.call::<commands::queue::JobGet>(&req).await?))
}

#[utoipa::path(post, path = "/api/jobs/{id}/cancel", operation_id = "cancelJob", tag = "jobs",
    summary = "Cancel a job",
    description = "A queued job is `canceled` at once. A running one is marked (`cancelRequested: true`), its handler is told, and it ends `canceled` within a second (`job.canceled` on the stream). A finished job is answered as it is.",
    responses((status = 200, description = "The job as it is now", body = JobInfo, example = canceled_example)))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JobInfo>> {
    let req = JobRef {
        job_id: params::job_id(&id)?,
    };
    Ok(Json(state.call::<commands::queue::JobCancel>(&req).await?))
}
