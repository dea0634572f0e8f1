//! Accounts, how the viewer relates to them, and the viewer's own settings.

use super::iso_midnight;
use crate::federation::FedData;
use crate::model::ActorKind;
use crate::service::client::{AccountData, RelationshipData};
use serde::Serialize;
use serde_json::Value;

/// A custom emoji used in display names, bios and posts.
#[derive(Debug, Clone, Serialize)]
pub struct CustomEmoji {
    /// The name, without colons.
    pub shortcode: String,
    /// URL of the image.
    pub url: String,
    /// URL of a non-animated copy.
    pub static_url: String,
    /// Whether it is offered in the emoji picker.
    pub visible_in_picker: bool,
    /// Picker category, if any.
    pub category: Option<String>,
}

/// A profile metadata field.
#[derive(Debug, Clone, Serialize)]
pub struct AccountField {
    /// The label.
    pub name: String,
    /// The value, as HTML.
    pub value: String,
    /// When a link in `value` was verified (rel=me), if it was.
    pub verified_at: Option<String>,
}

/// A user of the network and their profile.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Database id, as a string.
    pub id: String,
    /// The username, without domain.
    pub username: String,
    /// `username` for local accounts, `username@domain` for remote ones.
    pub acct: String,
    /// The profile's display name.
    pub display_name: String,
    /// Whether follows need approval.
    pub locked: bool,
    /// Whether the account is automated (Application or Service actor).
    pub bot: bool,
    /// Whether the account may be featured in the directory.
    pub discoverable: bool,
    /// Whether public posts may be indexed for search.
    pub indexable: bool,
    /// Whether the account is a group (a coalition, in kuvend).
    pub group: bool,
    /// The day the account was created, at midnight UTC.
    pub created_at: String,
    /// The bio, as HTML.
    pub note: String,
    /// The profile page.
    pub url: String,
    /// The ActivityPub actor id.
    pub uri: String,
    /// Avatar image URL.
    pub avatar: String,
    /// Non-animated avatar image URL.
    pub avatar_static: String,
    /// Header image URL.
    pub header: String,
    /// Non-animated header image URL.
    pub header_static: String,
    /// Number of followers.
    pub followers_count: i64,
    /// Number of accounts followed.
    pub following_count: i64,
    /// Number of posts.
    pub statuses_count: i64,
    /// Day of the last post (`YYYY-MM-DD`), if any.
    pub last_status_at: Option<String>,
    /// Custom emoji in the display name and bio.
    pub emojis: Vec<CustomEmoji>,
    /// Profile metadata fields.
    pub fields: Vec<AccountField>,
    /// Whether the follower and following lists are hidden.
    pub hide_collections: Option<bool>,
    /// Whether the account opted out of search engine indexing (local only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noindex: Option<bool>,
    /// Displayed roles: none, kuvend's roles are within organisations.
    pub roles: Vec<Value>,
    /// `true` when an admin suspended the account (issue 15); absent
    /// otherwise, as on Mastodon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
}

impl Account {
    /// An account with its counts. Actors without images get the
    /// placeholders served at `/avatars/original/missing.png` and
    /// `/headers/original/missing.png`, as Mastodon does, because apps
    /// expect a URL there.
    pub fn new(data: &FedData, account: &AccountData) -> Account {
        let row = &account.actor;
        let base = data.urls.base();
        let local = row.local
            || row
                .domain
                .eq_ignore_ascii_case(&data.settings.instance.domain);
        let kind = row.kind();
        let avatar = row
            .icon_url
            .clone()
            .unwrap_or_else(|| format!("{base}/avatars/original/missing.png"));
        let header = row
            .image_url
            .clone()
            .filter(|_| row.suspended_at.is_none())
            .unwrap_or_else(|| format!("{base}/headers/original/missing.png"));
        // A suspended account shows only who it is, as on Mastodon: no
        // name, bio or avatar of its own, nothing locked or discoverable
        // (its counts are 0, `client::account_data`).
        let suspended = row.suspended_at.is_some();
        let avatar = if suspended {
            format!("{base}/avatars/original/missing.png")
        } else {
            avatar
        };
        let mut account = Account {
            id: row.id.to_string(),
            username: row.username.clone(),
            acct: if local {
                row.username.clone()
            } else {
                row.handle()
            },
            display_name: row.display_name.clone(),
            locked: row.manually_approves_followers,
            bot: matches!(kind, ActorKind::Application | ActorKind::Service),
            discoverable: row.discoverable,
            indexable: row.discoverable,
            group: kind == ActorKind::Coalition,
            created_at: iso_midnight(row.published_at),
            note: row.summary.clone(),
            url: row.profile_url.clone().unwrap_or_else(|| row.ap_id.clone()),
            uri: row.ap_id.clone(),
            avatar_static: avatar.clone(),
            avatar,
            header_static: header.clone(),
            header,
            followers_count: account.counts.followers,
            following_count: account.counts.following,
            statuses_count: account.counts.statuses,
            last_status_at: account
                .counts
                .last_status_at
                .map(|t| t.format("%Y-%m-%d").to_string()),
            emojis: Vec::new(),
            fields: if suspended {
                Vec::new()
            } else {
                crate::service::profile::fields_of(row)
                    .into_iter()
                    .map(|f| AccountField {
                        name: f.name,
                        value: f.value_html,
                        verified_at: f.verified_at.map(|t| t.to_rfc3339()),
                    })
                    .collect()
            },
            hide_collections: None,
            noindex: local.then_some(!row.discoverable),
            roles: Vec::new(),
            suspended: None,
        };
        if suspended {
            account.display_name = String::new();
            account.note = String::new();
            account.locked = false;
            account.bot = false;
            account.discoverable = false;
            account.indexable = false;
            account.suspended = Some(true);
        }
        account
    }
}

/// Defaults for new posts and the bio as typed, for the signed-in account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSource {
    /// Default visibility of new posts.
    pub privacy: String,
    /// Whether new posts are marked sensitive by default.
    pub sensitive: bool,
    /// Default language of new posts; empty when none is set.
    pub language: String,
    /// The bio as plain text.
    pub note: String,
    /// Profile fields as plain text.
    pub fields: Vec<AccountField>,
    /// Number of pending follow requests.
    pub follow_requests_count: i64,
}

/// The signed-in user's own account, from `verify_credentials`.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialAccount {
    /// The public account.
    #[serde(flatten)]
    pub account: Account,
    /// Defaults and raw profile text.
    pub source: AccountSource,
}

/// How the viewer and another account relate.
#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    /// The other account's id.
    pub id: String,
    /// Whether the viewer follows it.
    pub following: bool,
    /// Whether its boosts show in the viewer's home timeline.
    pub showing_reblogs: bool,
    /// Whether the viewer is notified of its posts.
    pub notifying: bool,
    /// Languages the viewer follows it in, if restricted.
    pub languages: Option<Vec<String>>,
    /// Whether it follows the viewer.
    pub followed_by: bool,
    /// Whether the viewer blocks it.
    pub blocking: bool,
    /// Whether it blocks the viewer.
    pub blocked_by: bool,
    /// Whether the viewer mutes it.
    pub muting: bool,
    /// Whether the viewer mutes its notifications.
    pub muting_notifications: bool,
    /// Whether the viewer's follow request is pending.
    pub requested: bool,
    /// Whether its follow request to the viewer is pending.
    pub requested_by: bool,
    /// Whether the viewer blocks its domain.
    pub domain_blocking: bool,
    /// Whether the viewer features it on their profile.
    pub endorsed: bool,
    /// The viewer's private note on it.
    pub note: String,
}

impl From<&RelationshipData> for Relationship {
    /// kuvend has no notes or endorsements yet, nobody is told they are
    /// blocked (`blocked_by`), and boosts always show for a followed account.
    fn from(r: &RelationshipData) -> Relationship {
        Relationship {
            id: r.id.to_string(),
            following: r.following,
            showing_reblogs: r.following,
            notifying: false,
            languages: None,
            followed_by: r.followed_by,
            blocking: r.decided.blocking,
            blocked_by: false,
            muting: r.decided.muting,
            muting_notifications: r.decided.muting_notifications,
            requested: r.requested,
            requested_by: r.requested_by,
            domain_blocking: r.decided.domain_blocking,
            endorsed: false,
            note: String::new(),
        }
    }
}

/// The viewer's preferences, with Mastodon's colon-separated keys.
#[derive(Debug, Clone, Serialize)]
pub struct Preferences {
    /// Default visibility of new posts.
    #[serde(rename = "posting:default:visibility")]
    pub posting_default_visibility: String,
    /// Whether new posts are sensitive by default.
    #[serde(rename = "posting:default:sensitive")]
    pub posting_default_sensitive: bool,
    /// Default language of new posts.
    #[serde(rename = "posting:default:language")]
    pub posting_default_language: Option<String>,
    /// `default`, `show_all` or `hide_all`.
    #[serde(rename = "reading:expand:media")]
    pub reading_expand_media: String,
    /// Whether content warnings are expanded.
    #[serde(rename = "reading:expand:spoilers")]
    pub reading_expand_spoilers: bool,
}

impl Default for Preferences {
    /// Mastodon's defaults: kuvend keeps no preferences per user yet.
    fn default() -> Preferences {
        Preferences {
            posting_default_visibility: "public".into(),
            posting_default_sensitive: false,
            posting_default_language: None,
            reading_expand_media: "default".into(),
            reading_expand_spoilers: false,
        }
    }
}
