//! Account suspension (issue 15): `kuvend admin suspend|unsuspend`. A
//! suspended actor, local or remote, keeps its rows; every listing leaves it
//! out in the query ([`crate::storage::suspension`]), single posts answer
//! "not found" through [`super::visibility::may_see`], the inbox refuses its
//! activities, deliveries to and from it are not sent, and a local one's
//! logins are refused. Unsuspending clears the mark and everything is back.

use super::{ServiceError, ServiceResult, accounts::known_account, follows::resolve_remote_actor};
use crate::{
    federation::FedData,
    model::ActorKind,
    storage::{Q, models::ActorRow},
};

/// Finds the account: a local username, a handle (`user@host`) or an actor
/// URL; a remote one we do not hold yet is asked of its server and stored,
/// so that it is refused from its first activity. The instance actor is
/// never an account.
async fn account(data: &FedData, text: &str) -> ServiceResult<ActorRow> {
    let trimmed = text.trim();
    if let Some(actor) = known_account(data, trimmed).await? {
        return Ok(actor);
    }
    let remote = trimmed.starts_with("https://")
        || trimmed.starts_with("http://")
        || trimmed.trim_start_matches('@').contains('@');
    if !remote {
        return Err(ServiceError::NotFound(format!(
            "no account {trimmed:?} on this instance"
        )));
    }
    let actor = resolve_remote_actor(data, trimmed).await?;
    if actor.kind() == ActorKind::Application {
        return Err(ServiceError::Unprocessable(format!(
            "{trimmed} is an instance actor, not an account"
        )));
    }
    Ok(actor)
}

/// Suspends (or with `suspended` false, unsuspends) an account; returns it
/// as stored. Suspending twice keeps the first date.
pub async fn set(data: &FedData, text: &str, suspended: bool) -> ServiceResult<ActorRow> {
    let actor = account(data, text).await?;
    if actor.suspended_at.is_some() == suspended {
        return Ok(actor);
    }
    // The participant counts of the events it answered leave it out (or
    // count it again), in the same transaction as the mark.
    // Its queued deliveries, and those to its own inbox (not a shared one,
    // which serves its neighbours too), are given up in the same
    // transaction: they must not all go out on unsuspend. New ones are not
    // queued while it is suspended ([`super::outbox::Outbox::queue`]).
    let own_inbox = (actor.shared_inbox_url.as_deref() != Some(actor.inbox_url.as_str()))
        .then_some(actor.inbox_url.as_str());
    Ok(crate::transaction!(data.db, |q| {
        let row = q.set_suspended(actor.id, suspended).await?;
        if suspended {
            q.give_up_deliveries_of(actor.id, own_inbox, GIVEN_UP)
                .await?;
        }
        for event in q.events_participated(actor.id).await? {
            q.recount_participants(event).await?;
        }
        Ok(row)
    })?)
}

/// Why a suspended account's deliveries were given up, as the queue shows.
const GIVEN_UP: &str = "the account is suspended";

/// Every suspended account.
pub async fn list(data: &FedData) -> ServiceResult<Vec<ActorRow>> {
    let mut conn = data.db.conn().await?;
    Ok(conn.q().suspended_actors().await?)
}

/// Whether the actor with this id is suspended.
pub async fn is_suspended(q: &mut Q<'_>, actor_id: i64) -> ServiceResult<bool> {
    Ok(q.is_suspended(actor_id).await?)
}

/// The refusal of a suspended account's request (Mastodon answers 403 with
/// "Your login is currently disabled" for its own users).
pub fn refused(actor: &ActorRow) -> ServiceError {
    ServiceError::Forbidden(format!("the account {} is suspended", actor.handle()))
}
