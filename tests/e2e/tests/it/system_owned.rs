//! System-owned sessions: created over the bus with an owner, hidden from default lists,
//! readable over HTTP but changed only by system components (`403 forbidden` for the API).

use std::time::Duration;

use cm_bus::Bus;
use cm_e2e::TestStack;
use cm_schemas::commands::verb;
use cm_schemas::session::{
    CreateSession, SessionInfo, StartTurn, TranscriptUpserted, TurnAccepted, UpsertTranscriptEntry,
};
use cm_schemas::subjects::{self, prefix};
use cm_schemas::{BusError, ErrorCode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::lifecycle::wait_turn;
use crate::projects::{assert_error, call};
use crate::script;

const OWNER: &str = "system:queue";
const T: Duration = Duration::from_secs(60);

fn cmd(v: &str) -> String {
    subjects::command(prefix::SESSION, v)
}

async fn create_owned(bus: &Bus, project: Option<&str>) -> SessionInfo {
    let req = CreateSession {
        title: Some("nightly job".into()),
        project_id: project.map(str::to_owned),
        owner: Some(OWNER.into()),
        ..Default::default()
    };
    bus.request_as(&cmd(verb::SESSION_CREATE), &req, T, Some(OWNER))
        .await
        .unwrap()
}

fn ids(page: &Value) -> Vec<&str> {
    page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn system_owned_sessions_are_hidden_read_only_over_http_and_driven_by_their_owner() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let bus = stack.bus().await.unwrap();
    let mine = api.create_session().await.unwrap();
    let owned = create_owned(&bus, None).await;
    let sid = owned.id.as_str();
    assert!(owned.system_owned);
    assert_eq!(owned.owner.as_deref(), Some(OWNER));

    // HTTP clients cannot create one.
    let refused = call(
        api,
        Method::POST,
        "/api/sessions",
        Some(json!({ "title": "x", "owner": OWNER })),
    )
    .await;
    assert_error(&refused, 400, "validation", Some("owner"));
    // Nor can a bus client name an owner that is not a system component.
    let bad = CreateSession {
        owner: Some("alice".into()),
        ..Default::default()
    };
    let err = bus
        .request::<_, SessionInfo>(&cmd(verb::SESSION_CREATE), &bad, T)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.details["field"].as_str()),
        (ErrorCode::Validation, Some("owner"))
    );

    // Lists: hidden by default, `true` only them, `all` both; reads are allowed.
    let page = api.get("/api/sessions").await.unwrap();
    assert_eq!(ids(&page), [mine.as_str()]);
    let page = api.get("/api/sessions?systemOwned=true").await.unwrap();
    assert_eq!(ids(&page), [sid]);
    assert_eq!(page["sessions"][0]["systemOwned"], true);
    assert_eq!(page["sessions"][0]["owner"], OWNER);
    let page = api.get("/api/sessions?systemOwned=all").await.unwrap();
    assert_eq!(ids(&page), [sid, mine.as_str()]);
    let bad = api
        .get_raw("/api/sessions?systemOwned=maybe")
        .await
        .unwrap();
    assert_eq!(bad.0, 400, "{}", bad.1);
    let snap = api.get(&format!("/api/sessions/{sid}")).await.unwrap();
    assert_eq!(snap["session"]["systemOwned"], true);
    for read in ["controls", "settings", "requests"] {
        let (status, body) = api
            .get_raw(&format!("/api/sessions/{sid}/{read}"))
            .await
            .unwrap();
        assert_eq!(status, 200, "{read}: {body}");
    }

    // Every mutation over HTTP: 403 forbidden, nothing changed.
    let s = format!("/api/sessions/{sid}");
    let text = json!({ "text": "hi" });
    let mutations: Vec<(Method, String, Option<Value>)> = vec![
        (Method::POST, format!("{s}/messages"), Some(text.clone())),
        (Method::POST, format!("{s}/steer"), Some(text.clone())),
        (Method::POST, format!("{s}/interrupt"), None),
        (
            Method::PATCH,
            s.clone(),
            Some(json!({ "title": "mine now" })),
        ),
        (Method::POST, format!("{s}/archive"), None),
        (Method::POST, format!("{s}/unarchive"), None),
        (Method::POST, format!("{s}/compact"), None),
        (
            Method::POST,
            format!("{s}/rollback"),
            Some(json!({ "turns": 1 })),
        ),
        (Method::POST, format!("{s}/resume"), None),
        (Method::POST, format!("{s}/review"), None),
        (Method::POST, format!("{s}/terminals/clean"), None),
        (
            Method::PUT,
            format!("{s}/controls"),
            Some(json!({ "effort": "high" })),
        ),
        (
            Method::PATCH,
            format!("{s}/controls"),
            Some(json!({ "effort": "high" })),
        ),
        (
            Method::PUT,
            format!("{s}/settings/ui.theme"),
            Some(json!("dark")),
        ),
        (
            Method::PATCH,
            format!("{s}/settings/ui"),
            Some(json!({ "a": 1 })),
        ),
        (Method::DELETE, format!("{s}/settings/ui.theme"), None),
        (
            Method::PUT,
            format!("{s}/transcript/m1"),
            Some(json!({ "role": "note", "text": "x" })),
        ),
        (Method::DELETE, s.clone(), None),
    ];
    for (method, path, body) in mutations {
        let answer = call(api, method.clone(), &path, body).await;
        assert_error(&answer, 403, "forbidden", None);
        assert_eq!(
            answer.1["error"]["details"]["owner"], OWNER,
            "{method} {path}"
        );
    }
    let after = api.get(&s).await.unwrap();
    for key in ["title", "archived", "projectId", "owner", "systemOwned"] {
        assert_eq!(after["session"][key], snap["session"][key], "{key}");
    }
    assert_eq!(after["turns"], json!([]));
    assert_eq!(after["entries"], json!([]));

    // Over the bus without the actor header: the same refusal.
    let upsert = UpsertTranscriptEntry {
        session_id: sid.to_owned(),
        message_id: "m1".into(),
        role: "system".into(),
        text: "queued".into(),
        turn_id: None,
        data: None,
    };
    let err: BusError = bus
        .request::<_, TranscriptUpserted>(&cmd(verb::TRANSCRIPT_UPSERT), &upsert, T)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    // The owner acts: a transcript entry and a turn.
    let done: TranscriptUpserted = bus
        .request_as(&cmd(verb::TRANSCRIPT_UPSERT), &upsert, T, Some(OWNER))
        .await
        .unwrap();
    assert!(done.created);
    let start = StartTurn {
        session_id: sid.to_owned(),
        text: "hello".into(),
        overrides: Default::default(),
    };
    let accepted: TurnAccepted = bus
        .request_as(&cmd(verb::SESSION_TURN_START), &start, T, Some(OWNER))
        .await
        .unwrap();
    let snap = wait_turn(api, sid, &accepted.turn_id).await;
    assert_eq!(snap["turns"][0]["status"], "completed", "{snap}");
    assert_eq!(snap["entries"][0]["messageId"], "m1");

    // Forking (once the thread has a turn) only reads it: the fork is an ordinary session.
    let fork = api.post(&format!("{s}/fork"), json!({})).await.unwrap();
    assert_eq!(fork["systemOwned"], false);
    assert_eq!(fork["owner"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn project_counts_and_bulk_operations_leave_system_owned_sessions_alone() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let bus = stack.bus().await.unwrap();
    let project = api
        .post("/api/projects", json!({ "name": "jobs" }))
        .await
        .unwrap();
    let pid = project["id"].as_str().unwrap();
    let owned = create_owned(&bus, Some(pid)).await;
    let mine = api
        .post(
            "/api/sessions",
            json!({ "title": "mine", "projectId": pid }),
        )
        .await
        .unwrap();

    let p = api.get(&format!("/api/projects/{pid}")).await.unwrap();
    assert_eq!(
        p["sessions"],
        json!({ "total": 1, "active": 1, "archived": 0, "systemOwned": 1 })
    );
    // The default list of the project shows what the counts say.
    let page = api
        .get(&format!("/api/sessions?projectId={pid}"))
        .await
        .unwrap();
    assert_eq!(ids(&page), [mine["id"].as_str().unwrap()]);

    // Move-all from the API moves the user's session and skips the owned one.
    let moved = api
        .post(
            &format!("/api/projects/{pid}/sessions/move"),
            json!({ "toProjectId": null }),
        )
        .await
        .unwrap();
    assert_eq!(moved, json!({ "count": 1, "skipped": 1 }));
    let deleted = api
        .post(&format!("/api/projects/{pid}/sessions/delete"), json!({}))
        .await
        .unwrap();
    assert_eq!(deleted, json!({ "count": 0, "skipped": 1 }));
    let refused = call(api, Method::DELETE, &format!("/api/projects/{pid}"), None).await;
    assert_error(&refused, 409, "conflict", None);
    assert_eq!(refused.1["error"]["details"]["systemOwned"], 1);
    let snap = api
        .get(&format!("/api/sessions/{}", owned.id))
        .await
        .unwrap();
    assert_eq!(snap["session"]["projectId"], pid);

    // The owner empties it over the bus; then the project can go.
    let req = cm_schemas::project::DeleteProjectSessions {
        project_id: pid.to_owned(),
    };
    let r: cm_schemas::project::BulkResult = bus
        .request_as(&cmd(verb::PROJECT_DELETE_SESSIONS), &req, T, Some(OWNER))
        .await
        .unwrap();
    assert_eq!((r.count, r.skipped), (1, 0));
    let (status, body) = call(api, Method::DELETE, &format!("/api/projects/{pid}"), None).await;
    assert_eq!(status, 204, "{body}");
}

/// A request the runtime opens in a system-owned session is the owner's to decide: the API
/// sees it but gets `403`; the owner decides over the bus and the turn goes on.
#[tokio::test(flavor = "multi_thread")]
async fn only_the_owner_decides_the_requests_of_its_session() {
    use crate::runtime_script::{COMMAND, approval_stack, is_turn_end, opened, until};
    use cm_schemas::request::{DecideRequest, RequestRecord};

    let stack = approval_stack().await;
    let api = &stack.api;
    let bus = stack.bus().await.unwrap();
    let owned = create_owned(&bus, None).await;
    let sid = owned.id.as_str();
    let mut events = api.events(sid, None).await.unwrap();
    let start = StartTurn {
        session_id: sid.to_owned(),
        text: "RUN_SHELL please".into(),
        overrides: Default::default(),
    };
    let _: TurnAccepted = bus
        .request_as(&cmd(verb::SESSION_TURN_START), &start, T, Some(OWNER))
        .await
        .unwrap();
    let evs = until(&mut events, |e| opened(e).is_some()).await;
    let req = opened(evs.last().unwrap()).unwrap().clone();
    assert!(req.params["command"].as_str().unwrap().contains(COMMAND));

    // Visible over HTTP, in the session's list and in everyone's.
    let listed = cm_test_support::wait_for("request recorded", T, || async {
        let v = api.get("/api/requests").await?;
        anyhow::ensure!(v.as_array().is_some_and(|a| !a.is_empty()), "not yet");
        Ok(v)
    })
    .await
    .unwrap();
    assert_eq!(listed[0]["id"], req.id.as_str());
    let path = format!("/api/sessions/{sid}/requests/{}/decision", req.id);
    let refused = call(
        api,
        Method::POST,
        &path,
        Some(json!({ "decision": "accept" })),
    )
    .await;
    assert_error(&refused, 403, "forbidden", None);

    // Still pending: the owner decides.
    let decide = DecideRequest {
        session_id: sid.to_owned(),
        request_id: req.id.clone(),
        decision: Some("accept".into()),
        decided_by: Some(OWNER.into()),
        ..Default::default()
    };
    let decided: RequestRecord = bus
        .request_as(&cmd(verb::REQUEST_DECIDE), &decide, T, Some(OWNER))
        .await
        .unwrap();
    assert_eq!(decided.status, "resolved");
    assert_eq!(decided.decided_by.as_deref(), Some(OWNER));
    until(&mut events, is_turn_end).await;
}
