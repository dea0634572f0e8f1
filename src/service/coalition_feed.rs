//! What a coalition shows (issue 14 item 4): its timeline in the client API
//! (`GET /api/v1/timelines/group/:id`, pl-api's name), and its calendar, on
//! its page and in `/@coalition/events.ics`: its own events and those its
//! members addressed to it and it relayed (`coalition_relays`).

use super::{
    ServiceError, ServiceResult,
    client::{self, StatusData},
    events::EventView,
};
use crate::{
    context::Kuvend,
    model::{ActorKind, Page},
    storage::{
        models::{ActorRow, EventRow, PostRow},
        now,
    },
};

/// Whether an account is a group: a coalition of ours or another server's
/// `Group` (a Lemmy community, a Mobilizon or Friendica group).
fn is_group(actor: &ActorRow) -> bool {
    actor.kind() == ActorKind::Coalition || actor.ap_type == "Group"
}

/// Whether `actor` is one of our coalitions, whose relays we keep.
pub fn is_local_coalition(actor: &ActorRow) -> bool {
    actor.local && actor.kind() == ActorKind::Coalition
}

/// The group timeline: for a coalition of ours, the originals it relayed,
/// newest first; for another server's group, the posts we stored that
/// address it or that it boosted. Public and unlisted posts only, as
/// `viewer` may see them. 404 for an account that is not a group.
pub async fn group_timeline(
    ctx: &Kuvend,
    id: &str,
    viewer: Option<&ActorRow>,
    page: Page,
) -> ServiceResult<Vec<StatusData>> {
    let group = client::actor_by_account_id(ctx, id).await?;
    if !is_group(&group) {
        return Err(ServiceError::NotFound("Record not found".into()));
    }
    let posts = {
        let mut conn = ctx.db.conn().await?;
        let mut q = conn.q();
        if is_local_coalition(&group) {
            q.relayed_posts(group.id, page).await?
        } else {
            q.group_posts(&group, page).await?
        }
    };
    client::statuses(ctx, posts, viewer).await
}

/// A coalition's calendar rows with their organisers: the events of the
/// last `past_days` (latest last) then those not ended (soonest first), at
/// most `limit` of each. `public_only` leaves unlisted ones out.
pub async fn calendar_rows(
    ctx: &Kuvend,
    coalition: &ActorRow,
    public_only: bool,
    past_days: i64,
    limit: i64,
) -> ServiceResult<Vec<(PostRow, EventRow, ActorRow)>> {
    let now = now();
    let since = now - chrono::Duration::days(past_days);
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let mut past = if past_days > 0 {
        q.coalition_events(coalition.id, public_only, now, true, limit)
            .await?
    } else {
        Vec::new()
    };
    let upcoming = q
        .coalition_events(coalition.id, public_only, now, false, limit)
        .await?;
    past.retain(|(_, e, _)| e.ends_at.unwrap_or(e.starts_at) >= since);
    past.reverse();
    Ok(past.into_iter().chain(upcoming).collect())
}

/// The upcoming events a coalition's page lists (public and unlisted, as an
/// organisation's page does), soonest first, with their organisers.
pub async fn upcoming_events(
    ctx: &Kuvend,
    coalition: &ActorRow,
    limit: i64,
) -> ServiceResult<Vec<(EventView, ActorRow)>> {
    Ok(calendar_rows(ctx, coalition, false, 0, limit)
        .await?
        .into_iter()
        .map(|(post, event, author)| (EventView { post, event }, author))
        .collect())
}
