//! OAuth 2 (`/oauth/...` and its metadata), app registration
//! (`/api/v1/apps`), and the login and consent page.

use super::entities::{Application, AuthorizationServerMetadata, Empty, OAuthError, Token};
use super::{Auth, Input};
use crate::{
    federation::FedData,
    http::{
        ClientAddr,
        error::{ApiError, ApiResult, with_retry_after},
    },
    service::{
        ServiceError,
        auth::{self, Grant, TokenRequest},
    },
};
use axum::{
    Json, Router,
    extract::Query,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use minijinja::context;
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route(
            "/oauth/authorize",
            get(authorize_page).post(authorize_submit),
        )
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/api/v1/apps", post(register_app))
        .route("/api/v1/apps/verify_credentials", get(verify_app))
}

async fn metadata(data: FedData) -> Json<AuthorizationServerMetadata> {
    let base = data.urls.base();
    Json(AuthorizationServerMetadata {
        issuer: format!("{base}/"),
        authorization_endpoint: format!("{base}/oauth/authorize"),
        token_endpoint: format!("{base}/oauth/token"),
        revocation_endpoint: format!("{base}/oauth/revoke"),
        app_registration_endpoint: format!("{base}/api/v1/apps"),
        scopes_supported: &[
            "read",
            "write",
            "follow",
            "push",
            "read:accounts",
            "read:statuses",
            "read:notifications",
            "read:follows",
            "read:search",
            "read:bookmarks",
            "read:favourites",
            "write:statuses",
            "write:follows",
            "write:favourites",
            "write:bookmarks",
            "write:notifications",
            "read:coalitions",
            "write:coalitions",
        ],
        response_types_supported: &["code"],
        response_modes_supported: &["query", "fragment", "form_post"],
        code_challenge_methods_supported: &["S256"],
        grant_types_supported: &["authorization_code", "password", "client_credentials"],
        token_endpoint_auth_methods_supported: &["client_secret_basic", "client_secret_post"],
    })
}

#[derive(Debug, Default, Deserialize)]
struct AppForm {
    client_name: Option<String>,
    redirect_uris: Option<String>,
    scopes: Option<String>,
    website: Option<String>,
}

async fn register_app(data: FedData, Input(form): Input<AppForm>) -> ApiResult<Json<Application>> {
    let (app, secret) = auth::register_app(
        &data,
        form.client_name.as_deref().unwrap_or_default(),
        form.redirect_uris.as_deref().unwrap_or_default(),
        form.scopes.as_deref(),
        form.website.as_deref(),
    )
    .await
    .map_err(|e| match e {
        ServiceError::Unprocessable(m) => {
            ServiceError::Unprocessable(format!("Validation failed: {m}"))
        }
        other => other,
    })?;
    let registered = Application::new(
        &app.name,
        app.website.as_deref(),
        &app.scopes,
        &app.redirect_uris,
    );
    Ok(Json(Application {
        id: Some(app.id.to_string()),
        redirect_uri: Some(registered.redirect_uris.join("\n")),
        client_id: Some(app.client_id),
        client_secret: Some(secret),
        ..registered
    }))
}

async fn verify_app(Auth(session): Auth) -> Json<Application> {
    let app = &session.app;
    Json(Application::new(
        &app.name,
        app.website.as_deref(),
        &app.scopes,
        &app.redirect_uris,
    ))
}

/// What the authorize page carries along from the app's request.
#[derive(Debug, Default, Deserialize, Clone, Serialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    response_type: Option<String>,
}

/// The instance as the login pages name it.
fn instance_context(data: &FedData) -> minijinja::Value {
    context! {
        name => data.settings.instance.name,
        domain => data.settings.instance.domain,
    }
}

fn page(template: &str, ctx: minijinja::Value) -> ApiResult<Response> {
    crate::http::pages::render(template, ctx)
        .map(IntoResponse::into_response)
        .map_err(ApiError::from)
}

async fn authorize_page(
    data: FedData,
    Query(params): Query<AuthorizeParams>,
) -> ApiResult<Response> {
    let app =
        auth::app_by_client_id(&data, params.client_id.as_deref().unwrap_or_default()).await?;
    let scopes = auth::normalize_scopes(params.scope.as_deref())?;
    page(
        "authorize.html",
        context! {
            instance => instance_context(&data),
            source_url => data.settings.instance.source_url,
            app_name => app.name,
            scopes => scopes,
            params => params,
            error => Option::<String>::None,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct AuthorizeForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    email: Option<String>,
    password: Option<String>,
    ticket: Option<String>,
    actor_id: Option<String>,
}

/// Logs in (or checks the ticket), asks which account to act as when there
/// is a choice, then issues the code: shown on the page for out-of-band
/// apps, otherwise by redirect.
async fn authorize_submit(
    data: FedData,
    ClientAddr(from): ClientAddr,
    Input(form): Input<AuthorizeForm>,
) -> ApiResult<Response> {
    let params = form.params.clone();
    let app =
        auth::app_by_client_id(&data, params.client_id.as_deref().unwrap_or_default()).await?;
    let scopes = auth::normalize_scopes(params.scope.as_deref())?;
    let instance = instance_context(&data);
    let flow = auth::TicketFlow {
        client_id: &app.client_id,
        redirect_uri: params.redirect_uri.as_deref().unwrap_or_default(),
        scopes: &scopes,
        code_challenge: params.code_challenge.as_deref().unwrap_or_default(),
    };
    let user = match (&form.ticket, &form.email) {
        (Some(ticket), _) => auth::check_ticket(&data, ticket, &flow).await?,
        (None, Some(email)) => {
            let password = form.password.as_deref().unwrap_or_default();
            match auth::login(&data, Some(from), email, password).await {
                Ok(user) => user,
                // The form again with the reason: a wrong password (401), or
                // too many attempts (429, with when to try again).
                Err(
                    error @ (ServiceError::Unauthorized(_) | ServiceError::TooManyRequests(..)),
                ) => {
                    let (status, retry_after) = match &error {
                        ServiceError::TooManyRequests(_, wait) => {
                            (StatusCode::TOO_MANY_REQUESTS, Some(wait.seconds()))
                        }
                        _ => (StatusCode::UNAUTHORIZED, None),
                    };
                    let mut response = page(
                        "authorize.html",
                        context! {
                            instance => instance, source_url => data.settings.instance.source_url,
                            app_name => app.name, scopes => scopes, params => params,
                            error => error.to_string(),
                        },
                    )?;
                    *response.status_mut() = status;
                    return Ok(with_retry_after(response, retry_after));
                }
                Err(other) => return Err(other.into()),
            }
        }
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "log in with e-mail and password",
            ));
        }
    };
    let choices = auth::acting_choices(&data, &user).await?;
    let chosen = match form
        .actor_id
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
    {
        Some(id) => id,
        None if choices.len() == 1 => choices[0].0.id,
        None if choices.is_empty() => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "this login has no account to act as",
            ));
        }
        None => {
            let accounts: Vec<minijinja::Value> = choices
                .iter()
                .map(|(actor, role)| {
                    context! {
                        id => actor.id,
                        name => actor.display_name,
                        handle => format!("@{}@{}", actor.username, actor.domain),
                        role => role,
                    }
                })
                .collect();
            return page(
                "choose_account.html",
                context! {
                    instance => instance, source_url => data.settings.instance.source_url,
                    app_name => app.name, params => params, accounts => accounts,
                    ticket => auth::login_ticket(&data, user.id, &flow).await?,
                },
            );
        }
    };
    let redirect_uri = params.redirect_uri.clone().unwrap_or_default();
    let code = auth::issue_code(
        &data,
        Grant {
            app: &app,
            user: &user,
            actor_id: chosen,
            scopes: &scopes,
            redirect_uri: &redirect_uri,
            code_challenge: params.code_challenge.as_deref(),
            code_challenge_method: params.code_challenge_method.as_deref(),
        },
    )
    .await?;
    if redirect_uri == "urn:ietf:wg:oauth:2.0:oob" {
        return page(
            "authorized.html",
            context! { instance => instance, source_url => data.settings.instance.source_url, code => code },
        );
    }
    let mut target = url::Url::parse(&redirect_uri)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "redirect_uri is not a URL"))?;
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = params
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "None")
    {
        target.query_pairs_mut().append_pair("state", state);
    }
    Ok(Redirect::to(target.as_str()).into_response())
}

async fn token(
    data: FedData,
    ClientAddr(from): ClientAddr,
    headers: HeaderMap,
    Input(mut request): Input<TokenRequest>,
) -> Response {
    request.from = Some(from);
    // Client credentials may also come as HTTP Basic authentication.
    if let Some((id, secret)) = basic_credentials(&headers) {
        request.client_id.get_or_insert(id);
        request.client_secret.get_or_insert(secret);
    }
    match auth::exchange(&data, request).await {
        Ok((token, row)) => Json(Token::bearer(token, row.scopes, row.created_at)).into_response(),
        Err(error) => {
            let (status, code) = match &error {
                ServiceError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "invalid_client"),
                ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "access_denied"),
                // Over a rate limit: 429 with Retry-After and {"error": ...}.
                ServiceError::Internal(_) | ServiceError::TooManyRequests(..) => {
                    return ApiError::from(error).into_response();
                }
                _ => (StatusCode::BAD_REQUEST, "invalid_grant"),
            };
            (
                status,
                Json(OAuthError {
                    error: code.to_string(),
                    error_description: error.to_string(),
                }),
            )
                .into_response()
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

async fn revoke(data: FedData, Input(form): Input<RevokeForm>) -> ApiResult<Json<Empty>> {
    auth::revoke(
        &data,
        form.client_id.as_deref().unwrap_or_default(),
        form.client_secret.as_deref().unwrap_or_default(),
        form.token.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Json(Empty {}))
}
