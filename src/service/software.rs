//! What software another instance runs (issue 13: an invitation goes as an
//! `Invite` only where it is understood, as a poll where it certainly is
//! not, and stays pending where we cannot tell). Read from the instance's
//! NodeInfo and cached on its `instances` row.

use super::ServiceResult;
use crate::{
    context::Kuvend,
    federation::nodeinfo::{self, SOFTWARE_NAME, Software},
    storage::now,
};
use chrono::Duration;

/// What an instance runs, as far as we know: `None` when its NodeInfo gave
/// no usable answer (within `federation.software_unknown_cache_minutes`).
///
/// The cached answer is used while it is fresh; otherwise NodeInfo is asked
/// (outside any transaction: it is a network request) and the answer, or
/// its absence, stored. A failure to ask is "unknown", never a failure of
/// the instance: its delivery health is not touched.
pub async fn instance_software(ctx: &Kuvend, domain: &str) -> ServiceResult<Option<Software>> {
    let domain = domain.trim().to_ascii_lowercase();
    if domain == ctx.settings.instance.domain.to_ascii_lowercase() {
        return Ok(Some(Software {
            name: SOFTWARE_NAME.into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }));
    }
    let federation = &ctx.settings.federation;
    let known_for = hours(federation.software_cache_hours);
    let unknown_for = minutes(federation.software_unknown_cache_minutes);
    {
        let mut conn = ctx.db.conn().await?;
        if let Some(row) = conn.q().instance(&domain).await? {
            if let Some(checked_at) = row.software_checked_at {
                let ttl = if row.software.is_some() {
                    known_for
                } else {
                    unknown_for
                };
                if checked_at + ttl > now() {
                    return Ok(row.software.map(|name| Software {
                        name,
                        version: row.software_version,
                    }));
                }
            }
        }
    }
    let checked_at = now();
    let software = match nodeinfo::software_of(ctx, &domain).await {
        Ok(software) => Some(software),
        Err(error) => {
            tracing::debug!(%domain, %error, "no usable NodeInfo; software unknown");
            None
        }
    };
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .record_instance_software(
            &domain,
            software.as_ref().map(|s| s.name.as_str()),
            software.as_ref().and_then(|s| s.version.as_deref()),
            checked_at,
        )
        .await?;
    Ok(software)
}

/// The software an actor's server runs as last cached (lowercased), or
/// `None` when never asked; no request is made (this runs inside the
/// inbox's transaction). Instances are keyed by the host of their actors'
/// ids, which may differ from a handle's domain.
pub async fn cached_software_of(
    q: &mut crate::storage::Q<'_>,
    actor: &crate::storage::models::ActorRow,
) -> ServiceResult<Option<String>> {
    let Ok(id) = url::Url::parse(&actor.ap_id) else {
        return Ok(None);
    };
    let host = crate::federation::actors::authority(&id);
    Ok(q.instance(&host).await?.and_then(|row| row.software))
}

/// Makes sure what a remote actor's server runs is cached before we start
/// a conversation whose answers depend on it (a Mobilizon moderator may
/// answer for its group: [`cached_software_of`] is asked then, inside a
/// transaction). Best effort: unknown stays unknown.
pub async fn learn_software_of(ctx: &Kuvend, actor: &crate::storage::models::ActorRow) {
    if actor.local {
        return;
    }
    let Ok(id) = url::Url::parse(&actor.ap_id) else {
        return;
    };
    let host = crate::federation::actors::authority(&id);
    if let Err(error) = instance_software(ctx, &host).await {
        tracing::debug!(%host, %error, "software not learnt");
    }
}

// Bounded so that an absurd setting cannot overflow the date arithmetic.
fn hours(n: u64) -> Duration {
    Duration::hours(n.min(1_000_000) as i64)
}

fn minutes(n: u64) -> Duration {
    Duration::minutes(n.min(60_000_000) as i64)
}

/// Whether software of this NodeInfo name handles a coalition's `Invite`:
/// `Some(true)` where it is known to (kuvend, Mobilizon),
/// `Some(false)` where its source or documentation shows it drops one
/// (Mastodon, Friendica, GoToSocial: send a poll there) or refuses ours
/// (Smithereen reads a group `Invite` only from a Person, and our inviter
/// is always an organisation: research pitfall 10), `None` for
/// everything else, unknown software included (the invitation stays
/// pending; never decided on a guess). Sources: docs/research/coalitions.md
/// section 4.2; the table is in docs/coalitions.md.
pub fn understands_invite(software: Option<&str>) -> Option<bool> {
    let name = software?.trim().to_ascii_lowercase();
    match name.as_str() {
        SOFTWARE_NAME | "mobilizon" => Some(true),
        "mastodon" | "friendica" | "gotosocial" | "smithereen" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::understands_invite;

    #[test]
    fn software_that_handles_invite_is_known() {
        assert_eq!(understands_invite(Some("kuvend")), Some(true));
        // Mobilizon sends its name capitalised.
        assert_eq!(understands_invite(Some("Mobilizon")), Some(true));
    }

    #[test]
    fn software_that_drops_invite_gets_a_poll() {
        assert_eq!(understands_invite(Some("mastodon")), Some(false));
        assert_eq!(understands_invite(Some("friendica")), Some(false));
        assert_eq!(understands_invite(Some("gotosocial")), Some(false));
        // It answers our organisation's Invite with 400 (Person inviters only).
        assert_eq!(understands_invite(Some("smithereen")), Some(false));
    }

    #[test]
    fn unchecked_or_unknown_software_is_not_guessed() {
        for name in [
            "pleroma",
            "akkoma",
            "misskey",
            "lemmy",
            "piefed",
            "pixelfed",
            "hometown",
            "something-new",
        ] {
            assert_eq!(understands_invite(Some(name)), None, "{name}");
        }
        assert_eq!(understands_invite(None), None);
        assert_eq!(understands_invite(Some("")), None);
    }
}
