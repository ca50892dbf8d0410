//! `agent_instruction` jobs against the real stack: enqueued over the bus, run by the queue
//! worker in a system-owned worker session of their own, answered with the reply (text, or
//! the parsed JSON with `expectJson`), and canceled by interrupting their turn.

use std::time::{Duration, Instant};

use cm_bus::Bus;
use cm_e2e::TestStack;
use cm_mock_model::Script;
use cm_schemas::ErrorCode;
use cm_schemas::commands::queue;
use cm_schemas::job::{EnqueueJob, JobErrorClass, JobInfo, JobRef, JobState};
use serde_json::{Value, json};

use crate::GREETING;

const T: Duration = Duration::from_secs(30);
const OWNER: &str = "system:queue-worker";

fn script() -> Script {
    let slow: Vec<String> = (0..80).map(|i| format!("w{i} ")).collect();
    let fenced = "Here are the actions:\n```json\n{\"actions\": [{\"type\": \"rename\", \"title\": \"Tidy up\"}]}\n```\n";
    Script::from_value(json!({
        "rules": [
            { "name": "slow", "match": { "contains": "SLOW" }, "delay_ms": 100,
              "steps": [ { "type": "message", "deltas": slow } ] },
            { "name": "json", "match": { "contains": "AS JSON" },
              "steps": [ { "type": "message", "text": fenced } ] },
            { "name": "greeting", "steps": [ { "type": "message", "deltas": GREETING } ] }
        ]
    }))
    .unwrap()
}

async fn enqueue(bus: &Bus, spec: Value) -> JobInfo {
    let req = EnqueueJob {
        spec,
        priority: Default::default(),
        project_id: None,
        session_id: None,
        dedupe_key: None,
        max_attempts: None,
        run_after: None,
        timeout_ms: Some(60_000),
    };
    bus.call::<queue::JobEnqueue>(&req, T).await.unwrap().job
}

async fn job(bus: &Bus, id: uuid::Uuid) -> JobInfo {
    bus.call::<queue::JobGet>(&JobRef { job_id: id }, T)
        .await
        .unwrap()
}

/// The job once it is in a terminal state.
async fn finished(bus: &Bus, id: uuid::Uuid) -> JobInfo {
    let bus = bus.clone();
    cm_test_support::wait_for("the job to end", Duration::from_secs(90), move || {
        let bus = bus.clone();
        async move {
            let j = job(&bus, id).await;
            anyhow::ensure!(j.state.is_terminal(), "job is {:?}", j.state);
            Ok(j)
        }
    })
    .await
    .unwrap()
}

fn session_ids(page: &Value) -> Vec<String> {
    page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_instruction_answers_its_reply_from_a_hidden_worker_session() {
    let stack = TestStack::start(script()).await.unwrap();
    let bus = stack.bus().await.unwrap();
    let api = &stack.api;
    let mine = api.create_session().await.unwrap();

    // Text.
    let enq = enqueue(
        &bus,
        json!({ "kind": "agent_instruction", "instruction": "Say hello" }),
    )
    .await;
    assert_eq!(enq.kind, "agent_instruction");
    let done = finished(&bus, enq.id).await;
    assert_eq!(done.state, JobState::Completed, "{:?}", done.error);
    assert_eq!(done.attempts, 1);
    let result = done.result.unwrap();
    assert_eq!(result["text"], GREETING.concat());
    let sid = result["sessionId"].as_str().unwrap().to_owned();
    let tid = result["turnId"].as_str().unwrap().to_owned();

    // The worker session: system-owned, hidden from the normal list, listed when asked for.
    assert_eq!(
        session_ids(&api.get("/api/sessions").await.unwrap()),
        [mine.as_str()]
    );
    let owned = api.get("/api/sessions?systemOwned=true").await.unwrap();
    assert_eq!(session_ids(&owned), [sid.as_str()]);
    assert_eq!(owned["sessions"][0]["owner"], OWNER);
    assert_eq!(owned["sessions"][0]["systemOwned"], true);
    assert_eq!(
        owned["sessions"][0]["title"],
        format!("agent_instruction {}", enq.id)
    );
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    let turns = snap["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1, "one turn: {snap}");
    assert_eq!(
        (turns[0]["id"].as_str(), turns[0]["status"].as_str()),
        (Some(tid.as_str()), Some("completed"))
    );
    // Only its owner changes it: the HTTP API cannot send into it.
    let (status, _) = api
        .post_raw(
            &format!("/api/sessions/{sid}/messages"),
            &json!({ "text": "hi" }),
        )
        .await
        .unwrap();
    assert_eq!(status, 403);

    // expectJson: a fenced JSON reply is parsed.
    let enq = enqueue(
        &bus,
        json!({ "kind": "agent_instruction", "instruction": "List the actions AS JSON",
                "expectJson": true }),
    )
    .await;
    let done = finished(&bus, enq.id).await;
    assert_eq!(done.state, JobState::Completed, "{:?}", done.error);
    let result = done.result.unwrap();
    assert_eq!(
        result["json"],
        json!({ "actions": [{ "type": "rename", "title": "Tidy up" }] })
    );
    assert!(result.get("text").is_none());

    // expectJson and a prose reply: fatal, not retried.
    let enq = enqueue(
        &bus,
        json!({ "kind": "agent_instruction", "instruction": "Say hello",
                "expectJson": true }),
    )
    .await;
    let done = finished(&bus, enq.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.attempts, 1);
    let err = done.error.unwrap();
    assert_eq!(err.class, JobErrorClass::Fatal);
    assert!(
        err.message.contains("not a JSON object or array"),
        "{}",
        err.message
    );

    // A blank or relative spec is refused on enqueue, naming the field.
    for (spec, field) in [
        (
            json!({ "kind": "agent_instruction", "instruction": "  " }),
            "spec.instruction",
        ),
        (
            json!({ "kind": "agent_instruction", "instruction": "x", "cwd": "rel" }),
            "spec.cwd",
        ),
        (json!({ "kind": "agent_instruction" }), "spec"),
    ] {
        let req = EnqueueJob {
            spec,
            priority: Default::default(),
            project_id: None,
            session_id: None,
            dedupe_key: None,
            max_attempts: None,
            run_after: None,
            timeout_ms: None,
        };
        let e = bus.call::<queue::JobEnqueue>(&req, T).await.unwrap_err();
        assert_eq!(
            (e.code, e.details["field"].as_str()),
            (ErrorCode::Validation, Some(field))
        );
    }
    // The three worker sessions, none of them in the normal list.
    let owned = api.get("/api/sessions?systemOwned=true").await.unwrap();
    assert_eq!(session_ids(&owned).len(), 3);
    assert_eq!(
        session_ids(&api.get("/api/sessions").await.unwrap()),
        [mine]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn canceling_an_agent_instruction_interrupts_its_turn_within_a_second() {
    let stack = TestStack::start(script()).await.unwrap();
    let bus = stack.bus().await.unwrap();
    let api = stack.api.clone();
    let enq = enqueue(
        &bus,
        json!({ "kind": "agent_instruction", "instruction": "Take it SLOW" }),
    )
    .await;
    let sid = streaming_worker_session(&api, enq.id).await;
    assert_eq!(job(&bus, enq.id).await.state, JobState::Running);

    let asked = Instant::now();
    let answer = bus
        .call::<queue::JobCancel>(&JobRef { job_id: enq.id }, T)
        .await
        .unwrap();
    assert!(answer.cancel_requested || answer.state == JobState::Canceled);
    // The job ends canceled, and its turn interrupted, each within a second of the cancel.
    let mut canceled_in = None;
    let mut interrupted_in = None;
    while asked.elapsed() < Duration::from_secs(5)
        && (canceled_in.is_none() || interrupted_in.is_none())
    {
        if canceled_in.is_none() && job(&bus, enq.id).await.state == JobState::Canceled {
            canceled_in = Some(asked.elapsed());
        }
        if interrupted_in.is_none() {
            let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
            if snap["turns"][0]["status"] == "interrupted" {
                interrupted_in = Some(asked.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("canceled in {canceled_in:?}, turn interrupted in {interrupted_in:?}");
    assert!(
        canceled_in.is_some_and(|d| d < Duration::from_secs(1)),
        "canceled in {canceled_in:?}"
    );
    assert!(
        interrupted_in.is_some_and(|d| d < Duration::from_secs(1)),
        "interrupted in {interrupted_in:?}"
    );
    let done = job(&bus, enq.id).await;
    assert_eq!(done.state, JobState::Canceled);
    assert!(done.result.is_none());
    // The slow reply never finished: 80 deltas take 8 s.
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(snap["turns"].as_array().unwrap().len(), 1);
}

/// The worker session of a job, once its turn has streamed `w2 `.
async fn streaming_worker_session(api: &cm_e2e::Api, job_id: uuid::Uuid) -> String {
    let title = format!("agent_instruction {job_id}");
    let api = api.clone();
    cm_test_support::wait_for("the worker turn to stream", T, move || {
        let (api, title) = (api.clone(), title.clone());
        async move {
            let page = api.get("/api/sessions?systemOwned=true").await?;
            let s = page["sessions"]
                .as_array()
                .and_then(|l| l.iter().find(|s| s["title"] == title.as_str()))
                .ok_or_else(|| anyhow::anyhow!("no worker session yet"))?;
            let sid = s["id"].as_str().unwrap_or_default().to_owned();
            let snap = api.get(&format!("/api/sessions/{sid}")).await?;
            let text = snap["turns"][0]["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| i["text"].as_str().unwrap_or(""))
                        .collect::<String>()
                })
                .unwrap_or_default();
            anyhow::ensure!(text.contains("w2 "), "not streaming yet: {snap}");
            Ok(sid)
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_restart_mid_turn_goes_on_with_the_same_session_and_turn() {
    use cm_e2e::Service;
    let mut stack = TestStack::start(script()).await.unwrap();
    let bus = stack.bus().await.unwrap();
    let api = stack.api.clone();
    let enq = enqueue(
        &bus,
        json!({ "kind": "agent_instruction", "instruction": "Take it SLOW" }),
    )
    .await;
    let sid = streaming_worker_session(&api, enq.id).await;
    // A graceful stop hands the running job back; the new worker's attempt finds the job's
    // session (its reservation's record) and the turn in it, and follows that turn.
    stack.restart_service(Service::QueueWorker).await.unwrap();
    let done = finished(&bus, enq.id).await;
    assert_eq!(done.state, JobState::Completed, "{:?}", done.error);
    let result = done.result.unwrap();
    assert_eq!(result["sessionId"], sid.as_str());
    let slow: String = (0..80).map(|i| format!("w{i} ")).collect();
    assert_eq!(result["text"].as_str().map(str::trim), Some(slow.trim()));
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    let turns = snap["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1, "no second turn: {snap}");
    assert_eq!(turns[0]["id"], result["turnId"]);
    let owned = api.get("/api/sessions?systemOwned=true").await.unwrap();
    assert_eq!(session_ids(&owned), [sid], "no second worker session");
}
