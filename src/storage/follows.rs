//! Follow relations between actors.

use super::{
    Q, StorageResult,
    models::{ActorRow, FollowRow, NewFollow},
    now, on_q,
    schema::{actors, follows},
};
use crate::model::FollowState;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

impl Q<'_> {
    pub async fn follow_between(
        &mut self,
        follower_id: i64,
        followee_id: i64,
    ) -> StorageResult<Option<FollowRow>> {
        on_q!(self, |c| Ok(follows::table
            .filter(follows::follower_id.eq(follower_id))
            .filter(follows::followee_id.eq(followee_id))
            .select(FollowRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn follow_by_ap_id(
        &mut self,
        follow_ap_id: &str,
    ) -> StorageResult<Option<FollowRow>> {
        on_q!(self, |c| Ok(follows::table
            .filter(follows::follow_ap_id.eq(follow_ap_id))
            .select(FollowRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Records a follow, or replaces an earlier one between the same actors
    /// (a repeated `Follow` carries a new id and restarts the request); the
    /// follow is not a campaign's ([`Q::mark_campaign_follow`]).
    pub async fn put_follow(
        &mut self,
        follower_id: i64,
        followee_id: i64,
        state: FollowState,
        follow_ap_id: &str,
    ) -> StorageResult<FollowRow> {
        let now = now();
        let row = NewFollow {
            follower_id,
            followee_id,
            state: state.as_str().to_string(),
            follow_ap_id: follow_ap_id.to_string(),
            created_at: now,
            updated_at: now,
        };
        on_q!(self, |c| Ok(diesel::insert_into(follows::table)
            .values(&row)
            .on_conflict((follows::follower_id, follows::followee_id))
            .do_update()
            .set((
                follows::state.eq(state.as_str()),
                follows::follow_ap_id.eq(follow_ap_id),
                follows::updated_at.eq(now),
                // A follow asked for again is the asker's own now, even
                // if a campaign had made it (campaigns mark theirs after).
                follows::by_campaign.eq(false),
            ))
            .returning(FollowRow::as_returning())
            .get_result(c)
            .await?))
    }

    pub async fn set_follow_state(&mut self, id: i64, state: FollowState) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::update(follows::table.find(id))
                .set((
                    follows::state.eq(state.as_str()),
                    follows::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    pub async fn delete_follow(&mut self, id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::delete(follows::table.find(id)).execute(c).await?;
            Ok(())
        })
    }

    /// The followers of an actor with their follow rows, oldest first; only the
    /// pending ones if `state` says so.
    pub async fn followers(
        &mut self,
        followee_id: i64,
        state: FollowState,
    ) -> StorageResult<Vec<(FollowRow, ActorRow)>> {
        on_q!(self, |c| Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
            .filter(follows::followee_id.eq(followee_id))
            .filter(follows::state.eq(state.as_str()))
            .order(follows::id.asc())
            .select((FollowRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// The actors an actor follows or asked to follow, oldest first.
    pub async fn following(
        &mut self,
        follower_id: i64,
    ) -> StorageResult<Vec<(FollowRow, ActorRow)>> {
        on_q!(self, |c| Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::followee_id)))
            .filter(follows::follower_id.eq(follower_id))
            .order(follows::id.asc())
            .select((FollowRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// A page of ids of accepted followers (newest first), for the followers collection.
    pub async fn follower_ids_page(
        &mut self,
        followee_id: i64,
        offset: i64,
        limit: i64,
    ) -> StorageResult<Vec<String>> {
        on_q!(self, |c| Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
            .filter(follows::followee_id.eq(followee_id))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            // Suspended accounts are not listed (issue 15).
            .filter(actors::suspended_at.is_null())
            .order(follows::id.desc())
            .offset(offset)
            .limit(limit)
            .select(actors::ap_id)
            .load(c)
            .await?))
    }

    /// A page of ids of accepted followees (newest first), for the following collection.
    pub async fn following_ids_page(
        &mut self,
        follower_id: i64,
        offset: i64,
        limit: i64,
    ) -> StorageResult<Vec<String>> {
        on_q!(self, |c| Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::followee_id)))
            .filter(follows::follower_id.eq(follower_id))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            // Suspended accounts are not listed (issue 15).
            .filter(actors::suspended_at.is_null())
            .order(follows::id.desc())
            .offset(offset)
            .limit(limit)
            .select(actors::ap_id)
            .load(c)
            .await?))
    }

    pub async fn count_followers(&mut self, followee_id: i64) -> StorageResult<i64> {
        on_q!(self, |c| Ok(follows::table
            .filter(follows::followee_id.eq(followee_id))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            // Suspended accounts do not count (issue 15).
            .filter(follows::follower_id.ne_all(super::suspension::suspended_actor_ids!()))
            .count()
            .get_result(c)
            .await?))
    }

    pub async fn count_following(&mut self, follower_id: i64) -> StorageResult<i64> {
        on_q!(self, |c| Ok(follows::table
            .filter(follows::follower_id.eq(follower_id))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            // Suspended accounts do not count (issue 15).
            .filter(follows::followee_id.ne_all(super::suspension::suspended_actor_ids!()))
            .count()
            .get_result(c)
            .await?))
    }
    /// A page of an actor's accepted followers (`followers`) or accepted
    /// followees, newest follow first, paged by follow id as Mastodon
    /// pages `/api/v1/accounts/:id/followers`; suspended actors left out.
    pub async fn relations_page(
        &mut self,
        actor_id: i64,
        followers: bool,
        page: &crate::model::Page,
    ) -> StorageResult<Vec<(FollowRow, ActorRow)>> {
        // The two directions join on different columns, so two query types.
        macro_rules! load {
            ($c:expr, $other:expr, $own:expr) => {{
                let mut query = follows::table
                    .inner_join(actors::table.on(actors::id.eq($other)))
                    .filter($own.eq(actor_id))
                    .filter(follows::state.eq(FollowState::Accepted.as_str()))
                    .filter(actors::suspended_at.is_null())
                    .select((FollowRow::as_select(), ActorRow::as_select()))
                    .limit(page.limit)
                    .into_boxed();
                if let Some(max) = page.max_id {
                    query = query.filter(follows::id.lt(max));
                }
                if let Some(since) = page.since_id.or(page.min_id) {
                    query = query.filter(follows::id.gt(since));
                }
                if page.min_id.is_some() {
                    let mut rows: Vec<(FollowRow, ActorRow)> =
                        query.order(follows::id.asc()).load($c).await?;
                    rows.reverse();
                    rows
                } else {
                    query.order(follows::id.desc()).load($c).await?
                }
            }};
        }
        on_q!(self, |c| Ok(if followers {
            load!(c, follows::follower_id, follows::followee_id)
        } else {
            load!(c, follows::followee_id, follows::follower_id)
        }))
    }
}
