//! Mastodon client API entities, as JSON, and their construction from
//! kuvend's rows. Field names follow docs.joinmastodon.org/entities; dates are
//! ISO 8601 strings with millisecond precision in UTC, as Mastodon sends them.

mod account;
mod coalition;
mod event;
mod instance;
mod media;
mod notification;
mod oauth;
mod report;
mod status;

pub use account::{
    Account, AccountField, AccountSource, CredentialAccount, CustomEmoji, Preferences, Relationship,
};
pub use coalition::{
    Coalition, CoalitionMember, CoalitionMembers, CoalitionSettings, Group, GroupMember,
    GroupOwner, GroupRelationship, Invitation, JoinDecision, JoinRequest, JoinState, group_role,
};
pub use event::{Event, EventLocation, PleromaEvent, PleromaEventLocation, StatusPleroma};
pub use instance::DomainBlock;
pub use instance::{
    AccountsConfiguration, ApiVersions, InstanceConfiguration, InstanceV1, InstanceV1Stats,
    InstanceV1Urls, InstanceV2, InstanceV2Contact, InstanceV2Registrations, InstanceV2Thumbnail,
    InstanceV2Usage, InstanceV2Users, MediaAttachmentsConfiguration, PollsConfiguration,
    StatusesConfiguration, TranslationConfiguration, UrlsConfiguration,
};
pub use media::{MediaAttachment, MediaFocus, MediaMeta, MediaSize};
pub use notification::{Marker, Markers, Notification};
pub use oauth::{Application, AuthorizationServerMetadata, OAuthError, Token};
pub use report::Report;
pub use status::{
    Context, Status, StatusApplication, StatusEdit, StatusMention, StatusSource, StatusTag,
    WrittenBy,
};

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

/// The Mastodon API version kuvend claims to be compatible with.
pub const MASTODON_COMPAT_VERSION: &str = "4.3.0";

/// The `version` string of the instance entities, e.g.
/// `4.3.0 (compatible; kuvend 0.1.0)`, which clients parse for features.
pub fn version_string() -> String {
    format!(
        "{MASTODON_COMPAT_VERSION} (compatible; kuvend {})",
        env!("CARGO_PKG_VERSION")
    )
}

/// A timestamp as Mastodon writes it: `2016-03-16T14:34:26.392Z`.
pub fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A day as Mastodon writes account creation: `2016-03-16T00:00:00.000Z`.
fn iso_midnight(t: NaiveDateTime) -> String {
    format!("{}T00:00:00.000Z", t.format("%Y-%m-%d"))
}

/// Results of `/api/v2/search`.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// Matching accounts.
    pub accounts: Vec<Account>,
    /// Matching posts.
    pub statuses: Vec<Status>,
    /// Matching hashtags: always empty, kuvend does not search tags yet.
    pub hashtags: Vec<Value>,
}

/// The `{}` Mastodon answers when an action has nothing to report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(y, m, d)?.and_hms_milli_opt(h, mi, s, ms)
    }

    #[test]
    fn dates_look_like_mastodons() {
        let Some(t) = at(2016, 3, 16, 14, 34, 26, 392) else {
            panic!("bad date");
        };
        assert_eq!(iso(t), "2016-03-16T14:34:26.392Z");
        assert_eq!(iso_midnight(t), "2016-03-16T00:00:00.000Z");
    }

    #[test]
    fn preferences_use_dotted_keys() {
        let json = serde_json::to_value(Preferences::default()).unwrap_or_default();
        assert_eq!(json["posting:default:visibility"], "public");
        assert!(json["posting:default:language"].is_null());
    }

    #[test]
    fn empty_is_an_empty_object() {
        assert_eq!(serde_json::to_string(&Empty {}).ok().as_deref(), Some("{}"));
    }

    #[test]
    fn markers_keep_their_order() {
        let marker = |id: &str| Marker {
            last_read_id: id.into(),
            version: 1,
            updated_at: "2016-03-16T14:34:26.392Z".into(),
        };
        let markers = Markers(vec![
            ("notifications".into(), marker("2")),
            ("home".into(), marker("1")),
        ]);
        let json = serde_json::to_string(&markers).unwrap_or_default();
        assert!(
            json.starts_with(r#"{"notifications":{"last_read_id":"2","#),
            "{json}"
        );
        assert!(json.contains(r#""home":{"last_read_id":"1","#), "{json}");
    }
}
