//! pl-api's groups API, read side (issue 13 item 5; Truth Social's shape,
//! docs/research/coalitions.md §5): `/api/v1/groups`,
//! `/api/v1/groups/:id`, `/api/v1/groups/:id/memberships`,
//! `/api/v1/groups/relationships`. A group is a coalition; its `:id` is
//! the coalition's account id. Joining, leaving, kicking and roles come
//! with item 4.

use super::coalitions::{READ, account, viewer};
use super::entities::{Group, GroupMember, GroupRelationship, group_role};
use super::{Auth, MaybeAuth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::{ActorRow, coalitions};
use axum::{
    Json, Router,
    extract::{Path, RawQuery},
    http::StatusCode,
    routing::get,
};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/groups", get(list))
        .route("/api/v1/groups/relationships", get(relationships))
        .route("/api/v1/groups/{id}", get(show))
        .route("/api/v1/groups/{id}/memberships", get(memberships))
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
        let info = coalitions::info(&data, actor, Some(&me)).await?;
        let owner = info.owner.as_ref().is_some_and(|o| o.id == me.id);
        out.push(GroupRelationship {
            id: info.actor.id.to_string(),
            member: info.viewer_role.is_some(),
            role: info
                .viewer_role
                .map(|role| group_role(role, owner))
                .unwrap_or("user"),
            requested: false,
        });
    }
    Ok(Json(out))
}
