//! The instance's domain policy as the admin changes it (issue 15): domain
//! blocks (`suspend`, `silence`, `noop`, with `reject_media`), the
//! allow-list, and who may follow an organisation. The checks themselves
//! are answered by [`crate::federation::domain_policy`] from the snapshot
//! held on the context.

use super::{ServiceError, ServiceResult};
use crate::{
    context::Kuvend,
    federation::domain_policy::{Severity, covers, normalize_domain},
    storage::domain_policy::{DomainBlockRow, NewDomainBlock},
    transaction,
};

/// A block as the admin asks for it.
pub struct BlockRequest<'a> {
    /// As typed; normalised here.
    pub domain: &'a str,
    pub severity: Severity,
    pub reject_media: bool,
    pub reason: Option<&'a str>,
    /// The reason is for the operators only.
    pub private: bool,
}

/// What a block did.
pub struct BlockAdded {
    pub domain: String,
    /// Remote actors removed with their follows and content (suspend only).
    pub actors_removed: usize,
}

/// The longest reason kept.
const MAX_REASON_CHARS: usize = 1000;

/// A domain typed by the admin, normalised, or a one-line refusal; our own
/// domain (or a parent of it) is refused.
pub(crate) fn admin_domain(ctx: &Kuvend, domain: &str) -> ServiceResult<String> {
    let normalised = normalize_domain(domain)
        .map_err(|why| ServiceError::Unprocessable(format!("{domain:?}: {why}")))?;
    if covers(&normalised, &ctx.settings.instance.domain) {
        return Err(ServiceError::Unprocessable(format!(
            "{normalised} is this instance's own domain"
        )));
    }
    Ok(normalised)
}

/// Adds (or replaces) a domain block. A suspension also removes, in the
/// same transaction, every remote actor of the domain and its subdomains we
/// hold, and with them (by cascade) their follows both ways, their posts,
/// boosts, reactions, RSVPs and memberships: Mastodon's suspend does the
/// same; unblocking does not bring them back (they are fetched anew).
pub async fn block(ctx: &Kuvend, request: BlockRequest<'_>) -> ServiceResult<BlockAdded> {
    let domain = admin_domain(ctx, request.domain)?;
    let reason: Option<String> = request
        .reason
        .map(|r| r.trim().chars().take(MAX_REASON_CHARS).collect::<String>())
        .filter(|r| !r.is_empty());
    let (public_comment, private_comment) = if request.private {
        (None, reason.as_deref())
    } else {
        (reason.as_deref(), None)
    };
    let actors_removed = transaction!(ctx.db, ServiceError, |q| {
        let existing = q.domain_blocks().await?;
        if let Some(parent) =
            covering_parent(&existing, &domain, request.severity, request.reject_media)
        {
            return Err(ServiceError::Unprocessable(format!(
                "{domain} is already covered by the block of {} ({}{}): this entry would change nothing",
                parent.domain,
                parent.severity,
                if parent.reject_media {
                    ", reject-media"
                } else {
                    ""
                },
            )));
        }
        let hosts = q.remote_actor_domains().await?;
        apply_block(
            &mut q,
            &hosts,
            &NewDomainBlock {
                domain: &domain,
                severity: request.severity.as_str(),
                reject_media: request.reject_media,
                public_comment,
                private_comment,
                source: None,
            },
        )
        .await
    })?;
    ctx.domain_policy.invalidate();
    Ok(BlockAdded {
        domain,
        actors_removed,
    })
}

/// The block on a parent domain of `domain` that already does all a new
/// entry would: the most severe covering entry wins (see
/// [`crate::federation::domain_policy::Snapshot::block`]), so a milder or
/// equal entry on a subdomain has no effect, and an admin who adds one
/// would believe it does something.
fn covering_parent<'a>(
    existing: &'a [DomainBlockRow],
    domain: &str,
    severity: Severity,
    reject_media: bool,
) -> Option<&'a DomainBlockRow> {
    let rank = |s: Severity| match s {
        Severity::Noop => 0,
        Severity::Silence => 1,
        Severity::Suspend => 2,
    };
    existing.iter().find(|parent| {
        let Some(parent_severity) = Severity::parse(&parent.severity) else {
            return false;
        };
        parent.domain != domain
            && covers(&parent.domain, domain)
            && rank(parent_severity) >= rank(severity)
            // Nothing comes in from a suspended domain, media included.
            && (parent.reject_media || !reject_media || parent_severity == Severity::Suspend)
    })
}

/// Writes a block (the admin's or a subscribed list's: one code path) in
/// the caller's transaction; a suspension also removes the remote actors
/// of the domain and its subdomains among `known_hosts` (the domains of the
/// remote actors we hold, loaded once by the caller). The caller
/// invalidates the policy snapshot after the commit. Returns the actors
/// removed.
pub(crate) async fn apply_block(
    q: &mut crate::storage::Q<'_>,
    known_hosts: &[String],
    block: &NewDomainBlock<'_>,
) -> ServiceResult<usize> {
    apply_blocks(q, known_hosts, std::slice::from_ref(block)).await
}

/// Rows per multi-row statement when writing many blocks (a subscribed
/// list's): 500 rows of 7 values stay far below SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters.
pub(crate) const BATCH_ROWS: usize = 500;

/// [`apply_block`] for many blocks at once, in batches: one upsert
/// statement per [`BATCH_ROWS`] blocks, then the remote actors covered by
/// any of the suspensions among them removed, each known host matched
/// once against all of them.
pub(crate) async fn apply_blocks(
    q: &mut crate::storage::Q<'_>,
    known_hosts: &[String],
    blocks: &[NewDomainBlock<'_>],
) -> ServiceResult<usize> {
    for chunk in blocks.chunks(BATCH_ROWS) {
        q.upsert_domain_blocks(chunk).await?;
    }
    // Only the admin's own suspensions purge: a subscribed list's (a third
    // party's text) would cut our organisations from their followers for
    // good, and retracting it could not bring them back. The inbox, fetch
    // and delivery refusals already stop all contact with the domain.
    let suspended: std::collections::HashSet<&str> = blocks
        .iter()
        .filter(|b| b.source.is_none() && Severity::parse(b.severity) == Some(Severity::Suspend))
        .map(|b| b.domain)
        .collect();
    if suspended.is_empty() {
        return Ok(0);
    }
    let covered: Vec<String> = known_hosts
        .iter()
        .filter(|host| crate::federation::domain_policy::covered_by_any(&suspended, host))
        .cloned()
        .collect();
    let mut removed = 0;
    for chunk in covered.chunks(BATCH_ROWS) {
        let ids = q.remote_actor_ids_on(chunk).await?;
        for id in &ids {
            q.delete_actor(*id).await?;
        }
        removed += ids.len();
    }
    Ok(removed)
}

/// Removes a domain block.
pub async fn unblock(ctx: &Kuvend, domain: &str) -> ServiceResult<String> {
    let domain = normalize_domain(domain)
        .map_err(|why| ServiceError::Unprocessable(format!("{domain:?}: {why}")))?;
    let mut conn = ctx.db.conn().await?;
    // A subscribed list's block would come back at the list's next read.
    if let Some(source) = conn
        .q()
        .domain_blocks()
        .await?
        .into_iter()
        .find(|b| b.domain == domain)
        .and_then(|b| b.source)
    {
        return Err(ServiceError::Unprocessable(format!(
            "{domain} is blocked by block list {source} and would be blocked again at its next read; \
             to exempt it: kuvend admin domain-block add {domain} --severity noop"
        )));
    }
    if !conn.q().delete_domain_block(&domain).await? {
        return Err(ServiceError::NotFound(format!("{domain} is not blocked")));
    }
    ctx.domain_policy.invalidate();
    Ok(domain)
}

/// Every domain block.
pub async fn blocks(ctx: &Kuvend) -> ServiceResult<Vec<DomainBlockRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().domain_blocks().await?)
}

/// A block as Mastodon's `GET /api/v1/instance/domain_blocks` shows it.
pub struct PublicBlock {
    pub domain: String,
    /// SHA-256 of the domain, lower-case hex.
    pub digest: String,
    /// `silence` or `suspend`.
    pub severity: &'static str,
    /// Only a public reason.
    pub comment: Option<String>,
}

/// The blocks the public may see: suspensions and silences (a `noop` is no
/// block), with public reasons only.
pub async fn public_blocks(ctx: &Kuvend) -> ServiceResult<Vec<PublicBlock>> {
    Ok(blocks(ctx)
        .await?
        .into_iter()
        .filter_map(|row| {
            let severity = match Severity::parse(&row.severity)? {
                Severity::Suspend => "suspend",
                Severity::Silence => "silence",
                Severity::Noop => return None,
            };
            let digest =
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, row.domain.as_bytes())
                    .as_ref()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
            Some(PublicBlock {
                domain: row.domain,
                digest,
                severity,
                comment: row.public_comment,
            })
        })
        .collect())
}

/// Adds a domain to the allow-list; false if it was there.
pub async fn allow(ctx: &Kuvend, domain: &str) -> ServiceResult<(String, bool)> {
    let domain = admin_domain(ctx, domain)?;
    let mut conn = ctx.db.conn().await?;
    let added = conn.q().insert_domain_allow(&domain).await?;
    ctx.domain_policy.invalidate();
    Ok((domain, added))
}

/// Removes a domain from the allow-list.
pub async fn disallow(ctx: &Kuvend, domain: &str) -> ServiceResult<String> {
    let domain = normalize_domain(domain)
        .map_err(|why| ServiceError::Unprocessable(format!("{domain:?}: {why}")))?;
    let mut conn = ctx.db.conn().await?;
    if !conn.q().delete_domain_allow(&domain).await? {
        return Err(ServiceError::NotFound(format!(
            "{domain} is not on the allow-list"
        )));
    }
    ctx.domain_policy.invalidate();
    Ok(domain)
}

/// The allow-list.
pub async fn allows(ctx: &Kuvend) -> ServiceResult<Vec<String>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().domain_allows().await?)
}

/// Who may follow an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowersFrom {
    Anyone,
    Allowlist,
}

impl FollowersFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowersFrom::Anyone => "anyone",
            FollowersFrom::Allowlist => "allowlist",
        }
    }
}

/// Sets who may follow an organisation (`kuvend admin org update`).
pub async fn set_followers_from(
    ctx: &Kuvend,
    org: &str,
    value: FollowersFrom,
) -> ServiceResult<()> {
    let org = super::orgs::organization(ctx, org).await?;
    let mut conn = ctx.db.conn().await?;
    conn.q().set_followers_from(org.id, value.as_str()).await?;
    Ok(())
}

/// Whether `follower_host` may follow (or reply visibly to) the local actor
/// `org_id`: always, unless the org restricts followers to the allow-list.
pub(crate) async fn may_follow(
    ctx: &Kuvend,
    q: &mut crate::storage::Q<'_>,
    org_id: i64,
    follower_host: &str,
) -> ServiceResult<bool> {
    if q.followers_from(org_id).await?.as_deref() != Some("allowlist") {
        return Ok(true);
    }
    Ok(ctx.policy().await.allowed(follower_host))
}

/// What public listings (public and tag timelines, tag pages) leave out
/// under the domain policy (issue 15): remote authors on silenced domains
/// and on domains no longer federated with, as exact domains for the
/// storage query to filter before its limit. Reads only the domains of
/// actors new since the snapshot last matched them.
pub(crate) async fn public_authors(
    ctx: &Kuvend,
    q: &mut crate::storage::Q<'_>,
) -> ServiceResult<crate::storage::domain_policy::AuthorDomains> {
    let policy = ctx.policy().await;
    let fresh = q.remote_actor_domains_after(policy.known_after()).await?;
    Ok(policy.author_domains(fresh))
}
