//! Coalitions (issue 13): local `Group` actors whose admins are
//! organisations. A coalition is an actor like an organisation (same table,
//! keys, WebFinger, follows); what only it has is its member list, with
//! roles, and who may see that list.

use super::{
    ServiceError, ServiceResult,
    orgs::{self, NewOrganization},
};
use crate::{
    context::Kuvend,
    federation::{
        actors::{coalition_actor_json, local_actor_json},
        outgoing::{Outgoing, update_actor_document},
        protocol::actor::ActorJson,
        urls::Urls,
    },
    model::{ActorKind, CoalitionRole, MembersVisible},
    storage::{
        Q, StorageError,
        coalitions::{CoalitionMemberRow, CoalitionRow, NewCoalitionMember},
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
    /// Whether strangers see who the members are (otherwise only a count).
    /// Members-only viewing by a signed fetch of a member is not built yet:
    /// with `members`, everyone sees the count only.
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
    let coalition = coalition(ctx, username).await?;
    orgs::update_profile(
        ctx,
        &super::acting::Acting::admin(coalition.actor),
        changes.display_name.as_deref(),
        changes.summary.as_deref(),
        changes.manually_approves_followers,
        visible,
    )
    .await?;
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
