//! The one way an activity leaves. A service builds it with a typed
//! constructor (`federation::outgoing`), queues it here for its audience
//! inside the transaction that makes the change, and calls
//! [`Outbox::committed`] after the commit, which wakes the delivery worker.
//!
//! Local actors in an audience are sent nothing over HTTP: what an activity
//! means for them (a follow's state, a notification, a home timeline) is
//! written by the service in the same transaction, by the same functions the
//! inbox uses for remote activities.

use crate::{
    context::Kuvend,
    federation::outgoing::Outgoing,
    model::ParticipantState,
    storage::{Q, StorageResult, models::ActorRow},
};

/// Who an activity goes to.
pub enum Audience<'a> {
    /// The sender's accepted followers on other instances (each instance's
    /// shared inbox once).
    FollowersOf(&'a ActorRow),
    /// Particular actors (mentioned, a post's author): each one's shared
    /// inbox when it has one.
    Actors(&'a [ActorRow]),
    /// One actor's own inbox: follows and their answers go there.
    InboxOf(&'a ActorRow),
    /// The remote participants of an event (by its post id) who are going,
    /// maybe going, pending or waitlisted, read inside the transaction:
    /// each one's shared inbox when it has one. Nobody is added to the
    /// activity's `to`/`cc`, so no participant learns who else takes part.
    ParticipantsOf(i64),
    /// An explicit list of inboxes (a coalition's relay, chosen per
    /// instance's software).
    Inboxes(&'a [String]),
}

/// The activities a transaction queued; see the module's documentation.
#[derive(Default)]
pub struct Outbox {
    deliveries: bool,
}

impl Outbox {
    /// Records `activity` as sent by `sender` and queues a delivery to every
    /// remote inbox of `audience`, in `q`'s transaction.
    pub async fn queue(
        &mut self,
        q: &mut Q<'_>,
        sender: &ActorRow,
        activity: &Outgoing,
        audience: &[Audience<'_>],
    ) -> StorageResult<()> {
        let mut inboxes = Vec::new();
        // A suspended sender's activity is recorded but sent to nobody
        // (issue 15): it must not go out on unsuspend either. Read here, in
        // the transaction, since the row in hand may predate the suspension.
        let audience = if q.is_suspended(sender.id).await? {
            &[]
        } else {
            audience
        };
        for part in audience {
            match part {
                Audience::FollowersOf(actor) => {
                    inboxes.extend(q.follower_inboxes(actor.id).await?);
                }
                Audience::Actors(actors) => {
                    // Never to an actor the sender blocks (by name or by
                    // domain), mentioned or replied to (issue 15).
                    let blocked = super::blocks::Hidden::of(q, sender.id).await?;
                    // Nor to a suspended one (issue 15).
                    inboxes.extend(
                        actors
                            .iter()
                            .filter(|a| !a.local && a.suspended_at.is_none() && !blocked.hides(a))
                            .map(|a| {
                                a.shared_inbox_url
                                    .clone()
                                    .unwrap_or_else(|| a.inbox_url.clone())
                            }),
                    )
                }
                // Nothing to a suspended actor's own inbox (issue 15).
                Audience::InboxOf(actor) if !actor.local && actor.suspended_at.is_none() => {
                    inboxes.push(actor.inbox_url.clone())
                }
                Audience::InboxOf(_) => {}
                Audience::Inboxes(list) => inboxes.extend(list.iter().cloned()),
                Audience::ParticipantsOf(event_post_id) => {
                    let reached = q
                        .participant_actors(*event_post_id, &ParticipantState::REACHED)
                        .await?;
                    inboxes.extend(
                        reached
                            .into_iter()
                            .filter(|a| !a.local && a.suspended_at.is_none())
                            .map(|a| a.shared_inbox_url.unwrap_or(a.inbox_url)),
                    )
                }
            }
        }
        inboxes.sort();
        inboxes.dedup();
        q.enqueue_activity(
            activity.id.as_str(),
            activity.kind,
            sender.id,
            &activity.body,
            &inboxes,
        )
        .await?;
        self.deliveries |= !inboxes.is_empty();
        Ok(())
    }

    /// After the transaction committed: wakes the delivery worker if anything
    /// is to be sent, so it need not wait for its next poll.
    pub fn committed(self, ctx: &Kuvend) {
        if self.deliveries {
            ctx.delivery_wakeup.notify_one();
        }
    }
}
