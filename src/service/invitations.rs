//! Invitations to coalitions (issue 13 item 2): a coalition admin invites
//! an organisation on this or any instance; the `Invite`'s id is the
//! pending Member URL, which every deployed answer names (Mobilizon's
//! `Accept{Member}`, `Reject{"<id>"}`, a plain `Accept{Invite}`).
//! See docs/coalitions.md, "Invitations (item 2)".

use super::{
    ServiceError, ServiceResult,
    accounts::find_account,
    coalitions,
    follows::resolve_remote_actor,
    orgs,
    outbox::{Audience, Outbox},
};
use crate::{
    context::Kuvend,
    federation::{
        FedData, outgoing,
        protocol::activities::{InviteJson, MemberJson},
    },
    model::{ActorKind, CoalitionRole, InvitationState},
    storage::{
        Q,
        coalitions::{
            InvitationPollRow, InvitationRow, NewCoalitionMember, NewInvitation, NewInvitationPoll,
        },
        models::ActorRow,
        now,
    },
};
use url::Url;

fn internal(error: crate::federation::FederationError) -> ServiceError {
    ServiceError::Internal(error.into())
}

/// The invitee `target` names: a local organisation, or a remote actor
/// found by handle or URL (asked of its server when new).
async fn invitee(data: &FedData, target: &str) -> ServiceResult<ActorRow> {
    let found = match find_account(data, target, false).await? {
        Some(found) => found,
        None => resolve_remote_actor(data, target).await.map_err(|e| {
            ServiceError::NotFound(format!("no account {:?} found: {e}", target.trim()))
        })?,
    };
    if found.local && found.kind() != ActorKind::Organization {
        return Err(ServiceError::Unprocessable(format!(
            "{} is not an organisation: only organisations join coalitions",
            found.handle()
        )));
    }
    Ok(found)
}

/// `by` (an admin of the coalition) invites `target`. One transaction: the
/// invitation and, for a remote invitee, the `Invite` queued to its inbox.
/// A local invitee finds the invitation here directly. Inviting a member,
/// or someone with an open invitation, is refused and writes nothing.
pub async fn invite(
    data: &FedData,
    coalition_name: &str,
    target: &str,
    by: &str,
    message: Option<&str>,
) -> ServiceResult<(InvitationRow, ActorRow)> {
    let coalition = coalitions::coalition(data, coalition_name).await?;
    let inviter = super::coalitions::admin_of(data, &coalition.actor, by).await?;
    let invitee = invitee(data, target).await?;
    if invitee.id == coalition.actor.id {
        return Err(ServiceError::Unprocessable(
            "a coalition cannot be invited to itself".into(),
        ));
    }
    // Plain, without control characters, at most 1000 characters.
    let message = super::participation::clean_message(message);
    let member_url = data.urls.new_member(&coalition.actor.username);
    let activity = outgoing::invite(
        member_url.as_str(),
        &inviter,
        &coalition.actor,
        &invitee,
        // `content` is HTML on the wire; the message is plain text.
        message.as_deref().map(super::text_to_html),
    )
    .map_err(internal)?;
    let days = i64::from(data.settings.coalitions.invitation_expiry_days);
    // Outside the transaction: NodeInfo may take a request to the invitee's
    // server. Only a certain "no" adds the poll; unknown software gets the
    // Invite alone and stays pending (never failed on a guess).
    let poll_language = if needs_poll(data, &invitee).await {
        let mut conn = data.db.conn().await?;
        Some(conn.q().latest_post_language(invitee.id).await?)
    } else {
        None
    };
    let mut outbox = Outbox::default();
    let row = crate::transaction!(data.db, ServiceError, |q| {
        super::coalitions::still_admin(&mut q, &coalition.actor, &inviter).await?;
        if q.coalition_membership(coalition.actor.id, invitee.id)
            .await?
            .is_some()
        {
            return Err(ServiceError::Conflict(format!(
                "{} is already a member of {}",
                invitee.handle(),
                coalition.actor.username
            )));
        }
        // It asked already: an invitation besides would leave one of the
        // two open whichever is answered.
        if q.pending_join_request(coalition.actor.id, invitee.id)
            .await?
            .is_some()
        {
            return Err(ServiceError::Conflict(format!(
                "{} has asked to join {}: authorize its request instead",
                invitee.handle(),
                coalition.actor.username
            )));
        }
        q.expire_invitations(coalition.actor.id, invitee.id).await?;
        if q.open_invitation(coalition.actor.id, invitee.id)
            .await?
            .is_some()
        {
            return Err(ServiceError::Conflict(format!(
                "{} already has an open invitation to {}",
                invitee.handle(),
                coalition.actor.username
            )));
        }
        let stamp = now();
        let row = q
            .insert_invitation(&NewInvitation {
                coalition_id: coalition.actor.id,
                invitee_id: invitee.id,
                inviter_id: inviter.id,
                ap_id: member_url.to_string(),
                message: message.clone().unwrap_or_default(),
                state: InvitationState::Pending.as_str().into(),
                reason: String::new(),
                created_at: stamp,
                updated_at: stamp,
                expires_at: stamp + chrono::Duration::days(days),
            })
            .await?;
        // A local invitee is sent nothing over HTTP (outbox rule): the row
        // above is what it sees, and it is notified as for a remote Invite.
        if invitee.local {
            q.notify(invitee.id, NOTIFICATION, coalition.actor.id, None)
                .await?;
        }
        outbox
            .queue(&mut q, &inviter, &activity, &[Audience::InboxOf(&invitee)])
            .await?;
        if let Some(language) = &poll_language {
            send_poll(
                data,
                &mut q,
                &mut outbox,
                &row,
                Parties {
                    coalition: coalition.actor.clone(),
                    invitee: invitee.clone(),
                    inviter: inviter.clone(),
                },
                language.clone(),
            )
            .await?;
        }
        Ok(row)
    })?;
    outbox.committed(data);
    Ok((row, invitee))
}

/// Whether a remote invitee's software is known not to handle `Invite`
/// (Mastodon, GoToSocial, Friendica), so that a poll must go with it. A
/// failed lookup counts as unknown: no poll.
async fn needs_poll(ctx: &Kuvend, invitee: &ActorRow) -> bool {
    if invitee.local {
        return false;
    }
    match super::software::instance_software(ctx, &invitee.domain).await {
        Ok(software) => {
            super::software::understands_invite(software.as_ref().map(|s| s.name.as_str()))
                == Some(false)
        }
        Err(error) => {
            tracing::warn!(%error, domain = %invitee.domain, "software unknown: no poll");
            false
        }
    }
}

/// The direct `Question` from the inviting organisation to the invitee
/// alone (mentioning it, so Mastodon notifies it): the coalition's name and
/// profile page, the message, and two options (accept, decline) in the
/// invitee's language (English unless its posts say Albanian). Its
/// `endTime` is the invitation's expiry. In the invitation's transaction.
async fn send_poll(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    invitation: &InvitationRow,
    parties: Parties,
    language: Option<String>,
) -> ServiceResult<()> {
    let phrases = super::phrases::phrases(language.as_deref());
    let options = vec![phrases.accept.to_string(), phrases.decline.to_string()];
    let coalition = &parties.coalition;
    let name = if coalition.display_name.trim().is_empty() {
        coalition.username.clone()
    } else {
        coalition.display_name.clone()
    };
    let mut sentence = super::phrases::fill(
        phrases.coalition_question,
        &format!("@{}@{}", parties.inviter.username, parties.inviter.domain),
        &name,
        ctx.urls.profile(&coalition.username).as_str(),
    );
    if !invitation.message.is_empty() {
        sentence.push_str("\n\n");
        sentence.push_str(&invitation.message);
    }
    let invitee = std::slice::from_ref(&parties.invitee);
    let row = super::direct::direct_post(
        ctx,
        &parties.inviter,
        &parties.invitee,
        "Question",
        &sentence,
        language,
        None,
    )?;
    super::posts::insert_local_post(q, &row, &[], invitee).await?;
    q.insert_invitation_poll(&NewInvitationPoll {
        invitation_id: invitation.id,
        poll_post_id: row.id,
        options: serde_json::to_string(&options).map_err(|e| ServiceError::Internal(e.into()))?,
        created_at: now(),
    })
    .await?;
    let json = super::polls::question_json(
        ctx,
        &row,
        &parties.inviter,
        &parties.invitee,
        &options,
        invitation.expires_at,
        None,
    )?;
    let create = outgoing::create_question(&ctx.urls, &parties.inviter, json).map_err(internal)?;
    outbox
        .queue(q, &parties.inviter, &create, &[Audience::Actors(invitee)])
        .await?;
    Ok(())
}

/// A Mastodon vote on an invitation's poll, in the inbox's transaction:
/// only the invitee's vote, for an option exactly as sent, counts, and it
/// answers through the same path as an `Accept`/`Reject` ([`answered`]):
/// a closed invitation (revoked, expired, answered) changes nothing.
pub(crate) async fn poll_vote(
    q: &mut Q<'_>,
    urls: &crate::federation::urls::Urls,
    voter: &ActorRow,
    poll: &InvitationPollRow,
    option: &str,
) -> ServiceResult<Result<(), &'static str>> {
    let Some(invitation) = q.invitation_by_id(poll.invitation_id).await? else {
        return Ok(Err("a vote on a poll whose invitation is gone"));
    };
    if invitation.invitee_id != voter.id {
        return Ok(Err("a vote from someone the poll was not sent to"));
    }
    let Some(index) = poll.option_names().iter().position(|n| n == option) else {
        return Ok(Err("a vote for an option the poll does not have"));
    };
    if let Some(why) = answered(q, urls, voter, &invitation, index == 0).await? {
        return Ok(Err(why));
    }
    q.set_invitation_poll_vote(poll.id, index as i64).await?;
    Ok(Ok(()))
}

/// A coalition's invitations with their invitees, newest first, each with
/// its state as of now.
pub async fn of_coalition(
    ctx: &Kuvend,
    coalition_name: &str,
) -> ServiceResult<Vec<(InvitationState, InvitationRow, ActorRow)>> {
    let coalition = coalitions::coalition(ctx, coalition_name).await?;
    let mut conn = ctx.db.conn().await?;
    let rows = conn
        .q()
        .invitations_of_coalition(coalition.actor.id)
        .await?;
    let stamp = now();
    Ok(rows
        .into_iter()
        .map(|(row, who)| (row.state(stamp), row, who))
        .collect())
}

/// The `Member` document behind a Member URL of one of our coalitions: a
/// settled membership (`member` or `administrator`) or an invitation
/// (`invited` while open, `rejected` once declined, revoked or expired).
/// Mobilizon fetches it before acting on an Invite or a role change.
pub async fn member_document(ctx: &Kuvend, member_url: &Url) -> ServiceResult<MemberJson> {
    let not_found = || ServiceError::NotFound("Record not found".into());
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let (actor_id, coalition_id, role) =
        if let Some(row) = q.coalition_member_by_ap_id(member_url.as_str()).await? {
            (
                row.member_id,
                row.coalition_id,
                super::membership::mobilizon_role(row.role()),
            )
        } else {
            let row = q
                .invitation_by_ap_id(member_url.as_str())
                .await?
                .ok_or_else(not_found)?;
            // No membership has this URL: an accepted invitation's member
            // has left or was removed since, which Mobilizon (fetching the
            // URL of a `Remove`) must read as ended.
            let role = if row.state(now()).is_open() {
                "invited"
            } else {
                "rejected"
            };
            (row.invitee_id, row.coalition_id, role)
        };
    let coalition = q.actor_by_id(coalition_id).await?;
    if !coalition.local {
        return Err(not_found());
    }
    let member = q.actor_by_id(actor_id).await?;
    let parse = |text: &str| {
        Url::parse(text).map_err(|_| ServiceError::Internal(anyhow::anyhow!("{text} is not a URL")))
    };
    Ok(MemberJson {
        id: member_url.clone(),
        kind: "Member".into(),
        actor: parse(&member.ap_id)?,
        object: parse(&coalition.ap_id)?,
        role: role.into(),
    })
}

/// Accepting an open invitation: the membership (role member, keeping the
/// Member URL) and the state, in `q`'s transaction, and a running
/// campaign's follow of the new member (issue 14). False when it was no
/// longer open (answered, revoked or expired): nothing changes then.
pub async fn record_acceptance(
    q: &mut Q<'_>,
    urls: &crate::federation::urls::Urls,
    invitation: &InvitationRow,
) -> ServiceResult<bool> {
    // An invitee the coalition has since blocked cannot accept (issue 15),
    // by whichever path (Accept, Follow, Join, poll vote) it tries.
    let invitee = q.actor_by_id(invitation.invitee_id).await?;
    if super::blocks::blocks(q, invitation.coalition_id, &invitee).await? {
        return Ok(false);
    }
    if !q
        .close_invitation(invitation.id, InvitationState::Accepted, "")
        .await?
    {
        return Ok(false);
    }
    if q.coalition_membership(invitation.coalition_id, invitation.invitee_id)
        .await?
        .is_none()
    {
        let stamp = now();
        q.insert_coalition_member(&NewCoalitionMember {
            coalition_id: invitation.coalition_id,
            member_id: invitation.invitee_id,
            role: CoalitionRole::Member.as_str().into(),
            ap_id: invitation.ap_id.clone(),
            created_at: stamp,
            updated_at: stamp,
        })
        .await?;
    }
    // The worker is woken by the caller's commit (the inbox's batch).
    let mut outbox = super::outbox::Outbox::default();
    let (coalition, member) = (invitation.coalition_id, invitation.invitee_id);
    super::campaigns::member_changed(urls, q, &mut outbox, coalition, member).await?;
    Ok(true)
}

/// Rebuilds the Invite as it was sent, to embed it in an answer or an Undo.
async fn invite_of(
    q: &mut Q<'_>,
    invitation: &InvitationRow,
) -> ServiceResult<(InviteJson, Parties)> {
    let parties = Parties {
        coalition: q.actor_by_id(invitation.coalition_id).await?,
        invitee: q.actor_by_id(invitation.invitee_id).await?,
        inviter: q.actor_by_id(invitation.inviter_id).await?,
    };
    let id = Url::parse(&invitation.ap_id).map_err(|_| {
        ServiceError::Internal(anyhow::anyhow!("{} is not a URL", invitation.ap_id))
    })?;
    let message =
        (!invitation.message.is_empty()).then(|| super::text_to_html(&invitation.message));
    let json = outgoing::invite_json(
        id,
        &parties.inviter,
        &parties.coalition,
        &parties.invitee,
        message,
    )
    .map_err(internal)?;
    Ok((json, parties))
}

/// The three actors of an invitation.
struct Parties {
    coalition: ActorRow,
    invitee: ActorRow,
    inviter: ActorRow,
}

/// A coalition admin withdraws an open invitation: state `revoked`, and an
/// `Undo{Invite}` (Invite embedded) from the coalition to a remote invitee
/// (Smithereen acts on it only from the Group; Mobilizon ignores it, and a
/// late answer is refused here).
pub async fn revoke(
    data: &FedData,
    coalition_name: &str,
    target: &str,
) -> ServiceResult<(InvitationRow, ActorRow)> {
    let coalition = coalitions::coalition(data, coalition_name).await?;
    let invitee = invitee(data, target).await?;
    let mut outbox = Outbox::default();
    let row = crate::transaction!(data.db, ServiceError, |q| {
        let row = q
            .open_invitation(coalition.actor.id, invitee.id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "{} has no open invitation to {}",
                    invitee.handle(),
                    coalition.actor.username
                ))
            })?;
        q.close_invitation(row.id, InvitationState::Revoked, "")
            .await?;
        let (json, parties) = invite_of(&mut q, &row).await?;
        let undo = outgoing::about_invite(
            &data.urls,
            "Undo",
            &parties.coalition,
            json,
            &[&parties.invitee],
        )
        .map_err(internal)?;
        outbox
            .queue(
                &mut q,
                &parties.coalition,
                &undo,
                &[Audience::InboxOf(&parties.invitee)],
            )
            .await?;
        Ok(row)
    })?;
    outbox.committed(data);
    Ok((row, invitee))
}

/// An answer (Accept or Reject, any deployed shape) to an invitation, in
/// the inbox's transaction. Only for our coalitions' invitations, and only
/// from the invitee (Mobilizon checks no sender on Accept: we do). An
/// answer to an invitation no longer open changes nothing.
pub async fn answered(
    q: &mut Q<'_>,
    urls: &crate::federation::urls::Urls,
    actor: &ActorRow,
    invitation: &InvitationRow,
    accept: bool,
) -> ServiceResult<Option<&'static str>> {
    let coalition = q.actor_by_id(invitation.coalition_id).await?;
    if !coalition.local {
        return Ok(Some("answer to an invitation a remote coalition sent"));
    }
    if invitation.invitee_id != actor.id {
        return Ok(Some("answer to an invitation, not from its invitee"));
    }
    let done = if accept {
        record_acceptance(q, urls, invitation).await?
    } else {
        q.close_invitation(invitation.id, InvitationState::Declined, "")
            .await?
    };
    Ok((!done).then_some(NO_LONGER_OPEN))
}

/// Why an answer changed nothing: the invitation was answered, revoked or
/// expired before it came.
pub const NO_LONGER_OPEN: &str = "answer to an invitation that is no longer open";

/// The invitee accepted an invitation no longer open (revoked, expired or
/// declined before): its software (Mobilizon, which ignores `Undo{Invite}`,
/// or a kuvend whose acceptance crossed the Undo) now counts itself a
/// member. Tell it otherwise with the two `Remove`s a removal sends
/// (research pitfall 3). A repeated Accept of an accepted invitation is
/// left alone.
pub async fn refuse_late_acceptance(
    q: &mut Q<'_>,
    urls: &crate::federation::urls::Urls,
    invitee: &ActorRow,
    invitation: &InvitationRow,
) -> ServiceResult<()> {
    if invitation.state(now()) == InvitationState::Accepted || invitee.local {
        return Ok(());
    }
    let coalition = q.actor_by_id(invitation.coalition_id).await?;
    let members = urls.members(&coalition.username);
    for activity in [
        outgoing::collection_change(
            urls,
            "Remove",
            &coalition,
            &invitee.ap_id,
            Some(members.as_str()),
            None,
        ),
        outgoing::collection_change(
            urls,
            "Remove",
            &coalition,
            &invitation.ap_id,
            None,
            Some(coalition.ap_id.as_str()),
        ),
    ] {
        Outbox::default()
            .queue(
                q,
                &coalition,
                &activity.map_err(internal)?,
                &[Audience::InboxOf(invitee)],
            )
            .await?;
    }
    Ok(())
}

/// An `Undo{Invite}` of an invitation one of our organisations received:
/// only the coalition or the inviter may withdraw it.
pub async fn withdrawn(
    q: &mut Q<'_>,
    actor: &ActorRow,
    invitation: &InvitationRow,
) -> ServiceResult<Option<&'static str>> {
    let coalition = q.actor_by_id(invitation.coalition_id).await?;
    if coalition.local {
        return Ok(Some("Undo of an invitation of one of our coalitions"));
    }
    if actor.id != invitation.coalition_id && actor.id != invitation.inviter_id {
        return Ok(Some(
            "Undo of an invitation, not from its coalition or inviter",
        ));
    }
    if q.close_invitation(invitation.id, InvitationState::Revoked, "")
        .await?
    {
        return Ok(None);
    }
    // Our acceptance crossed the Undo: the coalition had already withdrawn
    // the invitation and refused the acceptance, so the membership recorded
    // here is void, or the two sides would disagree for good.
    if q.revoke_accepted_invitation(invitation.id, "withdrawn before our acceptance reached it")
        .await?
    {
        q.delete_coalition_member(invitation.coalition_id, invitation.invitee_id)
            .await?;
        return Ok(None);
    }
    Ok(Some("Undo of an invitation that is no longer open"))
}

/// A `Join` or `Follow` of one of our coalitions by an actor with an open
/// invitation counts as its acceptance (Smithereen's way, and what
/// software without invitations can do). True when it did.
pub async fn joined_by_invitee(
    q: &mut Q<'_>,
    urls: &crate::federation::urls::Urls,
    actor: &ActorRow,
    coalition: &ActorRow,
) -> ServiceResult<bool> {
    if !coalition.local || coalition.kind() != ActorKind::Coalition {
        return Ok(false);
    }
    // An undeliverable invitation counts too: the invitee evidently got it.
    match q.answerable_invitation(coalition.id, actor.id).await? {
        Some(invitation) => record_acceptance(q, urls, &invitation).await,
        None => Ok(false),
    }
}

/// An `Invite` to a remote group received for one of our organisations:
/// stored as a received invitation (pending) and notified to the
/// organisation (`kuvend:coalition_invitation`). A second open invitation
/// from the same group, or one for a group the organisation is in, is
/// ignored.
pub async fn received(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    inviter: &ActorRow,
    id: &Url,
    invitee: &ActorRow,
    coalition: &ActorRow,
    message: Option<&str>,
) -> ServiceResult<Option<&'static str>> {
    if !invitee.local || invitee.kind() != ActorKind::Organization {
        return Ok(Some(
            "Invite of an actor that is not one of our organisations",
        ));
    }
    if coalition.local || coalition.ap_type != "Group" {
        return Ok(Some("Invite to something that is not a remote group"));
    }
    // Only the group or an actor of its own server may invite in its name
    // (Mobilizon's members, Smithereen's group itself): anyone else could
    // take the group's one open slot or have us record a membership the
    // group never granted.
    let same_server = match (Url::parse(&inviter.ap_id), Url::parse(&coalition.ap_id)) {
        (Ok(a), Ok(b)) => crate::federation::fetch::same_origin(&a, &b),
        _ => false,
    };
    if inviter.id != coalition.id && !same_server {
        return Ok(Some(
            "Invite in the name of a group on another server than the inviter",
        ));
    }
    if q.coalition_membership(coalition.id, invitee.id)
        .await?
        .is_some()
    {
        return Ok(Some("Invite to a group the organisation is in"));
    }
    q.expire_invitations(coalition.id, invitee.id).await?;
    if let Some(open) = q.open_invitation(coalition.id, invitee.id).await? {
        if open.ap_id == id.as_str() {
            return Ok(Some("Invite received again"));
        }
        // The group invited again (its Undo of the older one lost, or
        // never sent: Mobilizon has none): the newer Invite is the one
        // its answer must name.
        q.close_invitation(
            open.id,
            InvitationState::Revoked,
            "replaced by a newer invitation",
        )
        .await?;
    }
    let stamp = now();
    let days = i64::from(ctx.settings.coalitions.invitation_expiry_days);
    // Plain, without control characters, at most 1000 characters.
    let message = super::participation::clean_message(message);
    q.insert_invitation(&NewInvitation {
        coalition_id: coalition.id,
        invitee_id: invitee.id,
        inviter_id: inviter.id,
        ap_id: id.to_string(),
        message: message.unwrap_or_default(),
        state: InvitationState::Pending.as_str().into(),
        reason: String::new(),
        created_at: stamp,
        updated_at: stamp,
        expires_at: stamp + chrono::Duration::days(days),
    })
    .await?;
    q.notify(invitee.id, NOTIFICATION, coalition.id, None)
        .await?;
    Ok(None)
}

/// The notification type an organisation gets for an invitation.
pub const NOTIFICATION: &str = "kuvend:coalition_invitation";

/// The invitations an organisation of ours received (from any coalition,
/// here or elsewhere), newest first, each with its state as of now.
pub async fn of_org(
    ctx: &Kuvend,
    org_name: &str,
) -> ServiceResult<Vec<(InvitationState, InvitationRow, ActorRow)>> {
    let org = orgs::organization(ctx, org_name).await?;
    let mut conn = ctx.db.conn().await?;
    let rows = conn.q().invitations_of_invitee(org.id).await?;
    let stamp = now();
    Ok(rows
        .into_iter()
        .map(|(row, who)| (row.state(stamp), row, who))
        .collect())
}

/// Our organisation accepts or declines its open invitation to a
/// coalition (named by handle, URL, or a local coalition's name). A remote
/// coalition gets `Accept`/`Reject` with the Invite embedded (to the
/// coalition and the inviter); on accept the membership is recorded. One of
/// our own coalitions is answered directly.
pub async fn answer(
    data: &FedData,
    org_name: &str,
    coalition_ref: &str,
    accept: bool,
) -> ServiceResult<InvitationRow> {
    let org = orgs::organization(data, org_name).await?;
    let coalition = find_account(data, coalition_ref, false)
        .await?
        .ok_or_else(|| {
            ServiceError::NotFound(format!("no coalition {coalition_ref:?} known here"))
        })?;
    if accept {
        super::software::learn_software_of(data, &coalition).await;
    }
    let mut outbox = Outbox::default();
    let row = crate::transaction!(data.db, ServiceError, |q| {
        let row = q
            .open_invitation(coalition.id, org.id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "{} has no open invitation from {}",
                    org.username,
                    coalition.handle()
                ))
            })?;
        let closed = if accept {
            record_acceptance(&mut q, &data.urls, &row).await?
        } else {
            q.close_invitation(row.id, InvitationState::Declined, "")
                .await?
        };
        // Withdrawn or expired since it was read (another process, or an
        // Undo arriving meanwhile): answer nothing rather than report an
        // answer that did not count.
        if !closed {
            return Err(ServiceError::Conflict(format!(
                "the invitation from {} is no longer open",
                coalition.handle()
            )));
        }
        if !coalition.local {
            let (json, parties) = invite_of(&mut q, &row).await?;
            let kind = if accept { "Accept" } else { "Reject" };
            let mut to = vec![&parties.coalition];
            if parties.inviter.id != parties.coalition.id {
                to.push(&parties.inviter);
            }
            let activity =
                outgoing::about_invite(&data.urls, kind, &org, json, &to).map_err(internal)?;
            let audience: Vec<ActorRow> = to.into_iter().cloned().collect();
            outbox
                .queue(&mut q, &org, &activity, &[Audience::Actors(&audience)])
                .await?;
        }
        Ok(row)
    })?;
    outbox.committed(data);
    Ok(row)
}
