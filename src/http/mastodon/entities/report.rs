//! Mastodon's `Report` entity (docs.joinmastodon.org/entities/Report).

use super::{Account, iso};
use crate::federation::FedData;
use crate::service::{client::AccountData, reports::ReportView};
use serde::Serialize;

/// A report filed by the viewer, or (in an `admin.report` notification)
/// one about the viewer's organisation.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Database id, as a string.
    pub id: String,
    /// Whether an operator acted on it (resolved it).
    pub action_taken: bool,
    /// When it was resolved; `null` while open.
    pub action_taken_at: Option<String>,
    /// `spam`, `legal`, `violation` or `other`.
    pub category: String,
    /// The reporter's comment, plain text.
    pub comment: String,
    /// Whether it was forwarded to the reported account's instance.
    pub forwarded: bool,
    /// When it was filed.
    pub created_at: String,
    /// The reported statuses' ids.
    pub status_ids: Vec<String>,
    /// The server rules named; kuvend has none, so always `null`.
    pub rule_ids: Option<Vec<String>>,
    /// The reported account.
    pub target_account: Account,
}

impl Report {
    pub fn new(data: &FedData, view: &ReportView, target: &AccountData) -> Report {
        let r = &view.report;
        Report {
            id: r.id.to_string(),
            action_taken: r.resolved_at.is_some(),
            action_taken_at: r.resolved_at.map(iso),
            category: r.category.clone(),
            comment: r.comment.clone(),
            forwarded: r.forwarded,
            created_at: iso(r.created_at),
            status_ids: r.post_ids().iter().map(i64::to_string).collect(),
            rule_ids: None,
            target_account: Account::new(data, target),
        }
    }
}
