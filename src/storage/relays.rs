//! Coalition relays (issue 14 item 1): the coalition's relay settings, the
//! relays it made, and its followers' inboxes with what their instances run.

use super::{
    Q, StorageResult, on_q,
    schema::{actors, coalition_relays, coalitions, follows, instances},
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A post a coalition relayed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coalition_relays)]
pub struct RelayRow {
    pub id: i64,
    pub coalition_id: i64,
    pub post_id: i64,
    pub member_id: i64,
    /// The member's activity's id (the `Create`).
    pub activity_ap_id: String,
    /// Whether some instance was sent `Announce{"<object id>"}`.
    pub object_shape: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = coalition_relays)]
pub struct NewRelay {
    pub coalition_id: i64,
    pub post_id: i64,
    pub member_id: i64,
    pub activity_ap_id: String,
    pub object_shape: bool,
    pub created_at: NaiveDateTime,
}

/// One follower inbox (a shared inbox once), its instance and what it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerInbox {
    pub inbox: String,
    pub domain: String,
    /// NodeInfo `software.name`, lowercased; `None` when unknown.
    pub software: Option<String>,
}

impl Q<'_> {
    /// `(relay, relay_cap)` of a coalition; `None` if it is not one.
    pub async fn relay_settings(&mut self, actor_id: i64) -> StorageResult<Option<(String, i64)>> {
        on_q!(self, |c| Ok(coalitions::table
            .find(actor_id)
            .select((coalitions::relay, coalitions::relay_cap))
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn set_relay_settings(
        &mut self,
        actor_id: i64,
        relay: Option<&str>,
        cap: Option<i64>,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            if let Some(relay) = relay {
                diesel::update(coalitions::table.find(actor_id))
                    .set(coalitions::relay.eq(relay))
                    .execute(c)
                    .await?;
            }
            if let Some(cap) = cap {
                diesel::update(coalitions::table.find(actor_id))
                    .set(coalitions::relay_cap.eq(cap))
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Records a relay; `None` when this coalition relayed this post before.
    pub async fn insert_relay(&mut self, row: &NewRelay) -> StorageResult<Option<RelayRow>> {
        on_q!(self, |c| Ok(diesel::insert_into(coalition_relays::table)
            .values(row)
            .on_conflict((coalition_relays::coalition_id, coalition_relays::post_id))
            .do_nothing()
            .returning(RelayRow::as_returning())
            .get_result(c)
            .await
            .optional()?))
    }

    /// One relay by its id (the `<n>` of `<coalition>/relays/<n>/…`).
    pub async fn relay_by_id(&mut self, id: i64) -> StorageResult<Option<RelayRow>> {
        on_q!(self, |c| Ok(coalition_relays::table
            .find(id)
            .select(RelayRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Every relay of a post, by any coalition.
    pub async fn relays_of_post(&mut self, post_id: i64) -> StorageResult<Vec<RelayRow>> {
        on_q!(self, |c| Ok(coalition_relays::table
            .filter(coalition_relays::post_id.eq(post_id))
            .order(coalition_relays::id.asc())
            .select(RelayRow::as_select())
            .load(c)
            .await?))
    }

    /// How many posts of a member a coalition relayed since `since`.
    pub async fn count_relays_since(
        &mut self,
        coalition_id: i64,
        member_id: i64,
        since: NaiveDateTime,
    ) -> StorageResult<i64> {
        on_q!(self, |c| Ok(coalition_relays::table
            .filter(coalition_relays::coalition_id.eq(coalition_id))
            .filter(coalition_relays::member_id.eq(member_id))
            .filter(coalition_relays::created_at.ge(since))
            .count()
            .get_result(c)
            .await?))
    }

    /// The accepted remote followers' inboxes (each shared inbox once), with
    /// their instance's cached software.
    pub async fn follower_inboxes_by_software(
        &mut self,
        followee_id: i64,
    ) -> StorageResult<Vec<FollowerInbox>> {
        let rows: Vec<(String, Option<String>, String, Option<String>)> =
            on_q!(self, |c| follows::table
                .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
                .left_join(instances::table.on(instances::domain.eq(actors::domain)))
                .filter(follows::followee_id.eq(followee_id))
                .filter(follows::state.eq(crate::model::FollowState::Accepted.as_str()))
                .filter(actors::local.eq(false))
                // Nothing is relayed to suspended followers (issue 15).
                .filter(actors::suspended_at.is_null())
                .select((
                    actors::inbox_url,
                    actors::shared_inbox_url,
                    actors::domain,
                    instances::software.nullable(),
                ))
                .load(c)
                .await?);
        let mut inboxes: Vec<FollowerInbox> = rows
            .into_iter()
            .map(|(inbox, shared, domain, software)| FollowerInbox {
                inbox: shared.unwrap_or(inbox),
                domain,
                software,
            })
            .collect();
        inboxes.sort_by(|a, b| a.inbox.cmp(&b.inbox));
        inboxes.dedup_by(|a, b| a.inbox == b.inbox);
        Ok(inboxes)
    }
}
