//! The built-in web console: one page, vanilla JS, compiled into the binary, served at `/` (and
//! its assets under `/console/`) when no web UI directory (`CM_WEB_DIR`) is configured, so the
//! URL `codex-manager up` prints always opens something useful.
//!
//! The page is static and public; it reads the bearer token from the URL fragment (never sent to
//! the server), keeps it in `sessionStorage` and calls `/api` with it. It loads nothing from
//! other origins, so a strict Content-Security-Policy applies.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

const HTML: &str = include_str!("../assets/console.html");
const JS: &str = include_str!("../assets/console.js");
const CSS: &str = include_str!("../assets/console.css");

/// Same-origin scripts, styles and API calls only; no inline script, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// `/`, `/console/`, `/console/console.js` and `/console/console.css`.
pub fn router() -> Router {
    Router::new()
        .route("/", get(page))
        .route("/console", get(page))
        .route("/console/", get(page))
        .route("/console/console.js", get(script))
        .route("/console/console.css", get(style))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Revalidate every time: the assets change with the binary.
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        body,
    )
}

async fn page() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
        ],
        asset("text/html; charset=utf-8", HTML),
    )
}

async fn script() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", JS)
}

async fn style() -> impl IntoResponse {
    asset("text/css; charset=utf-8", CSS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(path: &str) -> (StatusCode, String, String) {
        let resp = router()
            .oneshot(Request::get(path).body(Body::empty()).unwrap_or_default())
            .await
            .unwrap_or_else(|e| match e {});
        let status = resp.status();
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        (status, ct, body)
    }

    #[tokio::test]
    async fn serves_the_page_and_its_assets() {
        let (status, ct, body) = get("/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(ct.starts_with("text/html"), "{ct}");
        assert!(body.contains("/console/console.js") && body.contains("/console/console.css"));
        let (status, ct, body) = get("/console/console.js").await;
        assert_eq!(
            (status, ct.starts_with("text/javascript")),
            (StatusCode::OK, true)
        );
        assert!(body.contains("Last-Event-ID"));
        let (status, ct, _) = get("/console/console.css").await;
        assert_eq!((status, ct.starts_with("text/css")), (StatusCode::OK, true));
        let (status, _, _) = get("/console/nope.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_page_has_a_strict_policy_and_no_external_urls() {
        let resp = router()
            .oneshot(Request::get("/").body(Body::empty()).unwrap_or_default())
            .await
            .unwrap_or_else(|e| match e {});
        let csp = resp
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
        for asset in [HTML, JS, CSS] {
            assert!(!asset.contains("http://") && !asset.contains("https://"));
            assert!(!asset.contains("<script>"), "no inline script");
        }
    }
}
