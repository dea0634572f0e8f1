//! The event side table: one row per post of type `Event`.

use super::{
    Q, StorageResult,
    models::{ActorRow, EventRow, NewParticipant, ParticipantRow, PostRow},
    on_q,
    schema::{actors, events, participants, posts},
};
use crate::model::{ParticipantState, Visibility};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Whether an event has not ended by `now`: it ends at or after `now`, or,
/// without an end, starts at or after it. One rule for every listing.
macro_rules! not_ended {
    ($now:expr) => {
        events::ends_at
            .ge($now)
            .or(events::ends_at.is_null().and(events::starts_at.ge($now)))
    };
}

/// The opposite of [`not_ended`], written out: `NOT` of it would be NULL,
/// not true, for an event without an end.
macro_rules! ended {
    ($now:expr) => {
        events::ends_at
            .lt($now)
            .or(events::ends_at.is_null().and(events::starts_at.lt($now)))
    };
}

impl Q<'_> {
    pub async fn insert_event(&mut self, event: &EventRow) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(events::table)
                .values(event)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Replaces every field of an event (its post's text is edited apart).
    pub async fn update_event(&mut self, event: &EventRow) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(events::table.find(event.post_id))
                .set(event)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Stores `event` as the row of post `post_id`, replacing the one stored
    /// before (a post stored as a note before it was known as an event has
    /// none). The iCalendar `SEQUENCE` goes one up when anything a calendar
    /// shows changed, so a redelivered copy does not count as a change.
    pub async fn put_event(&mut self, post_id: i64, event: &EventRow) -> StorageResult<()> {
        let mut event = EventRow {
            post_id,
            ..event.clone()
        };
        if let Some(stored) = self.event_by_post(post_id).await? {
            let same = EventRow {
                updated_at: event.updated_at,
                participant_count: event.participant_count,
                sequence: event.sequence,
                ..stored.clone()
            } == event;
            event.sequence = stored.sequence + i64::from(!same);
            self.update_event(&event).await
        } else {
            self.insert_event(&event).await
        }
    }

    pub async fn event_by_post(&mut self, post_id: i64) -> StorageResult<Option<EventRow>> {
        on_q!(self, |c| Ok(events::table
            .find(post_id)
            .select(EventRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Upcoming public events of all local accounts, soonest first by their
    /// UTC start (so events in different zones come in the order they
    /// happen), with their authors: the instance's `/events` page. An event
    /// under way (started, not ended) still counts as upcoming.
    pub async fn upcoming_public_events(
        &mut self,
        now: NaiveDateTime,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, EventRow, ActorRow)>> {
        on_q!(self, |c| Ok(events::table
            .inner_join(posts::table.inner_join(actors::table))
            .filter(posts::local.eq(true))
            .filter(posts::deleted_at.is_null())
            // Not the events of suspended accounts (issue 15).
            .filter(actors::suspended_at.is_null())
            .filter(posts::visibility.eq(Visibility::Public.as_str()))
            .filter(not_ended!(now))
            .order((events::starts_at.asc(), events::post_id.asc()))
            .limit(limit)
            .select((
                PostRow::as_select(),
                EventRow::as_select(),
                ActorRow::as_select(),
            ))
            .load(c)
            .await?))
    }

    /// The event rows of those of `post_ids` that are events, for showing
    /// posts as statuses (one query for a whole page).
    pub async fn events_by_posts(&mut self, post_ids: &[i64]) -> StorageResult<Vec<EventRow>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        on_q!(self, |c| Ok(events::table
            .filter(events::post_id.eq_any(post_ids))
            .select(EventRow::as_select())
            .load(c)
            .await?))
    }

    /// An author's events not deleted, upcoming (not ended: ending, or
    /// starting when no end is set, at or after `now`) soonest first, or
    /// past latest first. With `visibilities`, only those levels or (with
    /// `or_mentioning`) the events mentioning that actor: the filter of
    /// `service::visibility::list_filter`, applied before the limit so a
    /// page comes back full.
    #[allow(clippy::too_many_arguments)]
    pub async fn events_of(
        &mut self,
        author_id: i64,
        visibilities: Option<&[Visibility]>,
        or_mentioning: Option<i64>,
        now: NaiveDateTime,
        past: bool,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, EventRow)>> {
        use super::schema::post_mentions;
        let visibilities: Option<Vec<&str>> =
            visibilities.map(|v| v.iter().map(|v| v.as_str()).collect());
        on_q!(self, |c| {
            let mut query = events::table
                .inner_join(posts::table)
                .filter(posts::author_id.eq(author_id))
                .filter(posts::deleted_at.is_null())
                // Not the events of suspended accounts (issue 15).
                .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
                .select((PostRow::as_select(), EventRow::as_select()))
                .limit(limit)
                .into_boxed();
            if let Some(levels) = &visibilities {
                query = match or_mentioning {
                    Some(actor_id) => query.filter(
                        posts::visibility.eq_any(levels).or(posts::id.eq_any(
                            post_mentions::table
                                .filter(post_mentions::actor_id.eq(actor_id))
                                .select(post_mentions::post_id),
                        )),
                    ),
                    None => query.filter(posts::visibility.eq_any(levels)),
                };
            }
            Ok(if past {
                query
                    .filter(ended!(now))
                    .order((events::starts_at.desc(), events::post_id.desc()))
                    .load(c)
                    .await?
            } else {
                query
                    .filter(not_ended!(now))
                    .order((events::starts_at.asc(), events::post_id.asc()))
                    .load(c)
                    .await?
            })
        })
    }
}

/// Participants of our events (issue 12): one row per event and actor.
/// Every change recounts `events.participant_count` in the same
/// transaction ([`Q::recount_participants`]).
impl Q<'_> {
    /// Writes `actor_id`'s answer to an event, replacing an earlier one.
    /// The row keeps its place on the waiting list (`updated_at`) when the
    /// state does not change, so a repeated Join does not send someone back.
    pub async fn put_participant(&mut self, new: &NewParticipant) -> StorageResult<ParticipantRow> {
        let now = super::now();
        let earlier = self.participant_of(new.event_post_id, new.actor_id).await?;
        let updated_at = match &earlier {
            Some(row) if row.state == new.state => row.updated_at,
            _ => now,
        };
        on_q!(self, |c| Ok(diesel::insert_into(participants::table)
            .values(new)
            .on_conflict((participants::event_post_id, participants::actor_id))
            .do_update()
            .set((
                participants::state.eq(&new.state),
                participants::activity_ap_id.eq(&new.activity_ap_id),
                participants::activity_kind.eq(&new.activity_kind),
                participants::message.eq(&new.message),
                participants::updated_at.eq(updated_at),
            ))
            .returning(ParticipantRow::as_returning())
            .get_result(c)
            .await?))
    }

    pub async fn participant_of(
        &mut self,
        event_post_id: i64,
        actor_id: i64,
    ) -> StorageResult<Option<ParticipantRow>> {
        on_q!(self, |c| Ok(participants::table
            .filter(participants::event_post_id.eq(event_post_id))
            .filter(participants::actor_id.eq(actor_id))
            .select(ParticipantRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// The participant whose answering activity had this id (for an Undo).
    pub async fn participant_by_activity(
        &mut self,
        activity_ap_id: &str,
    ) -> StorageResult<Option<ParticipantRow>> {
        on_q!(self, |c| Ok(participants::table
            .filter(participants::activity_ap_id.eq(activity_ap_id))
            .select(ParticipantRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    pub async fn set_participant_state(
        &mut self,
        id: i64,
        state: ParticipantState,
    ) -> StorageResult<()> {
        let now = super::now();
        on_q!(self, |c| {
            diesel::update(participants::table.find(id))
                .set((
                    participants::state.eq(state.as_str()),
                    participants::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    pub async fn delete_participant(&mut self, id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::delete(participants::table.find(id))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The first on an event's waiting list, with its actor.
    pub async fn first_waitlisted(
        &mut self,
        event_post_id: i64,
    ) -> StorageResult<Option<(ParticipantRow, ActorRow)>> {
        on_q!(self, |c| Ok(participants::table
            .inner_join(actors::table)
            .filter(participants::event_post_id.eq(event_post_id))
            .filter(participants::state.eq(ParticipantState::Waitlisted.as_str()))
            .order((participants::updated_at.asc(), participants::id.asc()))
            .select((ParticipantRow::as_select(), ActorRow::as_select()))
            .first(c)
            .await
            .optional()?))
    }

    /// Sets `events.participant_count` to the number of `going` rows and
    /// returns it. A suspended participant is not counted (issue 15):
    /// suspending and unsuspending recount its events
    /// ([`Q::events_participated`]).
    pub async fn recount_participants(&mut self, event_post_id: i64) -> StorageResult<i64> {
        on_q!(self, |c| {
            let going: i64 = participants::table
                .filter(participants::event_post_id.eq(event_post_id))
                .filter(participants::state.eq(ParticipantState::Going.as_str()))
                .filter(participants::actor_id.ne_all(super::suspension::suspended_actor_ids!()))
                .count()
                .get_result(c)
                .await?;
            diesel::update(events::table.find(event_post_id))
                .set(events::participant_count.eq(going))
                .execute(c)
                .await?;
            Ok(going)
        })
    }

    /// The actors of an event's participants in any of `states` (with
    /// their rows), oldest answer first: who hears of the event's changes
    /// and who gets its reminder.
    pub async fn participant_actors(
        &mut self,
        event_post_id: i64,
        states: &[ParticipantState],
    ) -> StorageResult<Vec<ActorRow>> {
        let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        on_q!(self, |c| Ok(participants::table
            .inner_join(actors::table)
            .filter(participants::event_post_id.eq(event_post_id))
            .filter(participants::state.eq_any(&states))
            .order((participants::updated_at.asc(), participants::id.asc()))
            .select(ActorRow::as_select())
            .load(c)
            .await?))
    }
}

/// The attendee list for staff (issue 12 item 4).
impl Q<'_> {
    /// An event's participants with their actors, optionally of one state,
    /// oldest answer first (the order the waiting list keeps).
    pub async fn participants_with_actors(
        &mut self,
        event_post_id: i64,
        state: Option<ParticipantState>,
        limit: i64,
    ) -> StorageResult<Vec<(ParticipantRow, ActorRow)>> {
        on_q!(self, |c| {
            let mut query = participants::table
                .inner_join(actors::table)
                .filter(participants::event_post_id.eq(event_post_id))
                // Not suspended accounts' answers (issue 15).
                .filter(actors::suspended_at.is_null())
                .into_boxed();
            if let Some(state) = state {
                query = query.filter(participants::state.eq(state.as_str()));
            }
            Ok(query
                .order((participants::updated_at.asc(), participants::id.asc()))
                .limit(limit)
                .select((ParticipantRow::as_select(), ActorRow::as_select()))
                .load(c)
                .await?)
        })
    }
}

/// Reminders to participants (issue 12 item 3).
impl Q<'_> {
    /// Arms an event's reminder again (it is sent at its new moment).
    pub async fn rearm_reminder(&mut self, event_post_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(events::table.find(event_post_id))
                .set(events::reminder_sent_at.eq(None::<NaiveDateTime>))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Local events, not deleted, cancelled or postponed, whose reminder is
    /// on, not yet sent and due at `now` (start − lead time ≤ now < start),
    /// soonest first. The lead time differs per event, so the comparison is
    /// made here on rows that have not started and are at most
    /// `max_minutes` ahead, which bounds what is read.
    pub async fn due_reminders(
        &mut self,
        now: NaiveDateTime,
        max_minutes: i64,
        limit: i64,
    ) -> StorageResult<Vec<DueReminder>> {
        let horizon = now + chrono::Duration::minutes(max_minutes);
        let skipped = [
            crate::model::EventStatus::Cancelled.as_str(),
            crate::model::EventStatus::Postponed.as_str(),
        ];
        let rows: Vec<(i64, NaiveDateTime, i64)> = on_q!(self, |c| events::table
            .inner_join(posts::table)
            .filter(posts::local.eq(true))
            .filter(posts::deleted_at.is_null())
            .filter(events::reminder_minutes.gt(0))
            .filter(events::reminder_sent_at.is_null())
            .filter(events::status.ne_all(skipped))
            .filter(events::starts_at.gt(now))
            .filter(events::starts_at.le(horizon))
            .order((events::starts_at.asc(), events::post_id.asc()))
            .select((events::post_id, events::starts_at, events::reminder_minutes))
            .load(c)
            .await?);
        Ok(rows
            .into_iter()
            .filter(|(_, start, minutes)| *start - chrono::Duration::minutes(*minutes) <= now)
            .map(|(event_post_id, starts_at, minutes)| DueReminder {
                event_post_id,
                starts_at,
                minutes,
            })
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    /// Claims an event's reminder for sending: true only for the one caller
    /// whose conditional update changed the row, so two processes on one
    /// database never both send it. The update also checks that the event
    /// is still as it was when found due (same start and lead time, not
    /// cancelled or postponed since, not started): an edit in between
    /// leaves it unclaimed, to be judged again at the next look. Call it
    /// inside the transaction that writes the reminders, so a failure
    /// releases the claim.
    pub async fn claim_reminder(
        &mut self,
        due: &DueReminder,
        now: NaiveDateTime,
    ) -> StorageResult<bool> {
        let skipped = [
            crate::model::EventStatus::Cancelled.as_str(),
            crate::model::EventStatus::Postponed.as_str(),
        ];
        on_q!(self, |c| {
            let changed = diesel::update(
                events::table
                    .find(due.event_post_id)
                    .filter(events::reminder_sent_at.is_null())
                    .filter(events::starts_at.eq(due.starts_at))
                    .filter(events::starts_at.gt(now))
                    .filter(events::reminder_minutes.eq(due.minutes))
                    .filter(events::status.ne_all(skipped)),
            )
            .set(events::reminder_sent_at.eq(Some(now)))
            .execute(c)
            .await?;
            Ok(changed == 1)
        })
    }
}

/// An event whose reminder is due, as it was when found: the claim checks
/// it is still so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueReminder {
    pub event_post_id: i64,
    pub starts_at: NaiveDateTime,
    pub minutes: i64,
}

/// What an account joined, for the client API (issue 12 item 5).
impl Q<'_> {
    /// `actor_id`'s participation states among the posts `post_ids`, as
    /// `(post id, state)`: the viewer's `join_state` of a page of statuses
    /// in one query.
    pub async fn participations_among(
        &mut self,
        actor_id: i64,
        post_ids: &[i64],
    ) -> StorageResult<Vec<(i64, String)>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        on_q!(self, |c| Ok(participants::table
            .filter(participants::actor_id.eq(actor_id))
            .filter(participants::event_post_id.eq_any(post_ids))
            .select((participants::event_post_id, participants::state))
            .load(c)
            .await?))
    }

    /// The events `actor_id` takes part in with one of `states`, newest
    /// join first, as `(participation id, post)`; paged by the
    /// participation's id as Mastodon pages bookmarks by the bookmark's.
    pub async fn joined_events(
        &mut self,
        actor_id: i64,
        states: &[ParticipantState],
        page: crate::model::Page,
    ) -> StorageResult<Vec<(i64, PostRow)>> {
        let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        on_q!(self, |c| {
            let mut query = participants::table
                .inner_join(posts::table)
                .filter(participants::actor_id.eq(actor_id))
                .filter(participants::state.eq_any(&states))
                .filter(posts::deleted_at.is_null())
                .into_boxed();
            if let Some(max) = page.max_id {
                query = query.filter(participants::id.lt(max));
            }
            if let Some(since) = page.since_id.or(page.min_id) {
                query = query.filter(participants::id.gt(since));
            }
            let rows = if page.min_id.is_some() {
                let mut rows: Vec<(i64, PostRow)> = query
                    .order(participants::id.asc())
                    .limit(page.limit)
                    .select((participants::id, PostRow::as_select()))
                    .load(c)
                    .await?;
                rows.reverse();
                rows
            } else {
                query
                    .order(participants::id.desc())
                    .limit(page.limit)
                    .select((participants::id, PostRow::as_select()))
                    .load(c)
                    .await?
            };
            Ok(rows)
        })
    }
}

/// Suspension (issue 15): the events whose counts a suspension changes.
impl Q<'_> {
    /// The events `actor_id` has answered (any state), to recount.
    pub async fn events_participated(&mut self, actor_id: i64) -> StorageResult<Vec<i64>> {
        on_q!(self, |c| Ok(participants::table
            .filter(participants::actor_id.eq(actor_id))
            .select(participants::event_post_id)
            .load(c)
            .await?))
    }
}
