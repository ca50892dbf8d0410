//! The browser UI the gateway serves at `/`.
//!
//! - With a web UI directory (`CM_WEB_DIR`, the React app built into `web/dist`):
//!   [`serve_web_dir`] serves its files, and `index.html` for any other path outside `/api` (the
//!   single-page app). Hashed build assets under `/assets/` are cached for good; a missing one is
//!   a 404, never the page.
//! - Without one: the built-in console, one page of vanilla JS compiled into the binary, at `/`
//!   (its assets under `/console/`), so the URL `codex-manager up` prints always opens something
//!   useful.
//!
//! Both pages are static and public; they read the bearer token from the URL fragment (never
//! sent to the server), keep it in `sessionStorage` and call `/api` with it. They load nothing
//! from other origins, so the same strict Content-Security-Policy applies to both.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

const HTML: &str = include_str!("../assets/console.html");
const JS: &str = include_str!("../assets/console.js");
const CSS: &str = include_str!("../assets/console.css");

/// Same-origin scripts, styles and API calls only; no inline script, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// Serves the built web UI in `dir` for every path outside `/api` that `app` does not route:
/// its files, else `index.html`. Unknown `/api` paths stay JSON 404s.
pub fn serve_web_dir(app: Router, dir: &Path) -> Router {
    let pages = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    let assets = ServeDir::new(dir);
    app.fallback(move |req: Request| {
        let (pages, assets) = (pages.clone(), assets.clone());
        async move {
            let path = req.uri().path().to_owned();
            if path == "/api" || path.starts_with("/api/") {
                return StatusCode::NOT_FOUND.into_response();
            }
            // A stale build's asset must not come back as the page (and be cached for good).
            let hashed = path.starts_with("/assets/");
            let mut resp = if hashed {
                assets.oneshot(req).await.into_response()
            } else {
                pages.oneshot(req).await.into_response()
            };
            let cache = if hashed && resp.status().is_success() {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            secure_headers(resp.headers_mut(), cache);
            resp
        }
    })
}

/// The policy and hardening headers of every UI response.
fn secure_headers(h: &mut HeaderMap, cache: &'static str) {
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

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

    /// A throw-away web UI directory: `index.html` and one hashed asset.
    fn web_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("cm-web-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(dir.join("assets")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("index.html"), "<!doctype html><title>app</title>")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("assets/app-1234.js"), "console.log(1)")
            .unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    async fn get_web(dir: &Path, path: &str) -> (StatusCode, HeaderMap, String) {
        let app = serve_web_dir(Router::new(), dir);
        let resp = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap_or_default())
            .await
            .unwrap_or_else(|e| match e {});
        let (parts, body) = resp.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        (parts.status, parts.headers, body)
    }

    #[tokio::test]
    async fn a_web_dir_serves_the_app_for_client_paths_and_assets_strictly() {
        let dir = web_dir();
        for path in ["/", "/chats/some-id", "/index.html"] {
            let (status, headers, body) = get_web(&dir, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(body.contains("<title>app</title>"), "{path}: {body}");
            assert_eq!(headers[CACHE_CONTROL], "no-cache");
            let csp = headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap_or_default();
            assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
        }
        let (status, headers, body) = get_web(&dir, "/assets/app-1234.js").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "console.log(1)"));
        assert!(
            headers[CACHE_CONTROL]
                .to_str()
                .unwrap_or_default()
                .contains("immutable")
        );
        // A missing asset is a 404, not the page.
        let (status, headers, _) = get_web(&dir, "/assets/gone-0000.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[CACHE_CONTROL], "no-cache");
        // `/api` is never the page.
        let (status, _, body) = get_web(&dir, "/api/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!body.contains("<title>"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
