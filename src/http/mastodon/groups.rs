//! pl-api's groups API (issue 13 item 5; Truth Social's shape,
//! docs/research/coalitions.md §5): `/api/v1/groups`,
//! `/api/v1/groups/:id`, `/api/v1/groups/:id/memberships`,
//! `/api/v1/groups/relationships`. A group is a coalition; its `:id` is
//! the coalition's account id. And the writes on membership: `join`,
//! `leave`, `membership_requests` (+ `authorize`, `reject`), `kick`,
//! `promote`, `demote`, on the same services as kuvend's own endpoints.

use super::accounts::account_list;
use super::coalitions::{READ, WRITE, account, viewer};
use super::entities::{Account, Group, GroupMember, GroupRelationship, group_role};
use super::{Auth, MaybeAuth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::{
    ActorRow,
    acting::Acting,
    coalitions::{self, Coalition},
    membership::{self, JoinAnswer},
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery},
    http::{HeaderMap, StatusCode, header},
    routing::{get, post},
};
use serde_json::{Value, json};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/groups", get(list))
        .route("/api/v1/groups/relationships", get(relationships))
        .route("/api/v1/groups/{id}", get(show))
        .route("/api/v1/groups/{id}/memberships", get(memberships))
        .route("/api/v1/groups/{id}/join", post(join))
        .route("/api/v1/groups/{id}/leave", post(leave))
        .route(
            "/api/v1/groups/{id}/membership_requests",
            get(membership_requests),
        )
        .route(
            "/api/v1/groups/{id}/membership_requests/{account}/authorize",
            post(authorize),
        )
        .route(
            "/api/v1/groups/{id}/membership_requests/{account}/reject",
            post(reject),
        )
        .route("/api/v1/groups/{id}/kick", post(kick))
        .route("/api/v1/groups/{id}/promote", post(promote))
        .route("/api/v1/groups/{id}/demote", post(demote))
}

async fn group(data: &FedData, actor: ActorRow, viewer: Option<&ActorRow>) -> ApiResult<Group> {
    let local = actor.local;
    let info = coalitions::info(data, actor, viewer).await?;
    let account = account(data, info.actor.clone()).await?;
    Ok(Group::new(&account, &info, local))
}

/// The groups the token's organisation belongs to.
async fn list(data: FedData, Auth(session): Auth) -> ApiResult<Json<Vec<Group>>> {
    session.require(READ).map_err(service)?;
    let me = session.actor()?.clone();
    let mut out = Vec::new();
    for coalition in coalitions::of_member(&data, &me).await? {
        out.push(group(&data, coalition, Some(&me)).await?);
    }
    Ok(Json(out))
}

async fn show(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Group>> {
    let actor = coalitions::coalition_actor_by_id(&data, &id).await?;
    Ok(Json(group(&data, actor, viewer(&session).as_ref()).await?))
}

/// The values of `key` (and `key[]`) in a raw query string.
fn values(query: Option<&str>, key: &str) -> Vec<String> {
    let array = format!("{key}[]");
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == key || *k == array)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The members as pl-api lists them. A viewer who may not see the list
/// (item 6) gets `[]`, as Mastodon answers for hidden followers; the count
/// is in the Group. `role` filters (`owner`, `admin`, `user`).
async fn memberships(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Vec<GroupMember>>> {
    let roles = values(query.as_deref(), "role");
    if let Some(bad) = roles
        .iter()
        .find(|r| !matches!(r.as_str(), "owner" | "admin" | "user"))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("role {bad:?} is not one of owner, admin, user"),
        ));
    }
    let actor = coalitions::coalition_actor_by_id(&data, &id).await?;
    let (_, list) = coalitions::visible_members(&data, &actor, viewer(&session).as_ref()).await?;
    let mut out = Vec::new();
    for entry in list.unwrap_or_default() {
        let role = group_role(entry.role, entry.owner);
        if !roles.is_empty() && !roles.iter().any(|r| r == role) {
            continue;
        }
        let account = account(&data, entry.actor.clone()).await?;
        out.push(GroupMember::new(&entry, account));
    }
    Ok(Json(out))
}

/// The token's organisation's relationship with each group in `id[]`;
/// ids that are not groups are left out.
async fn relationships(
    data: FedData,
    Auth(session): Auth,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Vec<GroupRelationship>>> {
    session.require(READ).map_err(service)?;
    let me = session.actor()?.clone();
    let mut out = Vec::new();
    for id in values(query.as_deref(), "id") {
        let Ok(actor) = coalitions::coalition_actor_by_id(&data, &id).await else {
            continue;
        };
        out.push(relationship(&data, actor, &me).await?);
    }
    Ok(Json(out))
}

/// The relationship of `me` (the token's organisation) with a group.
async fn relationship(
    data: &FedData,
    actor: ActorRow,
    me: &ActorRow,
) -> ApiResult<GroupRelationship> {
    let requested = membership::requested(data, &actor, me).await?;
    let info = coalitions::info(data, actor, Some(me)).await?;
    let owner = info.owner.as_ref().is_some_and(|o| o.id == me.id);
    Ok(GroupRelationship {
        id: info.actor.id.to_string(),
        member: info.viewer_role.is_some(),
        role: info
            .viewer_role
            .map(|role| group_role(role, owner))
            .unwrap_or("user"),
        requested,
    })
}

/// pl-api's join: the relationship afterwards (`requested: true` while an
/// admin decides). Joining again while a member or asking is not an error
/// here (clients retry a button): the relationship as it is. An
/// invite-only coalition refuses with 403 and the reason.
async fn join(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<GroupRelationship>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let group = coalitions::coalition_actor_by_id(&data, &id).await?;
    match membership::join_as(&data, &acting, &group, None).await {
        Ok(JoinAnswer::Refused(reason)) => {
            return Err(ApiError::new(StatusCode::FORBIDDEN, reason));
        }
        Ok(_) | Err(crate::service::ServiceError::Conflict(_)) => {}
        Err(other) => return Err(other.into()),
    }
    Ok(Json(relationship(&data, group, &acting.account).await?))
}

/// pl-api's leave: the relationship afterwards; 422 for a non-member or
/// the last admin.
async fn leave(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<GroupRelationship>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let group = coalitions::coalition_actor_by_id(&data, &id).await?;
    membership::leave_as(&data, &acting, &group).await?;
    Ok(Json(relationship(&data, group, &acting.account).await?))
}

/// The accounts asking to join, oldest first: the group's admins only (all
/// at once: a coalition has tens of requests, not thousands).
async fn membership_requests(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Account>>> {
    session.require(READ).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let views = membership::requests_as(&data, &acting, &coalition).await?;
    Ok(Json(
        account_list(&data, views.into_iter().map(|v| v.requester).collect()).await?,
    ))
}

async fn decide(
    data: FedData,
    session: crate::service::auth::Session,
    (id, account_id): (String, String),
    accept: bool,
) -> ApiResult<Json<Value>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    membership::decide_as(&data, &acting, &coalition, &account_id, accept).await?;
    Ok(Json(json!({})))
}

async fn authorize(
    data: FedData,
    Auth(session): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    decide(data, session, ids, true).await
}

async fn reject(
    data: FedData,
    Auth(session): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    decide(data, session, ids, false).await
}

/// `account_ids[]` and `role` of kick, promote and demote: pl-api sends
/// them in the query; other clients may send a form or JSON body. All are
/// read, the query first.
struct Targets {
    account_ids: Vec<String>,
    role: Option<String>,
}

fn targets(query: Option<&str>, headers: &HeaderMap, body: &Bytes) -> ApiResult<Targets> {
    let mut account_ids = values(query, "account_ids");
    let mut role = values(query, "role").into_iter().next();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if body.is_empty() {
    } else if is_json {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Validation failed: {e}"),
            )
        })?;
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        for key in ["account_ids", "account_ids[]"] {
            match value.get(key) {
                Some(Value::Array(items)) => account_ids.extend(items.iter().filter_map(scalar)),
                Some(other) => account_ids.extend(scalar(other)),
                None => {}
            }
        }
        if role.is_none() {
            role = value.get("role").and_then(scalar);
        }
    } else {
        let body = std::str::from_utf8(body).unwrap_or("");
        account_ids.extend(values(Some(body), "account_ids"));
        if role.is_none() {
            role = values(Some(body), "role").into_iter().next();
        }
    }
    if account_ids.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "account_ids: give the accounts",
        ));
    }
    account_ids.dedup();
    Ok(Targets { account_ids, role })
}

/// The group (one of ours) and the acting organisation, which must be an
/// admin (its owner acting) before anything is looked at further.
async fn admin_action(
    data: &FedData,
    session: &crate::service::auth::Session,
    id: &str,
) -> ApiResult<(Coalition, Acting)> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(data, id).await?;
    coalitions::require_admin(data, &acting, &coalition).await?;
    Ok((coalition, acting))
}

/// pl-api's kick: removes each account (in order; the first refusal, e.g.
/// the last admin, stops there and is answered 422). `{}`.
async fn kick(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let targets = targets(query.as_deref(), &headers, &body)?;
    let (coalition, acting) = admin_action(&data, &session, &id).await?;
    for account_id in &targets.account_ids {
        membership::remove_as(&data, &acting, &coalition, account_id).await?;
    }
    Ok(Json(json!({})))
}

/// Our role for pl-api's: `owner` and `admin` are admins (we have one
/// admin role; the owner is the earliest admin), `user` a member.
fn our_role(role: Option<&str>) -> ApiResult<&'static str> {
    match role {
        Some("owner" | "admin") => Ok("admin"),
        Some("user") => Ok("member"),
        Some(other) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("role {other:?} is not one of owner, admin, user"),
        )),
        None => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "role: owner, admin or user",
        )),
    }
}

async fn change_roles(
    data: FedData,
    session: crate::service::auth::Session,
    id: String,
    targets: Targets,
) -> ApiResult<Json<Vec<GroupMember>>> {
    let role = our_role(targets.role.as_deref())?;
    let (coalition, acting) = admin_action(&data, &session, &id).await?;
    let mut changed = Vec::with_capacity(targets.account_ids.len());
    for account_id in &targets.account_ids {
        let member = membership::set_role_as(&data, &acting, &coalition, account_id, role).await?;
        changed.push(member.id);
    }
    let (_, list) =
        coalitions::visible_members(&data, &coalition.actor, Some(&acting.account)).await?;
    let mut out = Vec::with_capacity(changed.len());
    for entry in list.unwrap_or_default() {
        if changed.contains(&entry.actor.id) {
            let account = account(&data, entry.actor.clone()).await?;
            out.push(GroupMember::new(&entry, account));
        }
    }
    Ok(Json(out))
}

/// pl-api's promote (`role` `admin` or `owner`): `[GroupMember]` of the
/// accounts, as they now are.
async fn promote(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Vec<GroupMember>>> {
    let mut targets = targets(query.as_deref(), &headers, &body)?;
    targets.role.get_or_insert_with(|| "admin".into());
    change_roles(data, session, id, targets).await
}

/// pl-api's demote (`role` `user`; `admin` from `owner` changes nothing,
/// as both are our admins): `[GroupMember]` of the accounts.
async fn demote(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Vec<GroupMember>>> {
    let mut targets = targets(query.as_deref(), &headers, &body)?;
    targets.role.get_or_insert_with(|| "user".into());
    change_roles(data, session, id, targets).await
}
