//! HTML pages for people: the instance's front page and organisation profiles.

use super::{activity_json, error::ApiResult, wants_activity_json};
use crate::{
    federation::{
        FedData,
        protocol::{WithContext, actor_context},
    },
    service::{ServiceError, documents, orgs},
};
use axum::{
    Json,
    extract::Path,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
};
use minijinja::{Environment, context};
use serde_json::json;
use std::sync::OnceLock;

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Templates are compiled into the binary; a broken one fails the tests.
        for (name, source) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("index.html", include_str!("../../templates/index.html")),
            ("profile.html", include_str!("../../templates/profile.html")),
        ] {
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, name, "template does not compile");
            }
        }
        env
    })
}

fn render(name: &str, ctx: minijinja::Value) -> Result<Html<String>, ServiceError> {
    templates()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| ServiceError::Internal(e.into()))
}

pub async fn index(data: FedData) -> ApiResult<Html<String>> {
    let organisations: Vec<_> = orgs::list_organizations(&data)
        .await?
        .into_iter()
        .map(|o| {
            json!({
                "username": o.username,
                "name": o.display_name,
                "handle": format!("@{}@{}", o.username, data.settings.instance.domain),
            })
        })
        .collect();
    Ok(render(
        "index.html",
        context! {
            instance => json!({
                "name": data.settings.instance.name,
                "description": data.settings.instance.description,
                "domain": data.settings.instance.domain,
            }),
            source_url => data.settings.instance.source_url,
            organisations => organisations,
        },
    )?)
}

/// `/@username`: the profile page, or the actor document for ActivityPub clients.
pub async fn profile(
    data: FedData,
    Path(segment): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Some(username) = segment.strip_prefix('@') else {
        return Ok(not_found().await);
    };
    if wants_activity_json(&headers) {
        let document = documents::actor_document(&data, username).await?;
        return Ok(activity_json(&WithContext::new(actor_context(), document)));
    }
    let view = documents::profile(&data, username).await?;
    Ok(render(
        "profile.html",
        context! {
            instance => json!({
                "name": data.settings.instance.name,
                "domain": data.settings.instance.domain,
            }),
            source_url => data.settings.instance.source_url,
            name => if view.actor.display_name.is_empty() { view.actor.username.clone() } else { view.actor.display_name.clone() },
            // Local summaries are built from escaped text (service::text_to_html).
            summary_html => minijinja::Value::from_safe_string(view.actor.summary.clone()),
            handle => view.handle,
            followers => view.followers,
            manual_approval => view.actor.manually_approves_followers,
        },
    )?
    .into_response())
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response()
}
