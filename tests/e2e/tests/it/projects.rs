//! Projects over HTTP: create, list with counts, get, rename and working directory, delete only
//! when empty, move all / delete all sessions, and sessions that inherit the project's cwd.

use cm_e2e::{Api, TestStack};
use reqwest::Method;
use serde_json::{Value, json};

use crate::script;

/// Any method with the token; returns status and JSON body (Null when there is none).
pub async fn call(api: &Api, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, api.url(path))
        .bearer_auth(&api.token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Asserts an error answer: status, code and (for validation) the field.
pub fn assert_error(answer: &(u16, Value), status: u16, code: &str, field: Option<&str>) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    if let Some(field) = field {
        assert_eq!(body["error"]["details"]["field"], field, "{body}");
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_are_created_listed_renamed_and_deleted_only_when_empty() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let dir = stack.workdir.path().join("alpha");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap().to_owned();

    let alpha = api
        .post("/api/projects", json!({ "name": " Alpha ", "cwd": dir }))
        .await
        .unwrap();
    let pid = alpha["id"].as_str().unwrap().to_owned();
    assert_eq!(alpha["name"], "Alpha");
    assert_eq!(alpha["cwd"], dir.as_str());
    assert_eq!(
        alpha["sessions"],
        json!({ "total": 0, "active": 0, "archived": 0, "systemOwned": 0 })
    );

    // Validation and uniqueness (names compare case-insensitively).
    let post = |body: Value| async move { api.post_raw("/api/projects", &body).await.unwrap() };
    assert_error(
        &post(json!({ "name": "alpha" })).await,
        409,
        "conflict",
        Some("name"),
    );
    assert_error(
        &post(json!({ "name": "  " })).await,
        400,
        "validation",
        Some("name"),
    );
    let long = "x".repeat(101);
    assert_error(
        &post(json!({ "name": long })).await,
        400,
        "validation",
        Some("name"),
    );
    assert_error(
        &post(json!({ "name": "Rel", "cwd": "relative/dir" })).await,
        400,
        "validation",
        Some("cwd"),
    );
    assert_error(
        &api.get_raw("/api/projects/nope").await.unwrap(),
        404,
        "not_found",
        None,
    );

    // A session created in the project inherits its working directory.
    let s = api
        .post(
            "/api/sessions",
            json!({ "title": "in alpha", "projectId": pid }),
        )
        .await
        .unwrap();
    assert_eq!(s["projectId"], pid.as_str());
    assert_eq!(s["cwd"], dir.as_str());
    let sid = s["id"].as_str().unwrap().to_owned();
    assert_error(
        &api.post_raw("/api/sessions", &json!({ "projectId": "nope" }))
            .await
            .unwrap(),
        404,
        "not_found",
        None,
    );

    let got = api.get(&format!("/api/projects/{pid}")).await.unwrap();
    assert_eq!(
        got["sessions"],
        json!({ "total": 1, "active": 1, "archived": 0, "systemOwned": 0 })
    );
    api.post(&format!("/api/sessions/{sid}/archive"), json!({}))
        .await
        .unwrap();
    let list = api.get("/api/projects").await.unwrap();
    let listed = &list["projects"][0];
    assert_eq!(listed["id"], pid.as_str());
    assert_eq!(
        listed["sessions"],
        json!({ "total": 1, "active": 0, "archived": 1, "systemOwned": 0 })
    );

    // Rename and working directory.
    let beta = api
        .post("/api/projects", json!({ "name": "Beta" }))
        .await
        .unwrap();
    let beta_id = beta["id"].as_str().unwrap().to_owned();
    let path = format!("/api/projects/{pid}");
    let patched = call(api, Method::PATCH, &path, Some(json!({ "name": "Gamma" }))).await;
    assert_eq!(patched.0, 200, "{}", patched.1);
    assert_eq!(patched.1["name"], "Gamma");
    assert_eq!(patched.1["cwd"], dir.as_str());
    let taken = call(api, Method::PATCH, &path, Some(json!({ "name": "BETA" }))).await;
    assert_error(&taken, 409, "conflict", Some("name"));
    let bad = call(api, Method::PATCH, &path, Some(json!({ "cwd": "x" }))).await;
    assert_error(&bad, 400, "validation", Some("cwd"));
    let cleared = call(api, Method::PATCH, &path, Some(json!({ "cwd": null }))).await;
    assert_eq!(cleared.1["cwd"], Value::Null, "{}", cleared.1);
    let missing = call(api, Method::PATCH, "/api/projects/nope", Some(json!({}))).await;
    assert_error(&missing, 404, "not_found", None);

    // Not empty: 409 with the count; the bulk move empties it.
    let del = call(api, Method::DELETE, &path, None).await;
    assert_error(&del, 409, "conflict", None);
    assert_eq!(del.1["error"]["details"]["sessions"], 1);
    let move_path = format!("{path}/sessions/move");
    assert_error(
        &api.post_raw(&move_path, &json!({})).await.unwrap(),
        400,
        "validation",
        Some("toProjectId"),
    );
    assert_error(
        &api.post_raw(&move_path, &json!({ "toProjectId": "nope" }))
            .await
            .unwrap(),
        404,
        "not_found",
        None,
    );
    let moved = api
        .post(&move_path, json!({ "toProjectId": beta_id }))
        .await
        .unwrap();
    assert_eq!(moved["count"], 1);
    let in_beta = api
        .get(&format!("/api/sessions?projectId={beta_id}&archived=all"))
        .await
        .unwrap();
    assert_eq!(ids(&in_beta), [sid.as_str()]);
    let moved = api
        .post(
            &format!("/api/projects/{beta_id}/sessions/move"),
            json!({ "toProjectId": null }),
        )
        .await
        .unwrap();
    assert_eq!(moved["count"], 1);
    let unassigned = api
        .get("/api/sessions?unassigned=true&archived=true")
        .await
        .unwrap();
    assert_eq!(ids(&unassigned), [sid.as_str()]);
    assert_error(
        &api.get_raw(&format!("/api/sessions?unassigned=true&projectId={pid}"))
            .await
            .unwrap(),
        400,
        "validation",
        Some("unassigned"),
    );

    let del = call(api, Method::DELETE, &path, None).await;
    assert_eq!(del.0, 204, "{}", del.1);
    assert_error(&api.get_raw(&path).await.unwrap(), 404, "not_found", None);
    let again = call(api, Method::DELETE, &path, None).await;
    assert_error(&again, 404, "not_found", None);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_all_sessions_empties_a_project_and_pages_stay_stable() {
    let stack = TestStack::start(script()).await.unwrap();
    let api = &stack.api;
    let p = api
        .post("/api/projects", json!({ "name": "Bulk" }))
        .await
        .unwrap();
    let pid = p["id"].as_str().unwrap().to_owned();
    let mut sids = Vec::new();
    for i in 0..3 {
        let s = api
            .post(
                "/api/sessions",
                json!({ "title": format!("s{i}"), "projectId": pid }),
            )
            .await
            .unwrap();
        sids.push(s["id"].as_str().unwrap().to_owned());
    }
    let outside = api.create_session().await.unwrap();
    // One session with a finished turn, so there is a thread on disk to delete.
    let turn = api.send(&sids[0], "hello").await.unwrap();
    crate::lifecycle::wait_turn(api, &sids[0], &turn).await;

    // Filtered pages: newest first, no overlap, the cursor keeps the filter's order.
    let first = api
        .get(&format!("/api/sessions?projectId={pid}&limit=2"))
        .await
        .unwrap();
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let second = api
        .get(&format!(
            "/api/sessions?projectId={pid}&limit=2&cursor={cursor}"
        ))
        .await
        .unwrap();
    assert_eq!(second["nextCursor"], Value::Null);
    let mut paged = ids(&first);
    paged.extend(ids(&second));
    let mut expected = sids.clone();
    expected.reverse();
    assert_eq!(paged, expected);

    let deleted = api
        .post(&format!("/api/projects/{pid}/sessions/delete"), json!({}))
        .await
        .unwrap();
    assert_eq!(deleted["count"], 3);
    for sid in &sids {
        let got = api.get_raw(&format!("/api/sessions/{sid}")).await.unwrap();
        assert_error(&got, 410, "gone", None);
    }
    let p = api.get(&format!("/api/projects/{pid}")).await.unwrap();
    assert_eq!(p["sessions"]["total"], 0);
    assert_eq!(ids(&api.get("/api/sessions").await.unwrap()), [outside]);
    assert_error(
        &api.post_raw("/api/projects/nope/sessions/delete", &json!({}))
            .await
            .unwrap(),
        404,
        "not_found",
        None,
    );
    let del = call(api, Method::DELETE, &format!("/api/projects/{pid}"), None).await;
    assert_eq!(del.0, 204, "{}", del.1);
}
