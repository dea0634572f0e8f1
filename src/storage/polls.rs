//! RSVP polls (issue 12 item 2): the direct `Question` an organisation sends
//! to a Mastodon user who asked to answer one of its events, one per event
//! and person.

use super::{Q, StorageResult, on_q, schema::rsvp_polls};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A poll as stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = rsvp_polls)]
pub struct RsvpPollRow {
    pub id: i64,
    /// The `Question` post.
    pub poll_post_id: i64,
    /// The event it asks about.
    pub event_post_id: i64,
    /// The person it was sent to, the only one whose vote counts.
    pub actor_id: i64,
    /// The option names as sent, a JSON array: going, maybe, not going.
    pub options: String,
    /// Its `endTime`.
    pub ends_at: NaiveDateTime,
    /// The option index voted, if any.
    pub vote: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl RsvpPollRow {
    /// The option names as sent.
    pub fn option_names(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }
}

/// A poll to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = rsvp_polls)]
pub struct NewRsvpPoll {
    pub poll_post_id: i64,
    pub event_post_id: i64,
    pub actor_id: i64,
    pub options: String,
    pub ends_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl Q<'_> {
    /// Stores a poll; false if this person already has one for the event
    /// (UNIQUE (event, person)), in which case nothing is written.
    pub async fn insert_rsvp_poll(&mut self, new: &NewRsvpPoll) -> StorageResult<bool> {
        on_q!(self, |c| Ok(diesel::insert_into(rsvp_polls::table)
            .values(new)
            .on_conflict((rsvp_polls::event_post_id, rsvp_polls::actor_id))
            .do_nothing()
            .execute(c)
            .await?
            == 1))
    }

    /// The poll this person was sent for an event, if any.
    pub async fn rsvp_poll_of(
        &mut self,
        event_post_id: i64,
        actor_id: i64,
    ) -> StorageResult<Option<RsvpPollRow>> {
        on_q!(self, |c| Ok(rsvp_polls::table
            .filter(rsvp_polls::event_post_id.eq(event_post_id))
            .filter(rsvp_polls::actor_id.eq(actor_id))
            .select(RsvpPollRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The poll whose `Question` is this post, if it is one.
    pub async fn rsvp_poll_by_post(
        &mut self,
        poll_post_id: i64,
    ) -> StorageResult<Option<RsvpPollRow>> {
        on_q!(self, |c| Ok(rsvp_polls::table
            .filter(rsvp_polls::poll_post_id.eq(poll_post_id))
            .select(RsvpPollRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// Records the option voted.
    pub async fn set_rsvp_poll_vote(&mut self, id: i64, vote: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(rsvp_polls::table.find(id))
                .set(rsvp_polls::vote.eq(Some(vote)))
                .execute(c)
                .await?;
            Ok(())
        })
    }
}
