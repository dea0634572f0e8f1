//! Accounts (`/api/v1/accounts/...`): registration, the viewer's own
//! account, other accounts with their posts and relations, finding them,
//! and following them.

use super::entities::{
    Account, AccountField, AccountSource, CredentialAccount, Relationship, Token,
};
use super::{Auth, Input, MaybeAuth, PageQuery, paged_statuses, service, truthy};
use crate::federation::FedData;
use crate::http::{
    ClientAddr,
    error::{ApiError, ApiResult},
};
use crate::service::{
    ActorRow, ServiceError, accounts,
    auth::{self, Session},
    client, follows, orgs, profile,
    text::strip_html,
};
use axum::{
    Json, Router,
    extract::{OriginalUri, Path, Query},
    http::StatusCode,
    response::Response,
    routing::{get, patch, post},
};
use serde::Deserialize;
use serde_json::Value;

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/accounts", post(register))
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            patch(update_credentials),
        )
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/search", get(search))
        .route("/api/v1/accounts/{id}", get(account))
        .route("/api/v1/accounts/{id}/statuses", get(statuses))
        .route("/api/v1/accounts/{id}/followers", get(followers))
        .route("/api/v1/accounts/{id}/following", get(following))
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
}

/// Accounts with their counts, in the order given.
pub(super) async fn account_list(data: &FedData, actors: Vec<ActorRow>) -> ApiResult<Vec<Account>> {
    let mut out = Vec::with_capacity(actors.len());
    for actor in actors {
        out.push(Account::new(
            data,
            &client::account_data(data, actor).await?,
        ));
    }
    Ok(out)
}

/// How `actor` now relates to the account `id`, after acting on it.
pub(super) async fn relationship(
    data: &FedData,
    actor: &ActorRow,
    id: String,
) -> ApiResult<Json<Relationship>> {
    let found = client::relationships(data, actor, &[id]).await?;
    found
        .first()
        .map(|r| Json(Relationship::from(r)))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))
}

/// A boolean sent as JSON `true` or as a form's `"true"`, `"1"` or `"on"`.
fn truthy_value(value: &Option<Value>) -> Option<bool> {
    match value {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(matches!(s.as_str(), "true" | "1" | "on")),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
struct RegisterForm {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    agreement: Option<Value>,
}

/// `POST /api/v1/accounts`: a supporter registers from an app, with the
/// app's own token (client credentials, `write:accounts`), as
/// `instance.registrations` allows.
async fn register(
    data: FedData,
    ClientAddr(from): ClientAddr,
    Auth(session): Auth,
    Input(form): Input<RegisterForm>,
) -> ApiResult<Json<Token>> {
    session.require("write:accounts").map_err(service)?;
    if session.user.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "registration needs the app's own token (client credentials), not a login's",
        ));
    }
    let user = auth::register(
        &data,
        auth::Registration {
            username: form.username.as_deref().unwrap_or_default(),
            email: form.email.as_deref().unwrap_or_default(),
            password: form.password.as_deref().unwrap_or_default(),
            agreement: truthy_value(&form.agreement).unwrap_or(false),
            from: Some(from),
        },
    )
    .await?;
    let (token, row) = auth::token_for(&data, &session.app, &user, &session.app.scopes).await?;
    Ok(Json(Token::bearer(token, row.scopes, row.created_at)))
}

async fn verify_credentials(
    data: FedData,
    Auth(session): Auth,
) -> ApiResult<Json<CredentialAccount>> {
    session.require("read:accounts").map_err(service)?;
    let actor = session.actor().map_err(service)?.clone();
    let account = client::account_data(&data, actor).await?;
    // kuvend keeps no posting defaults or profile fields yet: Mastodon's
    // defaults, and the bio without its markup as the text to edit.
    let source = AccountSource {
        privacy: "public".into(),
        sensitive: false,
        language: String::new(),
        note: strip_html(&account.actor.summary),
        // The values as typed, which is what apps put back in the form.
        fields: crate::service::profile::fields_of(&account.actor)
            .into_iter()
            .map(|f| AccountField {
                name: f.name,
                value: f.value_text,
                verified_at: f.verified_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
        follow_requests_count: 0,
    };
    Ok(Json(CredentialAccount {
        account: Account::new(&data, &account),
        source,
    }))
}

#[derive(Debug, Default, Deserialize)]
struct CredentialsForm {
    display_name: Option<String>,
    note: Option<String>,
    locked: Option<Value>,
    /// JSON: `[{name, value}]` or `{"0": {name, value}}`; forms send
    /// `fields_attributes[N][name]` keys instead (in `rest`).
    fields_attributes: Option<Value>,
    /// Every other key: `fields_attributes[N][name|value]` from forms.
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, Value>,
}

/// Most `fields_attributes` entries read (more than 4 are refused by the
/// service; this only bounds the work on a hostile request).
const MAX_FIELD_KEYS: usize = 64;

/// The profile fields of an `update_credentials` request, in index order,
/// or None when it names none. Form keys look like
/// `fields_attributes[0][name]` (N is any integer, as Mastodon allows).
fn field_pairs(form: &CredentialsForm) -> Option<Vec<(String, String)>> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let pair = |v: &Value| {
        (
            v.get("name").map(text).unwrap_or_default(),
            v.get("value").map(text).unwrap_or_default(),
        )
    };
    match &form.fields_attributes {
        Some(Value::Array(items)) => {
            return Some(items.iter().take(MAX_FIELD_KEYS).map(pair).collect());
        }
        Some(Value::Object(map)) => {
            let mut items: Vec<(i64, (String, String))> = map
                .iter()
                .take(MAX_FIELD_KEYS)
                .filter_map(|(k, v)| Some((k.parse().ok()?, pair(v))))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            return Some(items.into_iter().map(|(_, p)| p).collect());
        }
        _ => {}
    }
    let mut by_index: std::collections::BTreeMap<i64, (String, String)> = Default::default();
    for (key, value) in form.rest.iter().take(MAX_FIELD_KEYS * 2) {
        let Some(inner) = key
            .strip_prefix("fields_attributes[")
            .and_then(|k| k.strip_suffix(']'))
        else {
            continue;
        };
        let Some((index, part)) = inner.split_once("][") else {
            continue;
        };
        let Ok(index) = index.parse::<i64>() else {
            continue;
        };
        let entry = by_index.entry(index).or_default();
        match part {
            "name" => entry.0 = text(value),
            "value" => entry.1 = text(value),
            _ => {}
        }
    }
    (!by_index.is_empty()).then(|| by_index.into_values().collect())
}

async fn update_credentials(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<CredentialsForm>,
) -> ApiResult<Json<Account>> {
    session.require("write:accounts").map_err(service)?;
    let changes = profile::ProfileChanges {
        fields: field_pairs(&form),
        display_name: form.display_name,
        note: form.note,
        locked: truthy_value(&form.locked),
        ..Default::default()
    };
    let verify = changes.touches_fields();
    let updated = profile::update(
        &data,
        &session.acting()?,
        changes,
        orgs::GroupSettings::default(),
    )
    .await?;
    if verify {
        // After the commit, as Mastodon: the answer does not wait for
        // other servers.
        profile::spawn_verify(&data, updated.id);
    }
    let account = client::account_data(&data, updated).await?;
    Ok(Json(Account::new(&data, &account)))
}

async fn relationships(
    data: FedData,
    Auth(session): Auth,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Json<Vec<Relationship>>> {
    session.require("read:follows").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    // `id[]=1&id[]=2` repeats a key, which a struct cannot hold: read the query by hand.
    let ids: Vec<String> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == "id" || *k == "id[]" || *k == "id%5B%5D")
        .map(|(_, v)| v.to_string())
        .collect();
    let found = client::relationships(&data, actor, &ids).await?;
    Ok(Json(found.iter().map(Relationship::from).collect()))
}

#[derive(Debug, Deserialize)]
struct LookupQuery {
    acct: String,
}

async fn lookup(data: FedData, Query(q): Query<LookupQuery>) -> ApiResult<Json<Account>> {
    let actor = accounts::known_account(&data, &q.acct)
        .await?
        // A suspended account is not found (issue 15).
        .filter(|a| a.suspended_at.is_none())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))?;
    let account = client::account_data(&data, actor).await?;
    Ok(Json(Account::new(&data, &account)))
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: String,
    resolve: Option<String>,
    limit: Option<i64>,
}

/// Resolves `user@domain` remotely when asked to; otherwise, or when that
/// fails, searches known accounts by the username part.
async fn search(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Vec<Account>>> {
    session.require("read:accounts").map_err(service)?;
    let query = q.q.trim().trim_start_matches('@');
    let mut actors = Vec::new();
    if query.contains('@') {
        actors.extend(accounts::find_account(&data, query, truthy(&q.resolve)).await?);
    }
    let username = query.split('@').next().unwrap_or_default();
    if actors.is_empty() && !username.is_empty() {
        actors =
            client::search_accounts(&data, username, q.limit.unwrap_or(40).clamp(1, 80)).await?;
    }
    Ok(Json(account_list(&data, actors).await?))
}

async fn account(data: FedData, Path(id): Path<String>) -> ApiResult<Json<Account>> {
    let account = client::account_by_id(&data, &id).await?;
    Ok(Json(Account::new(&data, &account)))
}

async fn statuses(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let account = client::account_by_id(&data, &id).await?;
    let viewer = session.as_ref().and_then(Session::reader);
    let statuses = client::account_statuses(
        &data,
        &account.actor,
        viewer.as_ref(),
        q.page(20, 40),
        truthy(&q.exclude_reblogs),
    )
    .await?;
    Ok(paged_statuses(&data, &uri, &statuses))
}

async fn followers(
    data: FedData,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    relations(&data, &id, true, &q, &uri).await
}

async fn following(
    data: FedData,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    relations(&data, &id, false, &q, &uri).await
}

/// A page of an account's followers or followees, as Mastodon pages them:
/// 40 by default, at most 80, by follow id, with a `Link` header.
async fn relations(
    data: &FedData,
    id: &str,
    followers: bool,
    q: &PageQuery,
    uri: &axum::http::Uri,
) -> ApiResult<Response> {
    let account = client::account_by_id(data, id).await?;
    let rows = client::relations_page(data, &account.actor, followers, q.page(40, 80)).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let actors = rows.into_iter().map(|(_, actor)| actor).collect();
    Ok(super::paged(uri, &account_list(data, actors).await?, &ids))
}

/// Following an account already followed (or asked) is not an error, as on
/// Mastodon, nor is unfollowing one not followed: the answer is the
/// relationship either way.
async fn follow(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    set_following(data, session, id, true).await
}

async fn unfollow(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    set_following(data, session, id, false).await
}

async fn set_following(
    data: FedData,
    session: Session,
    id: String,
    on: bool,
) -> ApiResult<Json<Relationship>> {
    session.require("write:follows").map_err(service)?;
    let acting = session.acting()?;
    let target = client::account_by_id(&data, &id).await?;
    let result = if on {
        follows::follow_as(&data, &acting, &target.actor.ap_id)
            .await
            .map(|_| ())
    } else {
        follows::unfollow_as(&data, &acting, &target.actor.ap_id)
            .await
            .map(|_| ())
    };
    match (result, on) {
        (Ok(()), _) | (Err(ServiceError::Conflict(_)), true) => {}
        (Err(ServiceError::NotFound(_)), false) => {}
        (Err(e), _) => return Err(e.into()),
    }
    relationship(&data, &acting.account, id).await
}
