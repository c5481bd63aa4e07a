//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the admin API, served without auth.
//!
//! Each handler carries its own `#[utoipa::path]` (its path, parameters, body and the answers
//! particular to it), typed by the structs it answers with; [`super::routes`] registers the
//! handler with axum and with the document in one line (`.routes(routes!(module::handler))`),
//! so a route and its description cannot part. What every call shares — the bearer scheme,
//! 401 / 404 / 429 / 500, and 400 / 408 / 413 for calls with a body — is added here, to every
//! operation, by [`shared_answers`].
use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Content, HeaderBuilder, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder,
};
use utoipa::{OpenApi, PartialSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json::ErrorBody;
use crate::server::state::AppState;

/// The name of the security scheme every call but this one requires.
const BEARER: &str = "bearer";

/// The document's fixed parts; the paths come from [`super::routes`], but for the WeChat API
/// proxy's wildcard path, named here.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "wxgate admin API",
        description = "The admin API of wxgate, a self-hosted gateway for WeChat Official \
            Accounts. Every call but this document's needs `Authorization: Bearer TOKEN` \
            (`[admin] token`); without a configured token every call answers 404. Errors are \
            `{\"error\": \"...\"}`; times are RFC 3339 UTC; scenes are strings; every answer \
            has `Cache-Control: no-store`."
    ),
    paths(super::wechat_proxy::forward),
    components(schemas(ErrorBody)),
    tags(
        (name = "followers", description = "who follows the account"),
        (name = "events", description = "the recorded pushes"),
        (name = "stats", description = "anonymous counters"),
        (name = "qrcodes", description = "parameterised QR codes"),
        (name = "menu", description = "the custom menu"),
        (name = "wechat", description = "the WeChat server API, for the account's other services"),
        (name = "messages", description = "template messages with delivery receipts"),
        (name = "web", description = "the account's web pages: sign-in tickets and JS-SDK signatures"),
        (name = "open", description = "the third-party platform ([open_platform]): accounts that authorise it"),
        (name = "meta", description = "this document"),
    )
)]
struct Fixed;

/// The whole document, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_string(&document()).unwrap_or_else(|err| {
        tracing::error!(error = %err, "the OpenAPI document does not serialise");
        String::from("{}")
    })
});

/// The admin API's OpenAPI document, paths under `/api`.
pub fn document() -> Document {
    let (_, mut doc) = OpenApiRouter::<AppState>::with_openapi(Fixed::openapi())
        .nest("/api", super::routes().routes(routes!(serve)))
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`[admin] token` of the gateway config, or one of `[admin] \
                         service_tokens` for `/api/access_token`, `/api/wechat/*`, \
                         `/api/messages/*`, `/api/jssdk/*`, `/api/oauth/redeem` and \
                         `/api/open/component_access_token` (403 elsewhere)",
                    ))
                    .build(),
            ),
        );
    doc.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    for (path, item) in doc.paths.paths.iter_mut() {
        let service = super::service_may_use(path.trim_start_matches("/api"));
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            binary_as_strings(operation);
            shared_answers(operation, service);
        }
    }
    name_operations(&mut doc);
    doc
}

/// A binary answer (`Vec<u8>`, which utoipa describes as an array of integers) as OpenAPI 3.1
/// says: a string of its media type (`{"type": "string", "contentMediaType": "image/png"}`).
fn binary_as_strings(operation: &mut Operation) {
    for answer in operation.responses.responses.values_mut() {
        let RefOr::T(answer) = answer else { continue };
        for (media_type, content) in answer.content.iter_mut() {
            let binary = media_type != "application/json"
                && matches!(content.schema, Some(RefOr::T(Schema::Array(_))));
            if binary {
                content.schema = Some(RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .content_media_type(media_type.as_str())
                        .build(),
                )));
            }
        }
    }
}

/// Unique operation ids from method and path (`get_followers_by_openid`): utoipa names an
/// operation after its handler's function, and several handlers are called `page`.
fn name_operations(doc: &mut Document) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let words: Vec<String> = path
            .trim_start_matches("/api/")
            .split('/')
            .map(|segment| match segment.strip_prefix('{') {
                Some(param) => format!("by_{}", param.trim_end_matches('}')),
                None => segment.replace(['.', '-'], "_"),
            })
            .collect();
        let name = words.join("_");
        for (method, operation) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ] {
            if let Some(operation) = operation {
                operation.operation_id = Some(format!("{method}_{name}"));
            }
        }
    }
}

/// The answers every authenticated call may give, added where the handler's own annotation
/// does not name the status already; `service`: a call service tokens may make (else they
/// get 403).
fn shared_answers(operation: &mut Operation, service: bool) {
    let public = operation
        .security
        .as_ref()
        .is_some_and(|requirements| requirements.iter().all(is_empty));
    if public {
        return;
    }
    let mut add = |status: &str, response: Response| {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert(RefOr::T(response));
    };
    if operation.request_body.is_some() {
        add(
            "400",
            error("the body is not what the call takes (the field at fault is named)"),
        );
        add(
            "408",
            error("the body did not arrive in time (the connection is closed)"),
        );
        add(
            "413",
            error("the body is over 2 MiB (the connection is closed)"),
        );
    }
    add(
        "500",
        error("the store failed (details only in the gateway's log)"),
    );
    let mut unauthorized = error("no `Authorization: Bearer TOKEN`, or the wrong token");
    unauthorized.headers.insert(
        header::WWW_AUTHENTICATE.to_string(),
        HeaderBuilder::new()
            .schema(String::schema())
            .description(Some("`Bearer`"))
            .build(),
    );
    add("401", unauthorized);
    if !service {
        add(
            "403",
            error("a service token: only the admin token may make this call"),
        );
    }
    add(
        "404",
        error("the admin API is disabled: no `[admin] token` configured"),
    );
    let mut throttled = error("too many failed sign-ins from this address");
    throttled.headers.insert(
        header::RETRY_AFTER.to_string(),
        HeaderBuilder::new()
            .schema(u64::schema())
            .description(Some("seconds until the address may try again"))
            .build(),
    );
    add("429", throttled);
}

/// An empty security requirement (`{}`): no auth.
fn is_empty(requirement: &SecurityRequirement) -> bool {
    serde_json::to_value(requirement).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}

/// An answer with the `{"error": "..."}` body.
fn error(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
}

/// `limit` of the lists: a positive integer of any size (larger values are capped at 1000, so
/// no `format` bounds it).
pub fn page_limit() -> utoipa::openapi::schema::Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .build()
}

/// `GET /api/openapi.json`
#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "this document (OpenAPI 3.1)", content_type = "application/json")))]
pub async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_authenticated_call_documents_the_shared_answers() {
        let doc = serde_json::to_value(document()).expect("serialises");
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.contains_key("/api/followers/{openid}"), "{paths:?}");
        assert_eq!(
            paths["/api/followers/{openid}"]["delete"]["operationId"],
            "delete_followers_by_openid"
        );
        let png = &paths["/api/qrcodes/{file}"]["get"]["responses"]["200"]["content"]["image/png"];
        assert_eq!(
            png["schema"],
            serde_json::json!({"type": "string", "contentMediaType": "image/png"})
        );
        let mut ids = std::collections::HashSet::new();
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("item") {
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_string()), "{id} is unique");
                let answers = op["responses"].as_object().expect("responses");
                if path == "/api/openapi.json" {
                    assert_eq!(op["security"], serde_json::json!([{}]));
                    assert!(!answers.contains_key("401"));
                } else {
                    for status in ["401", "404", "429", "500"] {
                        assert!(answers.contains_key(status), "{method} {path} {status}");
                    }
                    // A service token gets 403 on every call but its own.
                    let service = [
                        "/api/access_token",
                        "/api/wechat/",
                        "/api/messages/",
                        "/api/jssdk/",
                        "/api/oauth/redeem",
                        "/api/open/component_access_token",
                    ]
                    .iter()
                    .any(|p| path.starts_with(p));
                    let forbidden = answers.get("403").and_then(|a| a["description"].as_str());
                    let says_service = forbidden.is_some_and(|d| d.contains("service token"));
                    assert_eq!(says_service, !service, "{method} {path}: 403 {forbidden:?}");
                }
            }
        }
    }
}
