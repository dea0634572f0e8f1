//! Joining and leaving coalitions, removing members and changing roles
//! (issue 13 item 4), in both directions: for our coalitions, and for our
//! organisations in coalitions elsewhere. See docs/coalitions.md,
//! "Joining, leaving, roles (item 4)".
//!
//! A join request is a `Join` of the coalition. Only a coalition with
//! manual approval takes them (its `openness` is `moderated`); an
//! invite-only one answers `Reject`. A `Follow` stays a follow (research
//! pitfall 15), except from an invited actor (item 2).

use super::{
    ServiceError, ServiceResult,
    accounts::find_account,
    follows::resolve_remote_actor,
    invitations, orgs,
    outbox::{Audience, Outbox},
};
use crate::{
    context::Kuvend,
    federation::{FedData, outgoing},
    model::{ActorKind, CoalitionRole},
    storage::{
        Q,
        coalitions::{JoinRequestRow, NewCoalitionMember, NewJoinRequest, REQUEST_PENDING},
        models::ActorRow,
        now,
    },
};
use url::Url;

/// The state of an accepted request.
const ACCEPTED: &str = "accepted";
/// The state of a refused request.
const REJECTED: &str = "rejected";

fn internal(error: crate::federation::FederationError) -> ServiceError {
    ServiceError::Internal(error.into())
}

/// Any actor by local name, handle or URL (asked of its server when new).
async fn actor(data: &FedData, reference: &str) -> ServiceResult<ActorRow> {
    match find_account(data, reference, false).await? {
        Some(found) => Ok(found),
        None => resolve_remote_actor(data, reference).await.map_err(|e| {
            ServiceError::NotFound(format!("no account {:?} found: {e}", reference.trim()))
        }),
    }
}

/// A coalition (local by name, or remote by handle or URL).
async fn any_coalition(data: &FedData, reference: &str) -> ServiceResult<ActorRow> {
    let found = actor(data, reference).await?;
    let is_coalition = if found.local {
        found.kind() == ActorKind::Coalition
    } else {
        found.ap_type == "Group"
    };
    if !is_coalition {
        return Err(ServiceError::Unprocessable(format!(
            "{} is not a coalition",
            found.handle()
        )));
    }
    Ok(found)
}

/// A local coalition by name.
async fn local_coalition(ctx: &Kuvend, name: &str) -> ServiceResult<ActorRow> {
    Ok(super::coalitions::coalition(ctx, name).await?.actor)
}

/// Adds a membership (role member) under `ap_id`, the Member URL, unless
/// there is one already.
async fn add_member(
    q: &mut Q<'_>,
    coalition_id: i64,
    member_id: i64,
    ap_id: &str,
) -> ServiceResult<()> {
    if q.coalition_membership(coalition_id, member_id)
        .await?
        .is_none()
    {
        let stamp = now();
        q.insert_coalition_member(&NewCoalitionMember {
            coalition_id,
            member_id,
            role: CoalitionRole::Member.as_str().into(),
            ap_id: ap_id.into(),
            created_at: stamp,
            updated_at: stamp,
        })
        .await?;
    }
    Ok(())
}

/// What became of a request to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinOutcome {
    /// A member now (an open invitation was accepted by it).
    Member,
    /// Waiting for the coalition's admins (for a remote coalition: the
    /// `Join` is on its way and its answer is awaited).
    Pending,
}

/// Our organisation `as_org` asks to join a coalition, here or elsewhere.
/// A local coalition is asked directly: with an open invitation the
/// organisation becomes a member; with manual approval the request waits
/// for an admin; an invite-only coalition refuses. A remote coalition is
/// sent a `Join` (its id is the request's, which the answer names).
pub async fn request(
    data: &FedData,
    coalition_ref: &str,
    as_org: &str,
    message: Option<&str>,
) -> ServiceResult<JoinOutcome> {
    let org = orgs::organization(data, as_org).await?;
    let coalition = any_coalition(data, coalition_ref).await?;
    super::software::learn_software_of(data, &coalition).await;
    let message = super::participation::clean_message(message);
    let join = if coalition.local {
        None
    } else {
        Some(
            outgoing::join(
                &data.urls,
                &org,
                &coalition.ap_id,
                &coalition,
                message.clone(),
            )
            .map_err(internal)?,
        )
    };
    // The request's id: the Join's, which the answer names; for one of
    // our coalitions, a fresh Member URL (it becomes the membership's).
    let join_id = match &join {
        Some(join) => join.id.clone(),
        None => data.urls.new_member(&coalition.username),
    };
    if !coalition.local {
        let invited = {
            let mut conn = data.db.conn().await?;
            conn.q()
                .open_invitation(coalition.id, org.id)
                .await?
                .is_some()
        };
        // Invited already: accepting is the join asked for. A `Join`
        // besides would leave the invitation open on both sides.
        if invited {
            invitations::answer(data, as_org, &coalition.ap_id, true).await?;
            return Ok(JoinOutcome::Member);
        }
    }
    let mut outbox = Outbox::default();
    let outcome = crate::transaction!(data.db, ServiceError, |q| {
        if q.coalition_membership(coalition.id, org.id)
            .await?
            .is_some()
        {
            return Err(ServiceError::Conflict(format!(
                "{} is already a member of {}",
                org.username,
                coalition.handle()
            )));
        }
        if q.pending_join_request(coalition.id, org.id)
            .await?
            .is_some()
        {
            return Err(ServiceError::Conflict(format!(
                "{} has already asked to join {}",
                org.username,
                coalition.handle()
            )));
        }
        if coalition.local {
            if invitations::joined_by_invitee(&mut q, &data.urls, &org, &coalition).await? {
                return Ok(JoinOutcome::Member);
            }
            if !coalition.manually_approves_followers {
                return Err(ServiceError::Forbidden(format!(
                    "{} takes members by invitation only",
                    coalition.username
                )));
            }
        }
        store_request(&mut q, &coalition, &org, &join_id, message.as_deref()).await?;
        if let Some(join) = &join {
            outbox
                .queue(&mut q, &org, join, &[Audience::InboxOf(&coalition)])
                .await?;
        }
        Ok(JoinOutcome::Pending)
    })?;
    outbox.committed(data);
    Ok(outcome)
}

async fn store_request(
    q: &mut Q<'_>,
    coalition: &ActorRow,
    requester: &ActorRow,
    ap_id: &Url,
    message: Option<&str>,
) -> ServiceResult<JoinRequestRow> {
    let stamp = now();
    Ok(q.insert_join_request(&NewJoinRequest {
        coalition_id: coalition.id,
        requester_id: requester.id,
        ap_id: ap_id.to_string(),
        message: message.unwrap_or_default().into(),
        state: REQUEST_PENDING.into(),
        created_at: stamp,
        updated_at: stamp,
    })
    .await?)
}

/// A local coalition's pending join requests with their requesters,
/// oldest first.
pub async fn requests(
    ctx: &Kuvend,
    coalition_name: &str,
) -> ServiceResult<Vec<(JoinRequestRow, ActorRow)>> {
    let coalition = local_coalition(ctx, coalition_name).await?;
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().pending_join_requests(coalition.id).await?)
}

/// An admin (`by`) of a local coalition accepts `target`'s pending
/// request: the membership, the request's state and, for a remote
/// requester, `Accept{Join}` from the coalition, in one transaction.
pub async fn authorize(
    data: &FedData,
    coalition_name: &str,
    target: &str,
    by: &str,
) -> ServiceResult<ActorRow> {
    decide(data, coalition_name, target, by, true).await
}

/// An admin (`by`) of a local coalition refuses `target`'s pending
/// request: the state and, for a remote requester, `Reject{Join}`.
pub async fn reject(
    data: &FedData,
    coalition_name: &str,
    target: &str,
    by: &str,
) -> ServiceResult<ActorRow> {
    decide(data, coalition_name, target, by, false).await
}

async fn decide(
    data: &FedData,
    coalition_name: &str,
    target: &str,
    by: &str,
    accept: bool,
) -> ServiceResult<ActorRow> {
    let coalition = local_coalition(data, coalition_name).await?;
    let by_org = super::coalitions::admin_of(data, &coalition, by).await?;
    let requester = actor(data, target).await?;
    let mut outbox = Outbox::default();
    crate::transaction!(data.db, ServiceError, |q| {
        super::coalitions::still_admin(&mut q, &coalition, &by_org).await?;
        let row = q
            .pending_join_request(coalition.id, requester.id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "{} has not asked to join {}",
                    requester.handle(),
                    coalition.username
                ))
            })?;
        let state = if accept { ACCEPTED } else { REJECTED };
        if !q.close_join_request(row.id, state).await? {
            return Err(ServiceError::Conflict(
                "the request was answered meanwhile".into(),
            ));
        }
        if accept {
            add_member(&mut q, coalition.id, requester.id, &row.ap_id).await?;
            // Issue 14: a running campaign follows the new member.
            super::campaigns::member_changed(
                &data.urls,
                &mut q,
                &mut outbox,
                coalition.id,
                requester.id,
            )
            .await?;
        }
        let kind = if accept { "Accept" } else { "Reject" };
        let answer =
            outgoing::answer_coalition_join(&data.urls, kind, &coalition, &requester, &row.ap_id)
                .map_err(internal)?;
        // A local requester is sent nothing (outbox rule): the row is the answer.
        outbox
            .queue(
                &mut q,
                &coalition,
                &answer,
                &[Audience::InboxOf(&requester)],
            )
            .await?;
        Ok(())
    })?;
    outbox.committed(data);
    Ok(requester)
}

/// A `Join` of one of our coalitions by an actor it did not invite, in
/// the inbox's transaction. With manual approval: a pending request (one at
/// a time). Invite-only: answered with `Reject{Join}`, nothing stored. A
/// member's repeated Join is answered with `Accept` again.
pub async fn join_received(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    id: &Url,
    coalition: &ActorRow,
    message: Option<&str>,
) -> ServiceResult<Option<&'static str>> {
    let answer = |kind| {
        outgoing::answer_coalition_join(&ctx.urls, kind, coalition, actor, id.as_str())
            .map_err(internal)
    };
    let member = q
        .coalition_membership(coalition.id, actor.id)
        .await?
        .is_some();
    // Past the cap of pending requests a Join is refused (it may ask again
    // later): throwaway actors must not bury the admins' list.
    let full = !member
        && coalition.manually_approves_followers
        && q.count_pending_join_requests(coalition.id).await? >= MAX_PENDING_JOIN_REQUESTS;
    let kind = if member {
        "Accept"
    } else if !coalition.manually_approves_followers || full {
        "Reject"
    } else {
        if q.pending_join_request(coalition.id, actor.id)
            .await?
            .is_some()
        {
            return Ok(Some("Join while a request is pending"));
        }
        let message = super::participation::clean_message(message);
        store_request(q, coalition, actor, id, message.as_deref()).await?;
        return Ok(None);
    };
    Outbox::default()
        .queue(q, coalition, &answer(kind)?, &[Audience::InboxOf(actor)])
        .await?;
    Ok(None)
}

/// The answer (`Accept`/`Reject`) to a `Join` one of our organisations
/// sent to a remote coalition, in the inbox's transaction. Heard only from
/// the coalition itself, or from an actor on its host (a Mobilizon
/// moderator approves as a person, research pitfall 13).
pub async fn join_answered(
    q: &mut Q<'_>,
    actor: &ActorRow,
    request: &JoinRequestRow,
    accept: bool,
) -> ServiceResult<Option<&'static str>> {
    let coalition = q.actor_by_id(request.coalition_id).await?;
    if coalition.local {
        return Ok(Some("answer to a request to join one of our coalitions"));
    }
    if !speaks_for(q, actor, &coalition).await? {
        return Ok(Some("answer to a join request, not from its coalition"));
    }
    let state = if accept { ACCEPTED } else { REJECTED };
    if !q.close_join_request(request.id, state).await? {
        return Ok(Some("answer to a join request no longer pending"));
    }
    if accept {
        add_member(q, coalition.id, request.requester_id, &request.ap_id).await?;
    }
    Ok(None)
}

/// Pending join requests a coalition holds at most.
const MAX_PENDING_JOIN_REQUESTS: i64 = 200;

/// Mobilizon's name for a coalition role (`Update{Member}`).
pub fn mobilizon_role(role: CoalitionRole) -> &'static str {
    match role {
        CoalitionRole::Admin => "administrator",
        CoalitionRole::Member => "member",
    }
}

/// Our role for a role Mobilizon names: its administrators and creators
/// decide like our admins; anything else (moderator included) is read as
/// member, which grants less. `None` for roles that are not memberships.
fn role_from_mobilizon(role: &str) -> Option<CoalitionRole> {
    match role {
        "administrator" | "creator" => Some(CoalitionRole::Admin),
        "member" | "moderator" => Some(CoalitionRole::Member),
        _ => None,
    }
}

/// Whether `member` is the only admin of `coalition`.
async fn only_admin(q: &mut Q<'_>, coalition_id: i64, member_id: i64) -> ServiceResult<bool> {
    // Held to the end of the caller's transaction, which then changes the
    // admins: the count below stays true until that change commits.
    q.lock_coalition(coalition_id).await?;
    let is_admin = q
        .coalition_membership(coalition_id, member_id)
        .await?
        .is_some_and(|row| row.role() == CoalitionRole::Admin);
    Ok(is_admin
        && q.count_coalition_members(coalition_id, Some(CoalitionRole::Admin))
            .await?
            == 1)
}

/// The remote members of a local coalition (they hear of its changes).
async fn remote_members(q: &mut Q<'_>, coalition_id: i64) -> ServiceResult<Vec<ActorRow>> {
    Ok(q.coalition_members(coalition_id, None)
        .await?
        .into_iter()
        .map(|(_, who)| who)
        .filter(|who| !who.local)
        .collect())
}

/// Our organisation `as_org` leaves a coalition (here or elsewhere). The
/// last admin of one of our coalitions may not leave. A remote coalition is
/// sent `Leave{coalition}` (Mobilizon's and Smithereen's shape).
pub async fn leave(data: &FedData, coalition_ref: &str, as_org: &str) -> ServiceResult<ActorRow> {
    let org = orgs::organization(data, as_org).await?;
    let coalition = any_coalition(data, coalition_ref).await?;
    let activity = if coalition.local {
        None
    } else {
        Some(outgoing::leave(&data.urls, &org, &coalition.ap_id, &coalition).map_err(internal)?)
    };
    let mut outbox = Outbox::default();
    crate::transaction!(data.db, ServiceError, |q| {
        if q.coalition_membership(coalition.id, org.id)
            .await?
            .is_none()
        {
            return Err(ServiceError::NotFound(format!(
                "{} is not a member of {}",
                org.username,
                coalition.handle()
            )));
        }
        if coalition.local && only_admin(&mut q, coalition.id, org.id).await? {
            return Err(ServiceError::Conflict(format!(
                "{} is the last admin of {}: make another member admin first",
                org.username, coalition.username
            )));
        }
        q.delete_coalition_member(coalition.id, org.id).await?;
        if let Some(activity) = &activity {
            outbox
                .queue(&mut q, &org, activity, &[Audience::InboxOf(&coalition)])
                .await?;
        }
        Ok(())
    })?;
    outbox.committed(data);
    Ok(coalition)
}

/// An admin (`by`) removes `target` from a local coalition; the last admin
/// cannot be removed. The removed member and the other remote members are
/// sent two `Remove`s, one per reader (research §1.8, §3, pitfall 6):
/// FEP-1b12's `{object: member, target: members}` and Mobilizon's
/// `{object: Member URL, origin: coalition}`.
pub async fn remove(
    data: &FedData,
    coalition_name: &str,
    target: &str,
    by: &str,
) -> ServiceResult<ActorRow> {
    let coalition = local_coalition(data, coalition_name).await?;
    let by_org = super::coalitions::admin_of(data, &coalition, by).await?;
    let member = actor(data, target).await?;
    let mut outbox = Outbox::default();
    crate::transaction!(data.db, ServiceError, |q| {
        super::coalitions::still_admin(&mut q, &coalition, &by_org).await?;
        let row = q
            .coalition_membership(coalition.id, member.id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "{} is not a member of {}",
                    member.handle(),
                    coalition.username
                ))
            })?;
        if only_admin(&mut q, coalition.id, member.id).await? {
            return Err(ServiceError::Conflict(format!(
                "{} is the last admin of {}: it cannot be removed",
                member.handle(),
                coalition.username
            )));
        }
        q.delete_coalition_member(coalition.id, member.id).await?;
        // Issue 14: the campaigns' follow of the member is undone.
        super::campaigns::member_changed(&data.urls, &mut q, &mut outbox, coalition.id, member.id)
            .await?;
        let mut audience = remote_members(&mut q, coalition.id).await?;
        audience.push(member.clone());
        let members_url = data.urls.members(&coalition.username);
        for activity in [
            outgoing::collection_change(
                &data.urls,
                "Remove",
                &coalition,
                &member.ap_id,
                Some(members_url.as_str()),
                None,
            ),
            outgoing::collection_change(
                &data.urls,
                "Remove",
                &coalition,
                &row.ap_id,
                None,
                Some(coalition.ap_id.as_str()),
            ),
        ] {
            let activity = activity.map_err(internal)?;
            outbox
                .queue(
                    &mut q,
                    &coalition,
                    &activity,
                    &[Audience::Actors(&audience)],
                )
                .await?;
        }
        Ok(())
    })?;
    outbox.committed(data);
    Ok(member)
}

/// An admin (`by`) gives `target` the role `admin` or `member` in a local
/// coalition; never leaves it without an admin. Sent to the coalition's
/// followers and remote members: FEP-1b12's `Add`/`Remove` to the
/// moderators collection, and Mobilizon's `Update{Member}`.
pub async fn set_role(
    data: &FedData,
    coalition_name: &str,
    target: &str,
    role: &str,
    by: &str,
) -> ServiceResult<ActorRow> {
    let role = CoalitionRole::parse(role).ok_or_else(|| {
        ServiceError::Unprocessable(format!("role {role:?} is neither admin nor member"))
    })?;
    let coalition = local_coalition(data, coalition_name).await?;
    let by_org = super::coalitions::admin_of(data, &coalition, by).await?;
    let member = actor(data, target).await?;
    let mut outbox = Outbox::default();
    crate::transaction!(data.db, ServiceError, |q| {
        super::coalitions::still_admin(&mut q, &coalition, &by_org).await?;
        let row = q
            .coalition_membership(coalition.id, member.id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "{} is not a member of {}",
                    member.handle(),
                    coalition.username
                ))
            })?;
        if row.role() == role {
            return Ok(());
        }
        if role == CoalitionRole::Member && only_admin(&mut q, coalition.id, member.id).await? {
            return Err(ServiceError::Conflict(format!(
                "{} is the last admin of {}: make another member admin first",
                member.handle(),
                coalition.username
            )));
        }
        q.set_coalition_role(coalition.id, member.id, role).await?;
        let mut members = remote_members(&mut q, coalition.id).await?;
        if !member.local && !members.iter().any(|m| m.id == member.id) {
            members.push(member.clone());
        }
        let kind = match role {
            CoalitionRole::Admin => "Add",
            CoalitionRole::Member => "Remove",
        };
        let moderators = data.urls.moderators(&coalition.username);
        let fep = outgoing::collection_change(
            &data.urls,
            kind,
            &coalition,
            &member.ap_id,
            Some(moderators.as_str()),
            None,
        )
        .map_err(internal)?;
        let update = outgoing::update_member(
            &data.urls,
            &coalition,
            &member,
            &row.ap_id,
            mobilizon_role(role),
        )
        .map_err(internal)?;
        // Followers hear of roles only where members are public: otherwise
        // the change would tell them who belongs (research pitfall 16).
        let public = q
            .coalition(coalition.id)
            .await?
            .is_some_and(|row| row.members_visible() == crate::model::MembersVisible::Public);
        let followers = [
            Audience::FollowersOf(&coalition),
            Audience::Actors(&members),
        ];
        let audience = if public {
            &followers[..]
        } else {
            &followers[1..]
        };
        for activity in [&fep, &update] {
            outbox.queue(&mut q, &coalition, activity, audience).await?;
        }
        Ok(())
    })?;
    outbox.committed(data);
    Ok(member)
}

/// A `Leave` of one of our coalitions by a member (Mobilizon's has no id),
/// in the inbox's transaction. The last admin stays.
pub async fn left(
    q: &mut Q<'_>,
    urls: &crate::federation::urls::Urls,
    actor: &ActorRow,
    coalition: &ActorRow,
) -> ServiceResult<Option<&'static str>> {
    if q.coalition_membership(coalition.id, actor.id)
        .await?
        .is_none()
    {
        // A pending request is withdrawn by leaving too.
        if let Some(row) = q.pending_join_request(coalition.id, actor.id).await? {
            q.close_join_request(row.id, "withdrawn").await?;
            return Ok(None);
        }
        return Ok(Some("Leave of a coalition by a non-member"));
    }
    if only_admin(q, coalition.id, actor.id).await? {
        return Ok(Some("Leave by the last admin of a coalition"));
    }
    q.delete_coalition_member(coalition.id, actor.id).await?;
    // Issue 14: the campaigns' follow of it is undone (the inbox wakes the
    // worker after its batch commits).
    let mut outbox = super::outbox::Outbox::default();
    super::campaigns::member_changed(urls, q, &mut outbox, coalition.id, actor.id).await?;
    Ok(None)
}

/// Who an answer or a change about one of our organisations in a remote
/// coalition may come from: the coalition itself; or, where its server
/// runs Mobilizon (whose moderators act as persons; research pitfall 13),
/// an actor of that server. Not just anyone on the coalition's host: on a
/// large shared server any account could otherwise remove or promote us.
async fn speaks_for(q: &mut Q<'_>, actor: &ActorRow, coalition: &ActorRow) -> ServiceResult<bool> {
    if actor.id == coalition.id {
        return Ok(true);
    }
    let same_server = match (Url::parse(&actor.ap_id), Url::parse(&coalition.ap_id)) {
        (Ok(a), Ok(b)) => crate::federation::fetch::same_origin(&a, &b),
        _ => false,
    };
    Ok(same_server
        && super::software::cached_software_of(q, coalition)
            .await?
            .as_deref()
            == Some("mobilizon"))
}

/// The membership of one of our organisations in a remote coalition that
/// an incoming `Add`/`Remove`/`Update{Member}` is about: by Member URL,
/// or by the member's id and the coalition (`origin`, or the sender).
async fn our_membership(
    q: &mut Q<'_>,
    actor: &ActorRow,
    object: &Url,
    coalition: Option<&Url>,
) -> ServiceResult<Option<(ActorRow, ActorRow)>> {
    if let Some(row) = q.coalition_member_by_ap_id(object.as_str()).await? {
        let coalition = q.actor_by_id(row.coalition_id).await?;
        let member = q.actor_by_id(row.member_id).await?;
        return Ok(Some((coalition, member)));
    }
    let Some(member) = q.actor_by_ap_id(object.as_str()).await? else {
        return Ok(None);
    };
    let coalition = match coalition {
        Some(url) => match q.actor_by_ap_id(url.as_str()).await? {
            Some(found) => found,
            None => return Ok(None),
        },
        None => actor.clone(),
    };
    Ok(q.coalition_membership(coalition.id, member.id)
        .await?
        .map(|_| (coalition, member)))
}

/// An incoming `Add` (`admin`), `Remove` from the moderators (`member`),
/// `Remove` from the members (`None`) or `Update{Member}` about one of our
/// organisations in a remote coalition, in the inbox's transaction.
/// Applied only when it comes from that coalition (or its host).
pub async fn changed_elsewhere(
    q: &mut Q<'_>,
    actor: &ActorRow,
    object: &Url,
    coalition: Option<&Url>,
    role: Option<CoalitionRole>,
) -> ServiceResult<Option<&'static str>> {
    let Some((coalition, member)) = our_membership(q, actor, object, coalition).await? else {
        return Ok(Some("membership change about no membership we know"));
    };
    if coalition.local || !member.local {
        return Ok(Some(
            "membership change not about one of ours in a remote coalition",
        ));
    }
    if !speaks_for(q, actor, &coalition).await? {
        return Ok(Some("membership change, not from its coalition"));
    }
    match role {
        Some(role) => {
            q.set_coalition_role(coalition.id, member.id, role).await?;
        }
        None => {
            q.delete_coalition_member(coalition.id, member.id).await?;
        }
    }
    Ok(None)
}

/// Which change an `Add`/`Remove` is: to the moderators collection (a
/// role) or to the members (a removal). A collection is taken for the
/// moderators when its URL ends in `moderators` (Lemmy, PieFed and kuvend
/// name it so); Mobilizon's `Remove` with `origin` is always a removal.
pub fn collection_role(add: bool, target: Option<&Url>) -> Option<Option<CoalitionRole>> {
    let moderators = target.is_some_and(|t| t.path().trim_end_matches('/').ends_with("moderators"));
    match (add, moderators) {
        (true, true) => Some(Some(CoalitionRole::Admin)),
        (false, true) => Some(Some(CoalitionRole::Member)),
        (false, false) => Some(None),
        // An Add to the members: joining happens by Accept, not this.
        (true, false) => None,
    }
}

/// Mobilizon's `Update{Member}` read as a role, if it names one.
pub fn member_role(role: &str) -> Option<CoalitionRole> {
    role_from_mobilizon(role)
}

// ---------------------------------------------------------------------------
// The client API's membership half (issue 13 item 5): the same functions as
// the command line, with "who acts" from the token (the organisation; its
// owner for writes; a coalition admin for admin actions: a member that is
// not an admin gets 403, an outsider 404) and accounts by account id. The
// HTTP layer only shapes what these return.

/// A pending join request as the client API shows it.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub requester: ActorRow,
    /// The requester's note, or empty.
    pub message: String,
    pub created_at: chrono::NaiveDateTime,
}

/// What became of a join asked through the client API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinAnswer {
    /// A member at once (it had an open invitation).
    Member,
    /// Waiting for the coalition's admins (or, for a remote coalition, for
    /// its answer).
    Requested,
    /// Refused at once, with the reason (an invite-only coalition of ours).
    Refused(String),
}

/// Refusals about the state of things (the last admin, no such request,
/// not a member) are 422 in the client API, as for an invitation that is no
/// longer open; the command line only prints their reason.
fn refusal(error: ServiceError) -> ServiceError {
    match error {
        ServiceError::Conflict(reason) | ServiceError::NotFound(reason) => {
            ServiceError::Unprocessable(reason)
        }
        other => other,
    }
}

/// The acting organisation must be an admin of `coalition` (any staff role
/// may read what admins read): 404 for an outsider, 403 for a member that
/// is not an admin.
async fn admin_reader(
    ctx: &Kuvend,
    acting: &super::acting::Acting,
    coalition: &ActorRow,
) -> ServiceResult<()> {
    match super::coalitions::role_in(ctx, coalition, &acting.account).await? {
        None => Err(ServiceError::NotFound("Record not found".into())),
        Some(CoalitionRole::Member) => Err(ServiceError::Forbidden(format!(
            "@{} is not an admin of the coalition",
            acting.account.username
        ))),
        Some(CoalitionRole::Admin) => Ok(()),
    }
}

/// A local coalition's pending requests, oldest first, for its admins.
pub async fn requests_as(
    ctx: &Kuvend,
    acting: &super::acting::Acting,
    coalition: &super::coalitions::Coalition,
) -> ServiceResult<Vec<RequestView>> {
    admin_reader(ctx, acting, &coalition.actor).await?;
    Ok(requests(ctx, &coalition.actor.username)
        .await?
        .into_iter()
        .map(|(row, requester)| RequestView {
            requester,
            message: row.message,
            created_at: row.created_at,
        })
        .collect())
}

/// An admin's owner accepts (`accept`) or refuses the pending request of
/// the account `account_id`; 422 when it has none.
pub async fn decide_as(
    data: &FedData,
    acting: &super::acting::Acting,
    coalition: &super::coalitions::Coalition,
    account_id: &str,
    accept: bool,
) -> ServiceResult<ActorRow> {
    super::coalitions::require_admin(data, acting, coalition).await?;
    let target = super::client::actor_by_account_id(data, account_id).await?;
    let (name, by) = (&coalition.actor.username, &acting.account.username);
    if accept {
        authorize(data, name, &target.ap_id, by).await
    } else {
        reject(data, name, &target.ap_id, by).await
    }
    .map_err(refusal)
}

/// An admin's owner removes the member `account_id`; 422 for a non-member
/// or the last admin.
pub async fn remove_as(
    data: &FedData,
    acting: &super::acting::Acting,
    coalition: &super::coalitions::Coalition,
    account_id: &str,
) -> ServiceResult<ActorRow> {
    super::coalitions::require_admin(data, acting, coalition).await?;
    let target = super::client::actor_by_account_id(data, account_id).await?;
    remove(
        data,
        &coalition.actor.username,
        &target.ap_id,
        &acting.account.username,
    )
    .await
    .map_err(refusal)
}

/// An admin's owner gives the member `account_id` a role (`admin` or
/// `member`); 422 for another role, a non-member, or demoting the last
/// admin.
pub async fn set_role_as(
    data: &FedData,
    acting: &super::acting::Acting,
    coalition: &super::coalitions::Coalition,
    account_id: &str,
    role: &str,
) -> ServiceResult<ActorRow> {
    super::coalitions::require_admin(data, acting, coalition).await?;
    let target = super::client::actor_by_account_id(data, account_id).await?;
    set_role(
        data,
        &coalition.actor.username,
        &target.ap_id,
        role,
        &acting.account.username,
    )
    .await
    .map_err(refusal)
}

/// The acting organisation (its owner) asks to join `coalition`, ours or
/// remote. Already a member, or already asked: 409 (as for inviting a
/// member). An invite-only coalition of ours refuses: that is an answer,
/// not an error.
pub async fn join_as(
    data: &FedData,
    acting: &super::acting::Acting,
    coalition: &ActorRow,
    message: Option<&str>,
) -> ServiceResult<JoinAnswer> {
    let org = acting.require(crate::model::Role::Owner)?;
    if !org.local || org.kind() != ActorKind::Organization {
        return Err(ServiceError::Forbidden(
            "only an organisation can join a coalition".into(),
        ));
    }
    match request(data, &coalition.ap_id, &org.username, message).await {
        Ok(JoinOutcome::Member) => Ok(JoinAnswer::Member),
        Ok(JoinOutcome::Pending) => Ok(JoinAnswer::Requested),
        // `request` refuses an invite-only coalition with Forbidden before
        // writing anything; the acting owner was checked above, so this is
        // the coalition's answer.
        Err(ServiceError::Forbidden(reason)) => Ok(JoinAnswer::Refused(reason)),
        Err(other) => Err(other),
    }
}

/// The acting organisation (its owner) leaves `coalition`, ours or remote;
/// 422 for a non-member or the last admin.
pub async fn leave_as(
    data: &FedData,
    acting: &super::acting::Acting,
    coalition: &ActorRow,
) -> ServiceResult<()> {
    let org = acting.require(crate::model::Role::Owner)?;
    leave(data, &coalition.ap_id, &org.username)
        .await
        .map_err(refusal)?;
    Ok(())
}

/// Whether `requester` has a pending request to join `coalition`.
pub async fn requested(
    ctx: &Kuvend,
    coalition: &ActorRow,
    requester: &ActorRow,
) -> ServiceResult<bool> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .pending_join_request(coalition.id, requester.id)
        .await?
        .is_some())
}
