//! kuvend's coalitions API (issue 13 item 5): `/api/v1/kuvend/coalitions`
//! (create, show, update, members, invitations, invite, revoke) and
//! `/api/v1/kuvend/invitations` (received, accept, decline), and the
//! membership half: join, leave, requests (authorize, reject), role,
//! remove. The token's organisation acts; the services decide who may (an
//! admin organisation, its owners) and what a viewer sees of the members
//! (item 6).

use super::accounts::account_list;
use super::entities::{
    Account, Coalition, CoalitionMember, CoalitionMembers, Invitation, JoinDecision, JoinRequest,
    JoinState,
};
use super::events::text;
use super::{Auth, Input, MaybeAuth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::{
    ActorRow,
    auth::{self, Session},
    client,
    coalitions::{self, CoalitionChanges, CoalitionInfo, InvitationView, NewCoalition},
    membership,
};
use axum::{
    Json, Router,
    extract::Path,
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/kuvend/coalitions", post(create))
        .route(
            "/api/v1/kuvend/coalitions/{id}",
            get(show).patch(update).put(update),
        )
        .route("/api/v1/kuvend/coalitions/{id}/members", get(members))
        .route(
            "/api/v1/kuvend/coalitions/{id}/invitations",
            get(invitations).post(invite),
        )
        .route(
            "/api/v1/kuvend/coalitions/{id}/invitations/{invitation}/revoke",
            post(revoke),
        )
        .route("/api/v1/kuvend/coalitions/{id}/join", post(join))
        .route("/api/v1/kuvend/coalitions/{id}/leave", post(leave))
        .route("/api/v1/kuvend/coalitions/{id}/requests", get(requests))
        .route(
            "/api/v1/kuvend/coalitions/{id}/requests/{account}/authorize",
            post(authorize),
        )
        .route(
            "/api/v1/kuvend/coalitions/{id}/requests/{account}/reject",
            post(reject),
        )
        .route(
            "/api/v1/kuvend/coalitions/{id}/members/{account}/role",
            post(role),
        )
        .route(
            "/api/v1/kuvend/coalitions/{id}/members/{account}/remove",
            post(remove),
        )
        .route("/api/v1/kuvend/invitations", get(received))
        .route("/api/v1/kuvend/invitations/{id}/accept", post(accept))
        .route("/api/v1/kuvend/invitations/{id}/decline", post(decline))
}

pub(super) const READ: &str = auth::READ_COALITIONS;
pub(super) const WRITE: &str = auth::WRITE_COALITIONS;

/// The account whose eyes a read uses: the token's organisation when the
/// token may read coalitions, else nobody (a stranger).
pub(super) fn viewer(session: &Option<Session>) -> Option<ActorRow> {
    session
        .as_ref()
        .filter(|s| s.require(READ).is_ok())
        .and_then(|s| s.actor.clone())
}

pub(super) async fn account(data: &FedData, actor: ActorRow) -> ApiResult<Account> {
    Ok(Account::new(
        data,
        &client::account_data(data, actor).await?,
    ))
}

async fn coalition_entity(data: &FedData, info: CoalitionInfo) -> ApiResult<Json<Coalition>> {
    let account = account(data, info.actor.clone()).await?;
    Ok(Json(Coalition::new(account, &info)))
}

async fn invitation_entity(data: &FedData, view: InvitationView) -> ApiResult<Invitation> {
    let mut accounts = account_list(
        data,
        vec![
            view.coalition.clone(),
            view.invitee.clone(),
            view.inviter.clone(),
        ],
    )
    .await?
    .into_iter();
    let mut next = || {
        accounts
            .next()
            .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "account missing"))
    };
    let (coalition, invitee, inviter) = (next()?, next()?, next()?);
    Ok(Invitation::new(&view, coalition, invitee, inviter))
}

async fn invitation_list(
    data: &FedData,
    views: Vec<InvitationView>,
) -> ApiResult<Json<Vec<Invitation>>> {
    let mut out = Vec::with_capacity(views.len());
    for view in views {
        out.push(invitation_entity(data, view).await?);
    }
    Ok(Json(out))
}

/// The fields of a coalition; all optional in an update.
#[derive(Debug, Default, Deserialize)]
struct CoalitionForm {
    /// The user name (creation only).
    #[serde(default, deserialize_with = "text")]
    username: Option<String>,
    #[serde(default, deserialize_with = "text")]
    display_name: Option<String>,
    /// Plain text.
    #[serde(default, deserialize_with = "text")]
    note: Option<String>,
    /// `true` or `false`.
    #[serde(default, deserialize_with = "text")]
    manual_approval: Option<String>,
    /// `public` or `members`.
    #[serde(default, deserialize_with = "text")]
    members_visible: Option<String>,
    /// `all`, `top-level` or `none` (issue 14 item 1).
    #[serde(default, deserialize_with = "text")]
    relay: Option<String>,
    /// Posts relayed per member and hour; 0: no cap.
    #[serde(default, deserialize_with = "text")]
    relay_cap: Option<String>,
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

fn flag(value: Option<&str>) -> ApiResult<Option<bool>> {
    match value {
        None => Ok(None),
        Some("true" | "1" | "on") => Ok(Some(true)),
        Some("false" | "0" | "off") => Ok(Some(false)),
        Some(other) => Err(unprocessable(format!(
            "manual_approval {other:?} is neither true nor false"
        ))),
    }
}

async fn create(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<CoalitionForm>,
) -> ApiResult<Json<Coalition>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let username = form
        .username
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| unprocessable("username: the coalition needs a user name"))?;
    let manual = flag(form.manual_approval.as_deref())?.unwrap_or(false);
    let created = coalitions::create_as(
        &data,
        &acting,
        NewCoalition {
            display_name: form.display_name.unwrap_or_else(|| username.clone()),
            username,
            summary: form.note.unwrap_or_default(),
            manually_approves_followers: manual,
            members_visible: form.members_visible.unwrap_or_else(|| "public".into()),
            relay: form.relay,
            relay_cap: form.relay_cap,
            by: String::new(),
        },
    )
    .await?;
    let info = coalitions::info(&data, created.actor, Some(&acting.account)).await?;
    coalition_entity(&data, info).await
}

async fn show(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Coalition>> {
    let actor = coalitions::coalition_actor_by_id(&data, &id).await?;
    let info = coalitions::info(&data, actor, viewer(&session).as_ref()).await?;
    coalition_entity(&data, info).await
}

async fn update(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<CoalitionForm>,
) -> ApiResult<Json<Coalition>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let changes = CoalitionChanges {
        display_name: form.display_name,
        summary: form.note,
        manually_approves_followers: flag(form.manual_approval.as_deref())?,
        members_visible: form.members_visible,
        relay: form.relay,
        relay_cap: form.relay_cap,
    };
    let updated = coalitions::update_as(&data, &acting, &coalition, changes).await?;
    let info = coalitions::info(&data, updated.actor, Some(&acting.account)).await?;
    coalition_entity(&data, info).await
}

/// The members: the list when public or to a member's token, otherwise
/// the count only (`members: null`).
async fn members(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<CoalitionMembers>> {
    let actor = coalitions::coalition_actor_by_id(&data, &id).await?;
    member_list(&data, &actor, viewer(&session).as_ref()).await
}

async fn member_list(
    data: &FedData,
    actor: &ActorRow,
    viewer: Option<&ActorRow>,
) -> ApiResult<Json<CoalitionMembers>> {
    let (count, list) = coalitions::visible_members(data, actor, viewer).await?;
    let members = match list {
        Some(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for entry in entries {
                let account = account(data, entry.actor.clone()).await?;
                out.push(CoalitionMember::new(&entry, account));
            }
            Some(out)
        }
        None => None,
    };
    Ok(Json(CoalitionMembers {
        members_count: count,
        members,
    }))
}

/// The coalition's invitations: its admins only; 404 for anyone else, so
/// that their existence does not leak.
async fn invitations(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Invitation>>> {
    session.require(READ).map_err(service)?;
    let actor = session.actor()?.clone();
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let views = coalitions::invitations_for_admin(&data, &actor, &coalition).await?;
    invitation_list(&data, views).await
}

#[derive(Debug, Default, Deserialize)]
struct InviteForm {
    /// The invitee: `name`, `name@host`, `@name@host` or an actor URL.
    #[serde(default, deserialize_with = "text")]
    account: Option<String>,
    /// A note to the invitee (plain text).
    #[serde(default, deserialize_with = "text")]
    message: Option<String>,
}

async fn invite(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<InviteForm>,
) -> ApiResult<Json<Invitation>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let view = coalitions::invite_as(
        &data,
        &acting,
        &coalition,
        form.account.as_deref().unwrap_or(""),
        form.message.as_deref(),
    )
    .await?;
    Ok(Json(invitation_entity(&data, view).await?))
}

async fn revoke(
    data: FedData,
    Auth(session): Auth,
    Path((id, invitation)): Path<(String, String)>,
) -> ApiResult<Json<Invitation>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let view = coalitions::revoke_as(&data, &acting, &coalition, &invitation).await?;
    Ok(Json(invitation_entity(&data, view).await?))
}

/// The invitations the token's organisation received, newest first.
async fn received(data: FedData, Auth(session): Auth) -> ApiResult<Json<Vec<Invitation>>> {
    session.require(READ).map_err(service)?;
    let actor = session.actor()?.clone();
    let views = coalitions::invitations_received(&data, &actor).await?;
    invitation_list(&data, views).await
}

async fn answer(
    data: FedData,
    session: Session,
    id: String,
    accept: bool,
) -> ApiResult<Json<Invitation>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let view = coalitions::answer_as(&data, &acting, &id, accept).await?;
    Ok(Json(invitation_entity(&data, view).await?))
}

async fn accept(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Invitation>> {
    answer(data, session, id, true).await
}

async fn decline(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Invitation>> {
    answer(data, session, id, false).await
}

#[derive(Debug, Default, Deserialize)]
struct JoinForm {
    /// A note to the coalition's admins (plain text).
    #[serde(default, deserialize_with = "text")]
    message: Option<String>,
}

/// The token's organisation asks to join (ours or a remote coalition):
/// `member` at once with an open invitation, `requested`, or `refused`
/// with the reason for an invite-only coalition of ours.
async fn join(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<JoinForm>,
) -> ApiResult<Json<JoinState>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::coalition_actor_by_id(&data, &id).await?;
    let answer = membership::join_as(&data, &acting, &coalition, form.message.as_deref()).await?;
    Ok(Json(JoinState::new(answer)))
}

/// The token's organisation leaves; the coalition as it now sees it.
async fn leave(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Coalition>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::coalition_actor_by_id(&data, &id).await?;
    membership::leave_as(&data, &acting, &coalition).await?;
    let info = coalitions::info(&data, coalition, Some(&acting.account)).await?;
    coalition_entity(&data, info).await
}

/// The pending join requests, oldest first: the coalition's admins only.
async fn requests(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<JoinRequest>>> {
    session.require(READ).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let views = membership::requests_as(&data, &acting, &coalition).await?;
    let accounts = account_list(&data, views.iter().map(|v| v.requester.clone()).collect()).await?;
    Ok(Json(
        views
            .iter()
            .zip(accounts)
            .map(|(view, account)| JoinRequest::new(view, account))
            .collect(),
    ))
}

async fn decide(
    data: FedData,
    session: Session,
    (id, account_id): (String, String),
    accept: bool,
) -> ApiResult<Json<JoinDecision>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let requester = membership::decide_as(&data, &acting, &coalition, &account_id, accept).await?;
    Ok(Json(JoinDecision {
        account: account(&data, requester).await?,
        state: if accept { "accepted" } else { "rejected" },
    }))
}

async fn authorize(
    data: FedData,
    Auth(session): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<JoinDecision>> {
    decide(data, session, ids, true).await
}

async fn reject(
    data: FedData,
    Auth(session): Auth,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<JoinDecision>> {
    decide(data, session, ids, false).await
}

#[derive(Debug, Default, Deserialize)]
struct RoleForm {
    /// `admin` or `member`.
    #[serde(default, deserialize_with = "text")]
    role: Option<String>,
}

/// An admin's owner changes a member's role; the member as it now is.
async fn role(
    data: FedData,
    Auth(session): Auth,
    Path((id, account_id)): Path<(String, String)>,
    Input(form): Input<RoleForm>,
) -> ApiResult<Json<CoalitionMember>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let role = form
        .role
        .ok_or_else(|| unprocessable("role: admin or member"))?;
    let member = membership::set_role_as(&data, &acting, &coalition, &account_id, &role).await?;
    let (_, list) =
        coalitions::visible_members(&data, &coalition.actor, Some(&acting.account)).await?;
    let entry = list
        .unwrap_or_default()
        .into_iter()
        .find(|entry| entry.actor.id == member.id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))?;
    let account = account(&data, entry.actor.clone()).await?;
    Ok(Json(CoalitionMember::new(&entry, account)))
}

/// An admin's owner removes a member: POST `…/members/:account_id/remove`
/// (a verb, as `…/invitations/:id/revoke`); the members as they now are.
async fn remove(
    data: FedData,
    Auth(session): Auth,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<CoalitionMembers>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    membership::remove_as(&data, &acting, &coalition, &account_id).await?;
    member_list(&data, &coalition.actor, Some(&acting.account)).await
}
