//! Coalitions (issue 13): local `Group` actors whose admins are
//! organisations. A coalition is an actor like an organisation (same table,
//! keys, WebFinger, follows); what only it has is its member list, with
//! roles, and who may see that list.

use super::{
    ServiceError, ServiceResult,
    acting::Acting,
    orgs::{self, NewOrganization},
    relay::RelayMode,
};
use crate::{
    context::Kuvend,
    federation::{
        FedData,
        actors::{coalition_actor_json, local_actor_json},
        outgoing::{Outgoing, update_actor_document},
        protocol::{activities::MemberJson, actor::ActorJson},
        urls::Urls,
    },
    model::{ActorKind, CoalitionRole, InvitationState, MembersVisible},
    storage::{
        Q, StorageError,
        coalitions::{CoalitionMemberRow, CoalitionRow, InvitationRow, NewCoalitionMember},
        models::ActorRow,
        now,
    },
};
use serde_json::json;

/// What an operator gives to create a coalition.
#[derive(Debug, Clone)]
pub struct NewCoalition {
    pub username: String,
    pub display_name: String,
    /// Plain text; stored and federated as HTML paragraphs.
    pub summary: String,
    pub manually_approves_followers: bool,
    /// `public` or `members`, as typed (checked here).
    pub members_visible: String,
    /// `all`, `top-level` or `none`, as typed (checked here); `None`: the
    /// default, `top-level`.
    pub relay: Option<String>,
    /// Posts relayed per member and hour, as typed; `None`: the default, 20.
    pub relay_cap: Option<String>,
    /// The local organisation that founds it and becomes its first admin.
    pub by: String,
}

/// A coalition: its actor and its own settings.
#[derive(Debug, Clone)]
pub struct Coalition {
    pub actor: ActorRow,
    pub settings: CoalitionRow,
}

/// Changes to a coalition; `None` keeps what is there.
#[derive(Debug, Clone, Default)]
pub struct CoalitionChanges {
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub manually_approves_followers: Option<bool>,
    pub members_visible: Option<String>,
    /// `all`, `top-level` or `none`, as typed.
    pub relay: Option<String>,
    /// Posts relayed per member and hour (0: no cap), as typed.
    pub relay_cap: Option<String>,
}

impl CoalitionChanges {
    /// Whether anything of the profile (what followers are sent an
    /// `Update` of) changes, rather than only the relay settings.
    fn touches_profile(&self) -> bool {
        self.display_name.is_some()
            || self.summary.is_some()
            || self.manually_approves_followers.is_some()
            || self.members_visible.is_some()
    }
}

/// The default relay setting: replies stay out of Mastodon timelines.
pub const DEFAULT_RELAY: RelayMode = RelayMode::TopLevel;
/// The default per-member hourly cap (the migration's column default).
pub const DEFAULT_RELAY_CAP: i64 = 20;
/// The largest hourly cap accepted (more is the same as no cap).
const MAX_RELAY_CAP: i64 = 100_000;

/// A `--relay` value, refused with the allowed values named.
pub fn parse_relay(text: &str) -> ServiceResult<RelayMode> {
    RelayMode::parse(text.trim()).ok_or_else(|| {
        ServiceError::Unprocessable(format!("relay {text:?} is not one of all, top-level, none"))
    })
}

/// A `--relay-cap` value: a whole number from 0 (no cap) to 100000.
pub fn parse_relay_cap(text: &str) -> ServiceResult<i64> {
    match text.trim().parse::<i64>() {
        Ok(n) if (0..=MAX_RELAY_CAP).contains(&n) => Ok(n),
        _ => Err(ServiceError::Unprocessable(format!(
            "relay cap {text:?} is not a whole number from 0 (no cap) to {MAX_RELAY_CAP}"
        ))),
    }
}

fn parse_visibility(text: &str) -> ServiceResult<MembersVisible> {
    MembersVisible::parse(text).ok_or_else(|| {
        ServiceError::Unprocessable(format!(
            "members visibility {text:?} is neither public nor members"
        ))
    })
}

/// Creates a coalition founded by a local organisation, which becomes its
/// first admin: the actor, its settings and the membership in one
/// transaction, after every check (nothing is written on bad input).
pub async fn create(ctx: &Kuvend, new: NewCoalition) -> ServiceResult<Coalition> {
    let visible = parse_visibility(&new.members_visible)?;
    let relay = new
        .relay
        .as_deref()
        .map(parse_relay)
        .transpose()?
        .unwrap_or(DEFAULT_RELAY);
    let relay_cap = new
        .relay_cap
        .as_deref()
        .map(parse_relay_cap)
        .transpose()?
        .unwrap_or(DEFAULT_RELAY_CAP);
    let founder = orgs::organization(ctx, &new.by).await?;
    let row = orgs::new_local_actor(
        ctx,
        ActorKind::Coalition,
        NewOrganization {
            username: new.username,
            display_name: new.display_name,
            summary: new.summary,
            manually_approves_followers: new.manually_approves_followers,
        },
    )
    .await?;
    let member_url = ctx.urls.new_member(&row.username);
    let username = row.username.clone();
    let created = crate::transaction!(ctx.db, |q| {
        let actor = q.insert_actor(&row).await?;
        let stamp = now();
        let settings = CoalitionRow {
            actor_id: actor.id,
            members_visible: visible.as_str().into(),
            created_at: stamp,
            updated_at: stamp,
            relay: relay.as_str().into(),
            relay_cap,
        };
        q.insert_coalition(&settings).await?;
        q.insert_coalition_member(&NewCoalitionMember {
            coalition_id: actor.id,
            member_id: founder.id,
            role: CoalitionRole::Admin.as_str().into(),
            ap_id: member_url.to_string(),
            created_at: stamp,
            updated_at: stamp,
        })
        .await?;
        Ok(Coalition { actor, settings })
    });
    match created {
        Ok(coalition) => Ok(coalition),
        Err(StorageError::Conflict(_)) => Err(orgs::taken(&username)),
        Err(e) => Err(e.into()),
    }
}

pub async fn list(ctx: &Kuvend) -> ServiceResult<Vec<ActorRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().local_actors_of_kind(ActorKind::Coalition).await?)
}

/// A local coalition by user name (any case).
pub async fn coalition(ctx: &Kuvend, username: &str) -> ServiceResult<Coalition> {
    let mut conn = ctx.db.conn().await?;
    let not_found =
        || ServiceError::NotFound(format!("no coalition {username:?} on this instance"));
    let actor = conn
        .q()
        .local_actor_by_username(username)
        .await?
        .filter(|a| a.kind() == ActorKind::Coalition)
        .ok_or_else(not_found)?;
    let settings = conn.q().coalition(actor.id).await?.ok_or_else(not_found)?;
    Ok(Coalition { actor, settings })
}

/// A coalition's members with their roles, founder first. For admins and
/// the operator: callers showing them to others check [`Coalition::shows_members`].
pub async fn members(
    ctx: &Kuvend,
    coalition: &Coalition,
) -> ServiceResult<Vec<(CoalitionMemberRow, ActorRow)>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().coalition_members(coalition.actor.id, None).await?)
}

impl Coalition {
    /// Whether strangers see who the members are (otherwise only a count;
    /// members see the list through [`visible_members`] and
    /// [`collection_for`]).
    pub fn shows_members(&self) -> bool {
        self.settings.members_visible() == MembersVisible::Public
    }
}

/// Changes a coalition's name, summary, approval mode or member
/// visibility. The profile change and its `Update` to followers go in one
/// transaction (through the organisations' code path); bad input writes
/// nothing.
pub async fn update(
    ctx: &Kuvend,
    username: &str,
    changes: CoalitionChanges,
) -> ServiceResult<Coalition> {
    let visible = changes
        .members_visible
        .as_deref()
        .map(parse_visibility)
        .transpose()?;
    let relay = changes.relay.as_deref().map(parse_relay).transpose()?;
    let relay_cap = changes
        .relay_cap
        .as_deref()
        .map(parse_relay_cap)
        .transpose()?;
    let coalition = coalition(ctx, username).await?;
    let group = orgs::GroupSettings {
        members_visible: visible,
        relay,
        relay_cap,
    };
    if changes.touches_profile() {
        orgs::update_profile(
            ctx,
            &super::acting::Acting::admin(coalition.actor),
            changes.display_name.as_deref(),
            changes.summary.as_deref(),
            changes.manually_approves_followers,
            group,
        )
        .await?;
    } else {
        // Only the relay settings: nothing followers see, so no `Update`.
        crate::transaction!(ctx.db, ServiceError, |q| group
            .write(&mut q, coalition.actor.id)
            .await)?;
    }
    self::coalition(ctx, username).await
}

/// The actor document of any local actor, read in `q`: a coalition's
/// carries its collections and member count.
pub async fn actor_document(
    q: &mut Q<'_>,
    urls: &Urls,
    row: &ActorRow,
) -> ServiceResult<ActorJson> {
    if row.kind() != ActorKind::Coalition {
        return Ok(local_actor_json(row, urls));
    }
    let count = q.count_coalition_members(row.id, None).await?;
    Ok(coalition_actor_json(row, urls, count))
}

/// The `Update` of a local actor's document, read in `q` (inside the
/// transaction that changed it).
pub async fn update_activity(
    q: &mut Q<'_>,
    urls: &Urls,
    row: &ActorRow,
) -> ServiceResult<Outgoing> {
    let document = actor_document(q, urls, row).await?;
    Ok(update_actor_document(urls, row, document)?)
}

/// Which collection of a coalition.
#[derive(Debug, Clone, Copy)]
pub enum MemberCollection {
    /// Everyone who belongs.
    Members,
    /// The admins (FEP-1b12 moderators, also the actor's `attributedTo`).
    Moderators,
}

/// The members or moderators collection: with public visibility every
/// member actor's id, oldest first, in one `OrderedCollection` (coalitions
/// are tens of organisations, not thousands); otherwise only `totalItems`.
/// Admins are members too, so a members-only coalition hides them alike.
pub async fn collection(
    ctx: &Kuvend,
    username: &str,
    which: MemberCollection,
) -> ServiceResult<serde_json::Value> {
    let coalition = coalition(ctx, username).await?;
    let (id, role) = match which {
        MemberCollection::Members => (ctx.urls.members(&coalition.actor.username), None),
        MemberCollection::Moderators => (
            ctx.urls.moderators(&coalition.actor.username),
            Some(CoalitionRole::Admin),
        ),
    };
    let mut conn = ctx.db.conn().await?;
    let total = conn
        .q()
        .count_coalition_members(coalition.actor.id, role)
        .await?;
    let mut document = json!({
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    });
    if coalition.shows_members() {
        let items = conn
            .q()
            .coalition_member_ids_page(coalition.actor.id, role, 0, total.max(1))
            .await?;
        document["orderedItems"] = json!(items);
    }
    Ok(document)
}

/// A member as pages and apps show it.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub name: String,
    /// `user@domain`.
    pub handle: String,
    /// The member's profile page, or its actor id.
    pub url: String,
    pub role: CoalitionRole,
}

/// What a coalition's public profile shows of its members: how many, and
/// who (admins first is not promised: founder first, then by joining) only
/// when the list is public.
pub struct PublicMembers {
    pub count: i64,
    pub members: Option<Vec<MemberView>>,
}

/// The members a stranger may see of a local actor, if it is a coalition.
pub async fn public_members(
    ctx: &Kuvend,
    actor: &ActorRow,
) -> ServiceResult<Option<PublicMembers>> {
    if actor.kind() != ActorKind::Coalition {
        return Ok(None);
    }
    let coalition = coalition(ctx, &actor.username).await?;
    let mut conn = ctx.db.conn().await?;
    let count = conn.q().count_coalition_members(actor.id, None).await?;
    let members = if coalition.shows_members() {
        let rows = conn.q().coalition_members(actor.id, None).await?;
        Some(
            rows.into_iter()
                .map(|(member, who)| MemberView {
                    name: if who.display_name.is_empty() {
                        who.username.clone()
                    } else {
                        who.display_name.clone()
                    },
                    handle: who.handle(),
                    url: who.profile_url.clone().unwrap_or_else(|| who.ap_id.clone()),
                    role: member.role(),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Some(PublicMembers { count, members }))
}

// ---------------------------------------------------------------------------
// The client API's view of coalitions (issue 13 items 5 and 6): who acts,
// who may see the members, invitations by id. The HTTP layer only shapes
// what these return.

/// A coalition as the client API shows it to one viewer.
#[derive(Debug, Clone)]
pub struct CoalitionInfo {
    pub actor: ActorRow,
    /// `public` or `members`; a remote group's setting is unknown to us and
    /// reads as `members`, so we never list more than its own server would.
    pub members_visible: MembersVisible,
    /// How many members (for a remote group: how many we know of).
    pub members_count: i64,
    /// The earliest admin membership: pl-api's `owner`.
    pub owner: Option<ActorRow>,
    /// The viewer's role in it, if a member.
    pub viewer_role: Option<CoalitionRole>,
    /// `(relay, relay_cap)` of one of ours; `None` for a remote group.
    pub relay: Option<(String, i64)>,
}

/// A member as the client API lists it.
#[derive(Debug, Clone)]
pub struct MemberEntry {
    pub actor: ActorRow,
    pub role: CoalitionRole,
    /// Whether this is the owner (the earliest admin).
    pub owner: bool,
    pub since: chrono::NaiveDateTime,
}

/// An invitation as the client API shows it.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub id: i64,
    pub state: crate::model::InvitationState,
    pub reason: String,
    pub message: String,
    pub created_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub coalition: ActorRow,
    pub invitee: ActorRow,
    pub inviter: ActorRow,
}

fn no_coalition() -> ServiceError {
    ServiceError::NotFound("Record not found".into())
}

/// A coalition (one of ours, or a remote group we know) by its account id.
pub async fn coalition_actor_by_id(ctx: &Kuvend, id: &str) -> ServiceResult<ActorRow> {
    match super::client::actor_by_account_id(ctx, id).await {
        Ok(actor) if actor.kind() == ActorKind::Coalition => Ok(actor),
        Ok(_) | Err(ServiceError::NotFound(_)) => Err(no_coalition()),
        Err(error) => Err(error),
    }
}

/// One of our coalitions by its account id (404 for anything else).
pub async fn local_by_id(ctx: &Kuvend, id: &str) -> ServiceResult<Coalition> {
    let actor = coalition_actor_by_id(ctx, id).await?;
    if !actor.local {
        return Err(no_coalition());
    }
    coalition(ctx, &actor.username).await
}

/// `member`'s role in `coalition`, if it belongs.
pub async fn role_in(
    ctx: &Kuvend,
    coalition: &ActorRow,
    member: &ActorRow,
) -> ServiceResult<Option<CoalitionRole>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .coalition_membership(coalition.id, member.id)
        .await?
        .map(|row| row.role()))
}

/// The members-visibility rule (item 6): the list is shown when it is
/// public, or to a member; everyone else gets the count only.
fn may_list(visible: MembersVisible, viewer_role: Option<CoalitionRole>) -> bool {
    visible == MembersVisible::Public || viewer_role.is_some()
}

async fn visibility_of(ctx: &Kuvend, actor: &ActorRow) -> ServiceResult<MembersVisible> {
    if !actor.local {
        return Ok(MembersVisible::Members);
    }
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .coalition(actor.id)
        .await?
        .map(|row| row.members_visible())
        .unwrap_or(MembersVisible::Members))
}

/// A coalition as `viewer` (the token's account, if any) sees it.
pub async fn info(
    ctx: &Kuvend,
    actor: ActorRow,
    viewer: Option<&ActorRow>,
) -> ServiceResult<CoalitionInfo> {
    let members_visible = visibility_of(ctx, &actor).await?;
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let members_count = q.count_coalition_members(actor.id, None).await?;
    let viewer_role = match viewer {
        Some(v) => q
            .coalition_membership(actor.id, v.id)
            .await?
            .map(|row| row.role()),
        None => None,
    };
    let owner = q
        .coalition_members(actor.id, Some(CoalitionRole::Admin))
        .await?
        .into_iter()
        .next()
        .map(|(_, who)| who);
    // The owner is a member: hidden from strangers when the list is.
    let owner = owner.filter(|_| may_list(members_visible, viewer_role));
    let relay = if actor.local {
        q.relay_settings(actor.id).await?
    } else {
        None
    };
    Ok(CoalitionInfo {
        relay,
        actor,
        members_visible,
        members_count,
        owner,
        viewer_role,
    })
}

/// The members `viewer` may see: the count always, the list only when
/// public or when the viewer is a member (item 6).
pub async fn visible_members(
    ctx: &Kuvend,
    coalition: &ActorRow,
    viewer: Option<&ActorRow>,
) -> ServiceResult<(i64, Option<Vec<MemberEntry>>)> {
    let visible = visibility_of(ctx, coalition).await?;
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let rows = q.coalition_members(coalition.id, None).await?;
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let viewer_role = viewer.and_then(|v| {
        rows.iter()
            .find(|(_, who)| who.id == v.id)
            .map(|(m, _)| m.role())
    });
    if !may_list(visible, viewer_role) {
        return Ok((count, None));
    }
    let owner_id = rows
        .iter()
        .find(|(m, _)| m.role() == CoalitionRole::Admin)
        .map(|(m, _)| m.id);
    let list = rows
        .into_iter()
        .map(|(m, who)| MemberEntry {
            owner: Some(m.id) == owner_id,
            role: m.role(),
            since: m.created_at,
            actor: who,
        })
        .collect();
    Ok((count, Some(list)))
}

/// The coalitions (ours or remote) `member` belongs to.
pub async fn of_member(ctx: &Kuvend, member: &ActorRow) -> ServiceResult<Vec<ActorRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .coalitions_of_member(member.id)
        .await?
        .into_iter()
        .map(|(_, coalition)| coalition)
        .collect())
}

/// Whether a signed fetch by `viewer` may see the member list of the
/// coalition `username` (for the members and moderators collections).
pub async fn collection_for(
    ctx: &Kuvend,
    username: &str,
    which: MemberCollection,
    viewer: Option<&ActorRow>,
) -> ServiceResult<serde_json::Value> {
    let mut document = collection(ctx, username, which).await?;
    if document.get("orderedItems").is_some() {
        return Ok(document);
    }
    let coalition = coalition(ctx, username).await?;
    let Some(viewer) = viewer else {
        return Ok(document);
    };
    if role_in(ctx, &coalition.actor, viewer).await?.is_none() {
        return Ok(document);
    }
    let role = match which {
        MemberCollection::Members => None,
        MemberCollection::Moderators => Some(CoalitionRole::Admin),
    };
    let mut conn = ctx.db.conn().await?;
    let total = conn
        .q()
        .count_coalition_members(coalition.actor.id, role)
        .await?;
    let items = conn
        .q()
        .coalition_member_ids_page(coalition.actor.id, role, 0, total.max(1))
        .await?;
    document["orderedItems"] = json!(items);
    Ok(document)
}

/// Whether a fetch of a Member URL of a members-only coalition may see it:
/// a signed fetch by the member (or invitee) itself, by its server's
/// instance actor (an `Application` or `Service`: Mobilizon fetches with
/// its relay actor before acting on an Invite), or by a member of the
/// coalition. Not any account on the member's server, which could then
/// learn the membership. Public coalitions serve them to anyone.
pub async fn may_fetch_member(
    ctx: &Kuvend,
    member: &MemberJson,
    viewer: Option<&ActorRow>,
) -> ServiceResult<bool> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let Some(coalition) = q.actor_by_ap_id(member.object.as_str()).await? else {
        return Ok(false);
    };
    let visible = q
        .coalition(coalition.id)
        .await?
        .map(|row| row.members_visible())
        .unwrap_or(MembersVisible::Members);
    if visible == MembersVisible::Public {
        return Ok(true);
    }
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    let instance_actor_of_members_server =
        matches!(viewer.ap_type.as_str(), "Application" | "Service")
            && url::Url::parse(&viewer.ap_id)
                .is_ok_and(|id| crate::federation::fetch::same_origin(&id, &member.actor));
    if viewer.ap_id == member.actor.as_str() || instance_actor_of_members_server {
        return Ok(true);
    }
    Ok(q.coalition_membership(coalition.id, viewer.id)
        .await?
        .is_some())
}

/// An organisation's owner creates a coalition founded by it (the token's
/// organisation becomes the first admin).
pub async fn create_as(
    ctx: &Kuvend,
    acting: &Acting,
    mut new: NewCoalition,
) -> ServiceResult<Coalition> {
    let org = acting.require(crate::model::Role::Owner)?;
    if !org.local || org.kind() != ActorKind::Organization {
        return Err(ServiceError::Forbidden(
            "only an organisation can found a coalition".into(),
        ));
    }
    new.by = org.username.clone();
    create(ctx, new).await
}

/// `by`, a local organisation, as an admin of `coalition`: read before
/// acting to refuse early, and checked again with [`still_admin`] inside
/// the transaction that acts (another admin may demote or remove it
/// meanwhile).
pub(super) async fn admin_of(
    ctx: &Kuvend,
    coalition: &ActorRow,
    by: &str,
) -> ServiceResult<ActorRow> {
    let org = orgs::organization(ctx, by).await?;
    let mut conn = ctx.db.conn().await?;
    still_admin(&mut conn.q(), coalition, &org).await?;
    Ok(org)
}

/// Refuses unless `org` is an admin of `coalition`, read in `q`.
pub(super) async fn still_admin(
    q: &mut Q<'_>,
    coalition: &ActorRow,
    org: &ActorRow,
) -> ServiceResult<()> {
    match q.coalition_membership(coalition.id, org.id).await? {
        Some(row) if row.role() == CoalitionRole::Admin => Ok(()),
        _ => Err(ServiceError::Forbidden(format!(
            "{} is not an admin of the coalition {}",
            org.username, coalition.username
        ))),
    }
}

/// The acting organisation must be an admin of `coalition`, and the login
/// one of its owners (the issue: an organisation's owners decide for it in
/// coalitions). A non-member gets 404, so it learns nothing; a member that
/// is not an admin 403.
pub async fn require_admin(
    ctx: &Kuvend,
    acting: &Acting,
    coalition: &Coalition,
) -> ServiceResult<()> {
    match role_in(ctx, &coalition.actor, &acting.account).await? {
        None => Err(no_coalition()),
        Some(CoalitionRole::Member) => Err(ServiceError::Forbidden(format!(
            "@{} is not an admin of the coalition",
            acting.account.username
        ))),
        Some(CoalitionRole::Admin) => {
            acting.require(crate::model::Role::Owner)?;
            Ok(())
        }
    }
}

/// An admin's owner changes the coalition's settings.
pub async fn update_as(
    ctx: &Kuvend,
    acting: &Acting,
    coalition: &Coalition,
    changes: CoalitionChanges,
) -> ServiceResult<Coalition> {
    require_admin(ctx, acting, coalition).await?;
    update(ctx, &coalition.actor.username, changes).await
}

async fn invitation_views(
    ctx: &Kuvend,
    rows: Vec<(InvitationState, InvitationRow, ActorRow)>,
    other_is_invitee: bool,
    fixed: &ActorRow,
) -> ServiceResult<Vec<InvitationView>> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let mut out = Vec::with_capacity(rows.len());
    for (state, row, other) in rows {
        let inviter = q.actor_by_id(row.inviter_id).await?;
        let (coalition, invitee) = if other_is_invitee {
            (fixed.clone(), other)
        } else {
            (other, fixed.clone())
        };
        out.push(InvitationView {
            id: row.id,
            state,
            reason: row.reason,
            message: row.message,
            created_at: row.created_at,
            expires_at: row.expires_at,
            coalition,
            invitee,
            inviter,
        });
    }
    Ok(out)
}

/// A coalition's invitations, for its admins only (404 to anyone else).
pub async fn invitations_for_admin(
    ctx: &Kuvend,
    viewer: &ActorRow,
    coalition: &Coalition,
) -> ServiceResult<Vec<InvitationView>> {
    if role_in(ctx, &coalition.actor, viewer).await? != Some(CoalitionRole::Admin) {
        return Err(no_coalition());
    }
    let rows = super::invitations::of_coalition(ctx, &coalition.actor.username).await?;
    invitation_views(ctx, rows, true, &coalition.actor).await
}

/// The invitations `org` (one of our organisations) received.
pub async fn invitations_received(
    ctx: &Kuvend,
    org: &ActorRow,
) -> ServiceResult<Vec<InvitationView>> {
    if !org.local || org.kind() != ActorKind::Organization {
        return Ok(Vec::new());
    }
    let rows = super::invitations::of_org(ctx, &org.username).await?;
    invitation_views(ctx, rows, false, org).await
}

/// An admin's owner invites `account` (handle or URL) to the coalition.
pub async fn invite_as(
    data: &FedData,
    acting: &Acting,
    coalition: &Coalition,
    account: &str,
    message: Option<&str>,
) -> ServiceResult<InvitationView> {
    require_admin(data, acting, coalition).await?;
    if account.trim().is_empty() {
        return Err(ServiceError::Unprocessable(
            "account: give the handle or URL of the organisation to invite".into(),
        ));
    }
    let (row, _) = super::invitations::invite(
        data,
        &coalition.actor.username,
        account,
        &acting.account.username,
        message,
    )
    .await?;
    invitation_by_id(data, &acting.account, coalition, row.id).await
}

async fn invitation_by_id(
    ctx: &Kuvend,
    viewer: &ActorRow,
    coalition: &Coalition,
    id: i64,
) -> ServiceResult<InvitationView> {
    invitations_for_admin(ctx, viewer, coalition)
        .await?
        .into_iter()
        .find(|view| view.id == id)
        .ok_or_else(no_coalition)
}

/// An admin's owner revokes an open invitation of the coalition.
pub async fn revoke_as(
    data: &FedData,
    acting: &Acting,
    coalition: &Coalition,
    invitation_id: &str,
) -> ServiceResult<InvitationView> {
    require_admin(data, acting, coalition).await?;
    let id: i64 = invitation_id.parse().map_err(|_| no_coalition())?;
    let view = invitation_by_id(data, &acting.account, coalition, id).await?;
    if !view.state.is_open() {
        return Err(ServiceError::Unprocessable(format!(
            "the invitation is {}, not open",
            view.state.as_str()
        )));
    }
    super::invitations::revoke(data, &coalition.actor.username, &view.invitee.ap_id).await?;
    invitation_by_id(data, &acting.account, coalition, id).await
}

/// The token's organisation (its owner) accepts or declines an invitation
/// it received; 404 for an invitation addressed to someone else.
pub async fn answer_as(
    data: &FedData,
    acting: &Acting,
    invitation_id: &str,
    accept: bool,
) -> ServiceResult<InvitationView> {
    let id: i64 = invitation_id.parse().map_err(|_| no_coalition())?;
    let find = |views: Vec<InvitationView>| {
        views
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(no_coalition)
    };
    let view = find(invitations_received(data, &acting.account).await?)?;
    acting.require(crate::model::Role::Owner)?;
    if !view.state.is_open() {
        return Err(ServiceError::Unprocessable(format!(
            "the invitation is {}, not open",
            view.state.as_str()
        )));
    }
    super::invitations::answer(
        data,
        &acting.account.username,
        &view.coalition.ap_id,
        accept,
    )
    .await?;
    find(invitations_received(data, &acting.account).await?)
}

/// The local coalitions a post addresses, among the local actors it names
/// (`local_mentions` of an incoming note: its `to`, `cc`, `audience` and
/// `Mention` tags, looked up before the transaction; for a local post, the
/// actors it mentions). FEP-1b12 readers look in `audience`, then `to`/`cc`;
/// a Mastodon user can only mention, so all of these count.
pub(crate) async fn addressed_coalitions(
    q: &mut Q<'_>,
    local_mentions: &[i64],
) -> Result<Vec<ActorRow>, StorageError> {
    if local_mentions.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = q.actors_by_ids(local_mentions).await?;
    found.retain(|a| a.local && a.kind() == ActorKind::Coalition);
    Ok(found)
}

/// Issue 14 item 1, "Addressing a coalition": the local coalition a member
/// names as a post's or event's `audience` (`--coalition` in the CLI,
/// `audience` in the API): its account id, user name, handle (`@c`,
/// `c@domain`, `@c@domain`) or ap id. Refused (422, with the reason), never
/// dropped: an unknown coalition, another instance's group (its own server
/// decides what it relays), and a coalition `member` does not belong to (it
/// would refuse the relay; the post is better not sent than sent to a
/// coalition that will not carry it, docs/coalitions.md).
pub async fn audience_for(
    ctx: &Kuvend,
    member: &ActorRow,
    reference: &str,
) -> ServiceResult<ActorRow> {
    let reference = reference.trim();
    let unknown = || {
        ServiceError::Unprocessable(format!(
            "audience: no coalition {reference:?} on this instance (a group on another \
             instance is addressed by mentioning it in the text)"
        ))
    };
    let domain = &ctx.settings.instance.domain;
    let actor = {
        let mut conn = ctx.db.conn().await?;
        let mut q = conn.q();
        if reference.starts_with("http://") || reference.starts_with("https://") {
            q.actor_by_ap_id(reference).await?
        } else if !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_digit()) {
            match reference.parse::<i64>() {
                Ok(id) => match q.actor_by_id(id).await {
                    Ok(actor) => Some(actor),
                    Err(StorageError::NotFound) => None,
                    Err(error) => return Err(error.into()),
                },
                Err(_) => None,
            }
        } else {
            let handle = reference.trim_start_matches('@');
            let name = match handle.split_once('@') {
                Some((name, host)) if host.eq_ignore_ascii_case(domain) => Some(name),
                Some(_) => None,
                None => Some(handle),
            };
            match name {
                Some(name) if !name.is_empty() => q.local_actor_by_username(name).await?,
                _ => None,
            }
        }
    };
    let coalition = actor
        .filter(|a| a.local && a.kind() == ActorKind::Coalition)
        .ok_or_else(unknown)?;
    let mut conn = ctx.db.conn().await?;
    if conn
        .q()
        .coalition_membership(coalition.id, member.id)
        .await?
        .is_none()
    {
        return Err(ServiceError::Unprocessable(format!(
            "audience: {} is not a member of the coalition {}",
            member.username, coalition.username
        )));
    }
    Ok(coalition)
}
