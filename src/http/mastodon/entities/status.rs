//! Posts, their threads, revisions and source.

use super::MediaAttachment;
use super::{Account, CustomEmoji, PleromaEvent, StatusPleroma, iso};
use crate::federation::FedData;
use crate::service::client::StatusData;
use serde::Serialize;
use serde_json::Value;

/// The application a post was made with.
#[derive(Debug, Clone, Serialize)]
pub struct StatusApplication {
    /// The application's name.
    pub name: String,
    /// The application's website, if any.
    pub website: Option<String>,
}

/// An account mentioned in a post.
#[derive(Debug, Clone, Serialize)]
pub struct StatusMention {
    /// The mentioned account's id.
    pub id: String,
    /// Its username.
    pub username: String,
    /// Its profile page.
    pub url: String,
    /// Its `acct` (`username` if local, else `username@domain`).
    pub acct: String,
}

/// A hashtag used in a post.
#[derive(Debug, Clone, Serialize)]
pub struct StatusTag {
    /// The tag, without `#`.
    pub name: String,
    /// The tag's page on this server.
    pub url: String,
}

/// Which staff member wrote an organisation's post.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenBy {
    /// The staff member's login e-mail.
    pub email: String,
}

/// A post.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Database id, as a string.
    pub id: String,
    /// The ActivityPub object id.
    pub uri: String,
    /// When it was published.
    pub created_at: String,
    /// When it was last edited, if ever.
    pub edited_at: Option<String>,
    /// The author.
    pub account: Account,
    /// The body, as HTML.
    pub content: String,
    /// `public`, `unlisted`, `private` or `direct`.
    pub visibility: String,
    /// Whether media is marked sensitive.
    pub sensitive: bool,
    /// Content warning; empty if none.
    pub spoiler_text: String,
    /// Attached media, in order; remote ones through our proxy.
    pub media_attachments: Vec<MediaAttachment>,
    /// The posting application, when shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<StatusApplication>,
    /// Mentioned accounts.
    pub mentions: Vec<StatusMention>,
    /// Hashtags used.
    pub tags: Vec<StatusTag>,
    /// Custom emoji used.
    pub emojis: Vec<CustomEmoji>,
    /// Number of boosts.
    pub reblogs_count: i64,
    /// Number of favourites.
    pub favourites_count: i64,
    /// Number of replies.
    pub replies_count: i64,
    /// The post's HTML page.
    pub url: Option<String>,
    /// Id of the post replied to.
    pub in_reply_to_id: Option<String>,
    /// Id of the author of the post replied to.
    pub in_reply_to_account_id: Option<String>,
    /// The boosted post, if this is a boost.
    pub reblog: Option<Box<Status>>,
    /// The poll: never, kuvend has no polls yet.
    pub poll: Option<Value>,
    /// The link preview card: never, kuvend fetches no previews yet.
    pub card: Option<Value>,
    /// ISO 639 language code, if known.
    pub language: Option<String>,
    /// The source text, only in the answer to a delete (to redraft), as
    /// on Mastodon: it is plain text, and timelines need not repeat it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether the viewer favourited it.
    pub favourited: bool,
    /// Whether the viewer boosted it.
    pub reblogged: bool,
    /// Whether the viewer muted the conversation.
    pub muted: bool,
    /// Whether the viewer bookmarked it.
    pub bookmarked: bool,
    /// Whether the author pinned it (the viewer's own posts only).
    pub pinned: bool,
    /// Filters the post matched for the viewer: none, kuvend has no filters.
    pub filtered: Vec<Value>,
    /// Which staff member wrote it: shown to the organisation's owners
    /// only, and never federated (a kuvend extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kuvend_written_by: Option<WrittenBy>,
    /// Pleroma-family extras, present on events only: `pleroma.event` in
    /// Rebased's shape, which pl-fe and Soapbox show as an event card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pleroma: Option<StatusPleroma>,
}

impl Status {
    /// A post as its viewer sees it.
    pub fn new(data: &FedData, status: &StatusData) -> Status {
        let post = &status.post;
        Status {
            id: post.id.to_string(),
            uri: post.ap_id.clone(),
            created_at: iso(post.published_at),
            edited_at: post.edited_at.map(iso),
            account: Account::new(data, &status.author),
            content: post.content.clone(),
            // kuvend's `followers` is Mastodon's `private`.
            visibility: match post.visibility().as_str() {
                "followers" => "private",
                other => other,
            }
            .to_string(),
            sensitive: post.sensitive,
            spoiler_text: post.summary.clone().unwrap_or_default(),
            media_attachments: status
                .media
                .iter()
                .map(|m| MediaAttachment::new(data, m))
                .collect(),
            application: None,
            mentions: status
                .mentions
                .iter()
                .map(|m| StatusMention {
                    id: m.id.to_string(),
                    username: m.username.clone(),
                    url: m.profile_url.clone().unwrap_or_else(|| m.ap_id.clone()),
                    acct: if m.local {
                        m.username.clone()
                    } else {
                        m.handle()
                    },
                })
                .collect(),
            tags: status
                .tags
                .iter()
                .map(|t| StatusTag {
                    name: t.clone(),
                    url: data.urls.tag(t).to_string(),
                })
                .collect(),
            emojis: Vec::new(),
            reblogs_count: post.boosts_count,
            favourites_count: post.likes_count,
            replies_count: post.replies_count,
            // A boost has no page of its own (Mastodon gives none either).
            url: match status.reblog {
                Some(_) => None,
                None => Some(post.url.clone().unwrap_or_else(|| post.ap_id.clone())),
            },
            in_reply_to_id: post.in_reply_to_id.map(|id| id.to_string()),
            in_reply_to_account_id: status.in_reply_to_account_id.map(|id| id.to_string()),
            reblog: status
                .reblog
                .as_ref()
                .map(|original| Box::new(Status::new(data, original))),
            poll: None,
            card: None,
            language: post.language.clone(),
            // Only the delete answer carries the source (for redrafting).
            text: None,
            favourited: status.favourited,
            reblogged: status.reblogged,
            muted: false,
            bookmarked: status.bookmarked,
            pinned: false,
            filtered: Vec::new(),
            kuvend_written_by: None,
            pleroma: status.event.as_ref().map(|event| StatusPleroma {
                event: Some(PleromaEvent::new(event, status.join_state)),
            }),
        }
    }
}

/// The thread around a post.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// Posts above, oldest first.
    pub ancestors: Vec<Status>,
    /// Replies below, in thread order.
    pub descendants: Vec<Status>,
}

/// One revision of a post, from its edit history.
#[derive(Debug, Clone, Serialize)]
pub struct StatusEdit {
    /// The body at this revision, as HTML.
    pub content: String,
    /// The content warning at this revision.
    pub spoiler_text: String,
    /// Whether media was marked sensitive.
    pub sensitive: bool,
    /// When this revision was made.
    pub created_at: String,
    /// The author.
    pub account: Account,
    /// Media at this revision.
    pub media_attachments: Vec<MediaAttachment>,
    /// Custom emoji at this revision.
    pub emojis: Vec<CustomEmoji>,
}

impl StatusEdit {
    /// An earlier version, as kept when the post was edited.
    pub fn earlier(
        data: &FedData,
        version: &crate::service::attachments::PostEditRow,
        account: &Account,
    ) -> StatusEdit {
        StatusEdit {
            content: version.content.clone(),
            spoiler_text: version.summary.clone().unwrap_or_default(),
            sensitive: version.sensitive,
            created_at: iso(version.created_at),
            account: account.clone(),
            media_attachments: crate::service::attachments::media_of_version(version)
                .iter()
                .map(|m| MediaAttachment::new(data, m))
                .collect(),
            emojis: Vec::new(),
        }
    }

    /// The post as it is now, as its latest revision.
    pub fn current(status: Status) -> StatusEdit {
        StatusEdit {
            created_at: status.edited_at.unwrap_or(status.created_at),
            content: status.content,
            spoiler_text: status.spoiler_text,
            sensitive: status.sensitive,
            account: status.account,
            media_attachments: status.media_attachments,
            emojis: Vec::new(),
        }
    }
}

/// A post as its author typed it, for editing.
#[derive(Debug, Clone, Serialize)]
pub struct StatusSource {
    /// The post's id.
    pub id: String,
    /// The plain text.
    pub text: String,
    /// The content warning.
    pub spoiler_text: String,
}
