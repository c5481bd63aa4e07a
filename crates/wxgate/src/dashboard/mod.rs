//! The admin dashboard at `GET /admin`: one static page that asks for the admin token and then
//! reads the admin API (`/api/*`) from the browser.
//!
//! The page, its script and its stylesheet are compiled into the binary and served without
//! authentication: they hold no data. Everything shown comes from the bearer-protected API,
//! fetched by the script with the token the user typed (kept in `sessionStorage` only).
//! A strict `Content-Security-Policy` allows only same-origin scripts, styles and requests, so
//! the script and stylesheet are separate files rather than inline.
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The page: the token form and the empty sections the script fills.
const PAGE: &str = include_str!("page.html");
/// The script: login, API calls, rendering with `textContent` only, paging, auto-refresh.
const SCRIPT: &str = include_str!("app.js");
/// The charts, drawn as inline SVG (`window.wxgateCharts`), loaded before [`SCRIPT`].
const CHARTS: &str = include_str!("charts.js");
/// The stylesheet.
const STYLE: &str = include_str!("app.css");

/// Same-origin only; `blob:` images are the QR codes the script fetches with the token.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   img-src 'self' blob:; connect-src 'self'; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// `GET /admin`, `GET /admin/app.js`, `GET /admin/charts.js` and `GET /admin/app.css`, for
/// any router state.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(
            "/admin",
            get(|| async { asset("text/html; charset=utf-8", PAGE) }),
        )
        .route(
            "/admin/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/admin/charts.js",
            get(|| async { asset("text/javascript; charset=utf-8", CHARTS) }),
        )
        .route(
            "/admin/app.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
}

/// A static asset with the security headers every dashboard response carries.
fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                HeaderName::from_static("x-frame-options"),
                HeaderValue::from_static("DENY"),
            ),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    async fn fetch(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let resp = router::<()>()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            headers,
            String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        )
    }

    #[tokio::test]
    async fn page_is_html_with_a_strict_csp_and_no_inline_code() {
        let (status, headers, body) = fetch("/admin").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let csp = headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ASCII");
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(body.contains(r#"<script src="/admin/app.js" defer></script>"#));
        assert!(body.contains(r#"href="/admin/app.css""#));
        assert!(body.contains(r#"id="token-form""#));
        // No inline script or style the CSP would block.
        assert!(body.contains(r#"<script src="/admin/charts.js" defer></script>"#));
        assert_eq!(body.matches("<script").count(), 2);
        assert!(!body.contains("<style"));
        assert!(!body.contains(" style=\""));
        for handler in [" onclick=", " onsubmit=", " onload="] {
            assert!(!body.contains(handler), "inline {handler} would be blocked");
        }
    }

    #[tokio::test]
    async fn script_and_stylesheet_are_served_with_their_types() {
        let (status, headers, body) = fetch("/admin/app.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(
            !body.contains("innerHTML"),
            "data is rendered with textContent"
        );
        let (status, headers, body) = fetch("/admin/charts.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert!(!body.contains("innerHTML"));
        let (status, headers, _) = fetch("/admin/app.css").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    }

    #[tokio::test]
    async fn other_admin_paths_are_not_found() {
        let (status, _, _) = fetch("/admin/secret.txt").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
