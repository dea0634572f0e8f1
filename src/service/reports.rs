//! Reports (issue 15 item 5): filed by our accounts through the Mastodon
//! API (and forwarded as a `Flag` from our instance actor when asked), or
//! received as another instance's `Flag`. The organisations of the
//! instance admins (never the reported account) get an `admin.report`
//! notification; the operator lists and resolves reports with the CLI.

use super::{
    ServiceError, ServiceResult,
    outbox::{Audience, Outbox},
};
use crate::{
    context::Kuvend,
    federation::{outgoing, protocol::flag::FlagReceived},
    storage::{
        Q,
        models::{ActorRow, PostRow},
        now,
        reports::{NewReport, ReportRow},
    },
    transaction,
};
use url::Url;

/// Longest comment, in characters: Mastodon's limit.
pub const COMMENT_MAX_CHARS: usize = 1000;
/// Most statuses one report names.
pub const MAX_STATUSES: usize = 50;
/// The categories Mastodon knows.
pub const CATEGORIES: [&str; 4] = ["spam", "legal", "violation", "other"];

/// A report as a client files it (`POST /api/v1/reports`).
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    pub account_id: String,
    pub status_ids: Vec<String>,
    pub comment: String,
    pub forward: bool,
    pub category: Option<String>,
    pub rule_ids: Vec<String>,
}

/// A report with the accounts and posts it names, for the API and the CLI.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub report: ReportRow,
    pub reporter: ActorRow,
    pub target: ActorRow,
    pub posts: Vec<PostRow>,
}

fn unprocessable(text: impl Into<String>) -> ServiceError {
    ServiceError::Unprocessable(text.into())
}

/// The comment as plain text, bounded; `Err` names the bound.
fn comment_text(comment: &str) -> ServiceResult<String> {
    let plain = crate::sanitize::plain(comment.trim());
    if plain.chars().count() > COMMENT_MAX_CHARS {
        return Err(unprocessable(format!(
            "comment is longer than {COMMENT_MAX_CHARS} characters"
        )));
    }
    Ok(plain)
}

/// Files a report by `reporter` (the organisation a staff member acts as);
/// forwards it as a `Flag` when asked and the target is elsewhere.
pub async fn file(
    ctx: &Kuvend,
    reporter: &ActorRow,
    user_id: Option<i64>,
    request: ReportRequest,
) -> ServiceResult<ReportView> {
    let not_found = || ServiceError::NotFound("Record not found".into());
    let target_id: i64 = request.account_id.trim().parse().map_err(|_| not_found())?;
    if request.status_ids.len() > MAX_STATUSES {
        return Err(unprocessable(format!(
            "a report names at most {MAX_STATUSES} statuses"
        )));
    }
    // kuvend has no server rules yet: naming one names nothing.
    if !request.rule_ids.is_empty() {
        return Err(unprocessable("rule_ids: this server has no rules"));
    }
    let category = request.category.as_deref().unwrap_or("other").trim();
    let category = if category.is_empty() {
        "other"
    } else {
        category
    };
    if !CATEGORIES.contains(&category) {
        return Err(unprocessable(format!(
            "category {category:?} is not one of spam, legal, violation, other"
        )));
    }
    let comment = comment_text(&request.comment)?;
    let mut post_ids = Vec::new();
    for id in &request.status_ids {
        let id: i64 = id
            .trim()
            .parse()
            .map_err(|_| unprocessable(format!("status {id:?} does not exist")))?;
        if !post_ids.contains(&id) {
            post_ids.push(id);
        }
    }
    let mut conn = ctx.db.conn().await?;
    let target = match conn.q().actor_by_id(target_id).await {
        Ok(actor) => actor,
        Err(crate::storage::StorageError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    if target.id == reporter.id {
        return Err(unprocessable("an account cannot report itself"));
    }
    let posts = conn.q().posts_by_ids(&post_ids).await?;
    for id in &post_ids {
        let found = posts.iter().find(|p| p.id == *id);
        // A post the reporter may not see answers as one that does not
        // exist: the answer must not tell whose (or whether) it is.
        let reportable = match found {
            Some(p) if p.author_id == target.id && p.deleted_at.is_none() => {
                super::visibility::may_see(&mut conn.q(), p, Some(reporter)).await?
            }
            _ => false,
        };
        if !reportable {
            return Err(unprocessable(format!(
                "status {id} is not a status of the reported account"
            )));
        }
    }
    let instance_actor = conn
        .q()
        .actor_by_ap_id(ctx.urls.instance_actor().as_str())
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("no instance actor")))?;
    drop(conn);
    let forwarded = request.forward && !target.local;
    let new = NewReport {
        reporter_actor_id: reporter.id,
        reporter_user_id: user_id,
        target_actor_id: target.id,
        status_ids: serde_json::to_string(&post_ids)
            .map_err(|e| ServiceError::Internal(e.into()))?,
        category: category.to_string(),
        comment: comment.clone(),
        forwarded,
        flag_ap_id: None,
        created_at: now(),
    };
    let flag = if forwarded {
        let ap_ids: Vec<String> = posts.iter().map(|p| p.ap_id.clone()).collect();
        Some(
            outgoing::flag(&ctx.urls, &instance_actor, &target, &ap_ids, &comment)
                .map_err(|e| ServiceError::Internal(e.into()))?,
        )
    } else {
        None
    };
    let mut outbox = Outbox::default();
    let report = transaction!(ctx.db, ServiceError, |q| {
        let report = q
            .insert_report(&new)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("report not stored")))?;
        // The report, its Flag and its delivery in one transaction.
        if let Some(flag) = &flag {
            outbox
                .queue(
                    &mut q,
                    &instance_actor,
                    flag,
                    &[Audience::Actors(std::slice::from_ref(&target))],
                )
                .await?;
        }
        notify_staff(&mut q, &target, reporter.id, report.id).await?;
        Ok(report)
    })?;
    outbox.committed(ctx);
    tracing::info!(
        report = report.id,
        target = %target.ap_id,
        forwarded,
        "report filed by {}",
        reporter.ap_id
    );
    Ok(ReportView {
        report,
        reporter: reporter.clone(),
        target,
        posts,
    })
}

/// Tells the instance's staff of a report: an `admin.report` notification,
/// from the reporter, for each organisation an instance admin (`kuvend
/// admin user instance-admin`) works for, but never for the reported
/// account itself (it must not learn who reported it, nor read the
/// comment). Without instance admins the report waits in `kuvend admin
/// reports`.
async fn notify_staff(
    q: &mut Q<'_>,
    target: &ActorRow,
    reporter_id: i64,
    report_id: i64,
) -> ServiceResult<()> {
    for recipient in q.report_recipients(target.id).await? {
        q.notify_report(recipient, reporter_id, report_id).await?;
    }
    Ok(())
}

/// An incoming `Flag`, inside the inbox's transaction: stored as a report
/// against the first of our accounts it names (or, when it names only
/// posts, their author), with the named posts of that account; whatever
/// is not ours is ignored. `None`: nothing of ours, or a repeat.
pub async fn received_flag(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    sender: &ActorRow,
    flag_id: &Url,
    flag: &FlagReceived,
) -> ServiceResult<Option<&'static str>> {
    // Servers report from their instance actor (an `Application` or a
    // `Service`: Mastodon, GoToSocial); a Flag from a person's account is
    // not a report of that server's and would let any account write into
    // an organisation's notifications.
    if !matches!(sender.ap_type.as_str(), "Application" | "Service") {
        return Ok(Some("Flag not sent by an instance actor"));
    }
    let ours = format!("{}/", ctx.settings.base_url());
    let mut target: Option<ActorRow> = None;
    let mut posts: Vec<PostRow> = Vec::new();
    for object in flag
        .objects
        .iter()
        .filter(|o| o.as_str().starts_with(&ours))
    {
        if let Some(actor) = q.actor_by_ap_id(object.as_str()).await? {
            if actor.local && target.is_none() {
                target = Some(actor);
            }
            continue;
        }
        if let Some(post) = q.post_by_ap_id(object.as_str()).await?
            && post.local
            && post.deleted_at.is_none()
        {
            posts.push(post);
        }
    }
    let target = match target {
        Some(actor) => actor,
        None => match posts.first() {
            Some(post) => q.actor_by_id(post.author_id).await?,
            None => return Ok(Some("Flag of nothing on this instance")),
        },
    };
    posts.retain(|p| p.author_id == target.id);
    posts.dedup_by_key(|p| p.id);
    // Bounded and plain as a local comment is, cut rather than refused:
    // the report matters more than its length.
    let comment: String = crate::sanitize::plain(
        flag.content
            .as_deref()
            .unwrap_or_default()
            .chars()
            .take(COMMENT_MAX_CHARS * 4)
            .collect::<String>()
            .trim(),
    )
    .chars()
    .take(COMMENT_MAX_CHARS)
    .collect();
    let post_ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let new = NewReport {
        reporter_actor_id: sender.id,
        reporter_user_id: None,
        target_actor_id: target.id,
        status_ids: serde_json::to_string(&post_ids)
            .map_err(|e| ServiceError::Internal(e.into()))?,
        category: "other".into(),
        comment,
        forwarded: false,
        flag_ap_id: Some(flag_id.to_string()),
        created_at: now(),
    };
    let Some(report) = q.insert_report(&new).await? else {
        return Ok(Some("Flag stored before"));
    };
    notify_staff(q, &target, sender.id, report.id).await?;
    tracing::info!(
        report = report.id,
        target = %target.ap_id,
        "report received from {}",
        sender.ap_id
    );
    Ok(None)
}

/// A report with what it names, for the API's entity and the CLI.
pub async fn view(ctx: &Kuvend, report: ReportRow) -> ServiceResult<ReportView> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let reporter = q.actor_by_id(report.reporter_actor_id).await?;
    let target = q.actor_by_id(report.target_actor_id).await?;
    let posts = q.posts_by_ids(&report.post_ids()).await?;
    Ok(ReportView {
        report,
        reporter,
        target,
        posts,
    })
}

/// Reports for the operator, newest first.
pub async fn list(ctx: &Kuvend, unresolved: bool) -> ServiceResult<Vec<ReportView>> {
    let rows = {
        let mut conn = ctx.db.conn().await?;
        conn.q().reports(unresolved, 1000).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(ctx, row).await?);
    }
    Ok(out)
}

pub async fn show(ctx: &Kuvend, id: i64) -> ServiceResult<ReportView> {
    let row = {
        let mut conn = ctx.db.conn().await?;
        conn.q().report(id).await?
    }
    .ok_or_else(|| ServiceError::NotFound(format!("no report {id}")))?;
    view(ctx, row).await
}

/// Marks a report resolved, with the operator's note (plain, bounded).
pub async fn resolve(ctx: &Kuvend, id: i64, note: Option<&str>) -> ServiceResult<()> {
    let note = note.map(comment_text).transpose()?;
    let mut conn = ctx.db.conn().await?;
    if !conn.q().resolve_report(id, note.as_deref()).await? {
        return Err(ServiceError::NotFound(format!("no report {id}")));
    }
    Ok(())
}
