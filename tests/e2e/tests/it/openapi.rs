//! The served OpenAPI document is the committed one, and what it says about authentication
//! holds for every operation: public ones answer without a token, all others `401`.

use cm_e2e::TestStack;
use serde_json::Value;

use crate::script;

#[tokio::test(flavor = "multi_thread")]
async fn the_served_document_is_the_committed_one_and_its_security_holds() {
    let stack = TestStack::start(script()).await.unwrap();
    let http = reqwest::Client::new();

    let resp = http
        .get(stack.api.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the document needs no token");
    let served: Value = resp.json().await.unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/openapi.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(served == committed, "the gateway serves another document");

    let mut checked = 0;
    for (template, item) in committed["paths"].as_object().unwrap() {
        // Any value will do for the path parameters: authentication comes first.
        let concrete: String = template
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().unwrap() {
            let public = op["security"] == serde_json::json!([]);
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let resp = http
                .request(method.clone(), stack.api.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            if public {
                assert_eq!(status, 200, "{method} {template} is documented as public");
            } else {
                assert_eq!(status, 401, "{method} {template} answered without a token");
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["error"]["code"], "unauthorized", "{method} {template}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} operations");
}
