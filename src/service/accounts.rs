//! Finding accounts by what people type: `name`, `name@host`, `@name@host` or
//! an actor URL. One place, so that the client API's lookup and search and the
//! admin commands resolve a handle the same way.

use super::{ServiceError, ServiceResult, follows::resolve_remote_actor};
use crate::{context::Kuvend, federation::FedData, model::ActorKind, storage::models::ActorRow};

/// An account we already know, without asking any server: a bare name or a
/// handle on our own domain is a local account, other handles and URLs are
/// looked up among the actors we have stored. The instance actor is never an
/// account.
pub async fn known_account(ctx: &Kuvend, query: &str) -> ServiceResult<Option<ActorRow>> {
    let query = query.trim();
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let found = if is_url(query) {
        q.actor_by_ap_id(query).await?
    } else {
        let handle = query.trim_start_matches('@');
        match handle.split_once('@') {
            Some((user, host)) if !is_own_domain(ctx, host) => {
                q.remote_actor_by_handle(user, host).await?
            }
            Some((user, _)) => q.local_actor_by_username(user).await?,
            None => q.local_actor_by_username(handle).await?,
        }
    };
    Ok(found.filter(|actor| actor.kind() != ActorKind::Application))
}

/// As [`known_account`]; a remote handle or URL not known yet is asked of
/// its server when `resolve` is set (a failure there is "not found").
pub async fn find_account(
    data: &FedData,
    query: &str,
    resolve: bool,
) -> ServiceResult<Option<ActorRow>> {
    if let Some(found) = known_account(data, query).await? {
        // A suspended account is not found (issue 15).
        return Ok(found.suspended_at.is_none().then_some(found));
    }
    let remote = is_url(query) || query.trim_start_matches('@').contains('@');
    if !(resolve && remote) {
        return Ok(None);
    }
    Ok(resolve_remote_actor(data, query)
        .await
        .ok()
        .filter(|actor| actor.kind() != ActorKind::Application))
}

/// As [`known_account`], and not finding it is an error that names it.
pub async fn known_account_or_404(ctx: &Kuvend, query: &str) -> ServiceResult<ActorRow> {
    known_account(ctx, query)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no known actor {:?}", query.trim())))
}

fn is_url(query: &str) -> bool {
    query.starts_with("https://") || query.starts_with("http://")
}

fn is_own_domain(ctx: &Kuvend, host: &str) -> bool {
    host.eq_ignore_ascii_case(&ctx.settings.instance.domain)
}
