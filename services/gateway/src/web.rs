//! The browser UI the gateway serves outside `/api`: the React app built into `web/dist`
//! (`scripts/build-web.sh`), found by [`WebUi::locate`].
//!
//! - Found: [`serve`] serves its files, and `index.html` for any other path outside `/api` (the
//!   single-page app). Hashed build assets under `/assets/` are cached for good; a missing one is
//!   a 404, never the page.
//! - Not built: `/` answers a short page saying how to build it and where the gateway looked;
//!   the API works all the same. `cargo build` never needs npm: the UI is read from disk at
//!   start-up, not compiled in.
//!
//! The pages are static and public; the app reads the bearer token from the URL fragment (never
//! sent to the server), keeps it in `sessionStorage` and calls `/api` with it. It loads nothing
//! from other origins, so a strict Content-Security-Policy applies.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// Same-origin scripts, styles and API calls only; no inline script, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

/// The checkout this gateway was built from: its `web/dist` is where `scripts/build-web.sh`
/// puts the UI, so a binary run from `target/` finds it without being told.
const CHECKOUT_WEB_DIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/dist");

/// The web UI the gateway serves, or where it looked for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebUi {
    /// A directory with the built UI (`index.html` and `assets/`).
    Built(PathBuf),
    /// No built UI in any of these directories.
    NotBuilt(Vec<PathBuf>),
}

impl WebUi {
    /// `given` (`--web-dir`/`CM_WEB_DIR`) if set, and nothing else: an explicit directory is
    /// never silently replaced by another. Otherwise the first of [`default_dirs`] that holds an
    /// `index.html`.
    pub fn locate(given: Option<&Path>) -> WebUi {
        let candidates = match given {
            Some(dir) => vec![dir.to_path_buf()],
            None => default_dirs(),
        };
        match candidates
            .iter()
            .find(|dir| dir.join("index.html").is_file())
        {
            Some(dir) => WebUi::Built(dir.clone()),
            None => WebUi::NotBuilt(candidates),
        }
    }
}

/// Where the gateway looks when no directory is given, in order: `web/` next to its binary,
/// `../share/codex-manager/web` from its binary (an installed layout, `/usr/local/bin` →
/// `/usr/local/share/codex-manager/web`), then the `web/dist` of the checkout it was built from.
pub fn default_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(bin) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        dirs.push(bin.join("web"));
        dirs.push(bin.join("../share/codex-manager/web"));
    }
    dirs.push(PathBuf::from(CHECKOUT_WEB_DIST));
    dirs.into_iter()
        .map(|dir| std::path::absolute(&dir).unwrap_or(dir))
        .collect()
}

/// Serves `ui` for every path outside `/api` that `app` does not route.
pub fn serve(app: Router, ui: &WebUi) -> Router {
    match ui {
        WebUi::Built(dir) => serve_dir(app, dir),
        WebUi::NotBuilt(looked) => serve_not_built(app, looked),
    }
}

/// The built UI in `dir`: its files, else `index.html`. Unknown `/api` paths stay JSON 404s.
fn serve_dir(app: Router, dir: &Path) -> Router {
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

/// The page that says how to build the UI: `/` is 200 (the URL `up` prints still opens
/// something useful), any other page path 404; `/api` paths stay JSON 404s.
fn serve_not_built(app: Router, looked: &[PathBuf]) -> Router {
    let page = not_built_page(looked);
    app.fallback(move |req: Request| {
        let page = page.clone();
        async move {
            let path = req.uri().path();
            if path == "/api" || path.starts_with("/api/") {
                return StatusCode::NOT_FOUND.into_response();
            }
            let status = if path == "/" || path == "/index.html" {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            let mut resp = (
                status,
                [(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                page,
            )
                .into_response();
            secure_headers(resp.headers_mut(), "no-cache");
            resp
        }
    })
}

/// Plain HTML: no script, no style (the CSP allows neither inline).
fn not_built_page(looked: &[PathBuf]) -> String {
    let dirs: String = looked
        .iter()
        .map(|dir| {
            format!(
                "<li><code>{}</code></li>",
                escape(&dir.display().to_string())
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Codex Manager: web UI not built</title></head><body>\
         <h1>Codex Manager</h1>\
         <p>The API is up at <code>/api</code>, but the web UI has not been built.</p>\
         <p>Build it from the repository root, then restart the gateway (or \
         <code>codex-manager up</code>):</p>\
         <pre>scripts/build-web.sh</pre>\
         <p>It needs Node.js 20 or later and writes <code>web/dist</code>. To serve a UI built \
         elsewhere, pass <code>--web-dir DIR</code> or set <code>CM_WEB_DIR</code>.</p>\
         <p>Looked for <code>index.html</code> in:</p><ul>{dirs}</ul>\
         </body></html>\n"
    )
}

/// `text` safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get_not_built(looked: &[PathBuf], path: &str) -> (StatusCode, HeaderMap, String) {
        let app = serve(Router::new(), &WebUi::NotBuilt(looked.to_vec()));
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
    async fn without_a_built_ui_the_root_says_how_to_build_it() {
        let looked = [PathBuf::from("/nowhere/<web>/dist")];
        let (status, headers, body) = get_not_built(&looked, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[CONTENT_TYPE]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/html")
        );
        assert!(body.contains("scripts/build-web.sh"), "{body}");
        assert!(
            body.contains("/nowhere/&lt;web&gt;/dist"),
            "escaped: {body}"
        );
        assert_eq!(headers[CACHE_CONTROL], "no-cache");
        let csp = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or_default();
        assert!(csp.contains("default-src 'none'"));
        assert!(
            !body.contains("<script") && !body.contains("<style"),
            "{body}"
        );
        assert!(!body.contains("http://") && !body.contains("https://"));
        // Other pages are 404s (still the hint), `/api` paths are never the page.
        let (status, _, body) = get_not_built(&looked, "/chats/x").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("scripts/build-web.sh"));
        let (status, _, body) = get_not_built(&looked, "/api/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!body.contains("<title>"));
    }

    #[test]
    fn locate_takes_a_given_dir_only_and_otherwise_the_defaults_in_order() {
        let dir = web_dir();
        assert_eq!(WebUi::locate(Some(&dir)), WebUi::Built(dir.clone()));
        let empty = dir.join("assets");
        assert_eq!(
            WebUi::locate(Some(&empty)),
            WebUi::NotBuilt(vec![empty.clone()])
        );
        let defaults = default_dirs();
        assert!(defaults.len() >= 2, "{defaults:?}");
        assert!(defaults.iter().all(|d| d.is_absolute()), "{defaults:?}");
        assert!(
            defaults
                .last()
                .is_some_and(|d| d.ends_with("gateway/../../web/dist")),
            "{defaults:?}"
        );
        match WebUi::locate(None) {
            WebUi::Built(found) => assert!(defaults.contains(&found)),
            WebUi::NotBuilt(looked) => assert_eq!(looked, defaults),
        }
        let _ = std::fs::remove_dir_all(&dir);
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
        let app = serve(Router::new(), &WebUi::Built(dir.to_path_buf()));
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
