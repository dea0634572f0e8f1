//! What software another instance runs, from its NodeInfo
//! (https://nodeinfo.diaspora.software/protocol): `/.well-known/nodeinfo`
//! links to the NodeInfo documents, whose `software.name` names the server.
//! Issue 13 decides from it whether an invitation can go as an `Invite`
//! (see docs/coalitions.md, "Which software understands invitations").
//!
//! Every failure here means "unknown": the caller keeps the invitation
//! pending. Nothing here touches the instance's delivery health.

use super::fetch::{self, Budget, FetchError, Fetched, same_origin};
use crate::context::Kuvend;
use serde::Deserialize;
use url::Url;

/// What our own NodeInfo says we run.
pub const SOFTWARE_NAME: &str = "kuvend";

/// Longest `software.name` kept; real ones are a word ("mastodon",
/// "mobilizon", "iceshrimp.net"). Longer is not a name we could act on.
pub const MAX_NAME_CHARS: usize = 40;

/// Longest `software.version` kept (Mastodon's look like
/// "4.3.2+glitch", Akkoma's "3.13.2-0-g1a2b3c4"); longer ones are cut.
pub const MAX_VERSION_CHARS: usize = 64;

/// The schema relations we read, `…/schema/2.0` and `2.1` (1.x has the same
/// `software.name`, but nothing in use serves only 1.x). Some servers write
/// the relation with https.
const SCHEMA_PREFIXES: [&str; 2] = [
    "http://nodeinfo.diaspora.software/ns/schema/2.",
    "https://nodeinfo.diaspora.software/ns/schema/2.",
];

/// What NodeInfo says an instance runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    /// `software.name`, lowercased (Mobilizon sends "Mobilizon"), only
    /// `[a-z0-9._-]`, at most [`MAX_NAME_CHARS`].
    pub name: String,
    /// `software.version`, printable characters only, at most
    /// [`MAX_VERSION_CHARS`]; `None` if absent or empty.
    pub version: Option<String>,
}

/// The discovery document, as far as we read it.
#[derive(Debug, Deserialize)]
struct Links {
    /// The links; we use those whose `rel` is a NodeInfo 2.x schema.
    #[serde(default)]
    links: Vec<Link>,
}

/// One link of the discovery document.
#[derive(Debug, Deserialize)]
struct Link {
    /// The schema, e.g. `http://nodeinfo.diaspora.software/ns/schema/2.1`.
    #[serde(default)]
    rel: Option<String>,
    /// Where that NodeInfo document is; must be on the instance asked.
    #[serde(default)]
    href: Option<String>,
}

/// A NodeInfo document, as far as we read it.
#[derive(Debug, Deserialize)]
struct NodeInfo {
    /// The server software.
    software: SoftwareJson,
}

/// `software` of a NodeInfo document.
#[derive(Debug, Deserialize)]
struct SoftwareJson {
    /// The software's name (the schema asks for lowercase; not all obey).
    name: String,
    /// Its version; kept as any JSON so that a number does not make the
    /// whole document unreadable.
    #[serde(default)]
    version: Option<serde_json::Value>,
}

/// Asks `domain` (a host, with a port if not the default) what software it
/// runs. Only the instance itself is believed: a discovery link to another
/// host is not followed (that host would speak for this one, and we would
/// fetch wherever a stranger points us).
pub async fn software_of(ctx: &Kuvend, domain: &str) -> Result<Software, FetchError> {
    let refused = |url: &str, reason| FetchError::Refused {
        url: url.chars().take(200).collect(),
        reason,
    };
    let scheme = if ctx.settings.instance.https {
        "https"
    } else {
        "http"
    };
    let asked = format!("{scheme}://{domain}/.well-known/nodeinfo");
    let well_known = Url::parse(&asked).map_err(|_| refused(&asked, "not a valid host"))?;
    // The domain must be the whole authority: no path or user smuggled in.
    if !well_known.authority().eq_ignore_ascii_case(domain) {
        return Err(refused(&asked, "not a valid host"));
    }
    // Only local staff cause these (an invitation), and the result is
    // cached per instance, so the per-host budget for strangers' fetches
    // does not apply.
    let links: Fetched<Links> = fetch::fetch_json(ctx, &well_known, Budget::Unlimited).await?;
    if !same_origin(&links.url, &well_known) {
        return Err(refused(
            links.url.as_str(),
            "the NodeInfo discovery document is on another host",
        ));
    }
    let href = best_link(&links.object, &well_known).ok_or_else(|| FetchError::Parse {
        url: links.url.to_string(),
        reason: "no NodeInfo 2.x link on the instance's own host".into(),
    })?;
    let document: Fetched<NodeInfo> = fetch::fetch_json(ctx, &href, Budget::Unlimited).await?;
    if !same_origin(&document.url, &well_known) {
        return Err(refused(
            document.url.as_str(),
            "the NodeInfo document is on another host",
        ));
    }
    read_software(document.object.software).ok_or_else(|| FetchError::Parse {
        url: document.url.to_string(),
        reason: "software.name is not a plain name".into(),
    })
}

/// What a NodeInfo document's `software` says, cleaned; `None` when its
/// name is not a plain name.
fn read_software(software: SoftwareJson) -> Option<Software> {
    let name = clean_name(&software.name)?;
    let version = software
        .version
        .as_ref()
        .and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .and_then(|v| clean_version(&v));
    Some(Software { name, version })
}

/// A discovery document and a NodeInfo document read as [`software_of`]
/// reads them, for the fuzz targets (`kuvend::fuzzing`): the chosen link
/// (for an instance at `origin`) and the software.
#[doc(hidden)]
pub fn nodeinfo_documents(
    discovery: &[u8],
    document: &[u8],
    origin: &Url,
) -> (Option<Url>, Option<Software>) {
    let link = serde_json::from_slice::<Links>(discovery)
        .ok()
        .and_then(|links| best_link(&links, origin));
    let software = serde_json::from_slice::<NodeInfo>(document)
        .ok()
        .and_then(|n| read_software(n.software));
    (link, software)
}

/// The link to the highest NodeInfo 2.x schema among those on the
/// instance's own origin; links elsewhere are ignored.
fn best_link(links: &Links, origin: &Url) -> Option<Url> {
    links
        .links
        .iter()
        .filter_map(|link| {
            let rel = link.rel.as_deref()?;
            let minor = SCHEMA_PREFIXES
                .iter()
                .find_map(|prefix| rel.strip_prefix(prefix))?
                .parse::<u32>()
                .ok()?;
            let href = Url::parse(link.href.as_deref()?).ok()?;
            same_origin(&href, origin).then_some((minor, href))
        })
        .max_by_key(|(minor, _)| *minor)
        .map(|(_, href)| href)
}

/// A software name we can compare: lowercased, `[a-z0-9._-]` only, not
/// empty, at most [`MAX_NAME_CHARS`]. Anything else is not a name.
pub fn clean_name(name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    (plain && !name.is_empty() && name.len() <= MAX_NAME_CHARS).then_some(name)
}

/// A version to show and store: control characters dropped, cut at
/// [`MAX_VERSION_CHARS`]; `None` if nothing is left.
pub fn clean_version(version: &str) -> Option<String> {
    let version: String = version
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_VERSION_CHARS)
        .collect();
    let version = version.trim();
    (!version.is_empty()).then(|| version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercased_and_plain() {
        assert_eq!(clean_name("Mobilizon").as_deref(), Some("mobilizon"));
        assert_eq!(
            clean_name("iceshrimp.net").as_deref(),
            Some("iceshrimp.net")
        );
        assert_eq!(clean_name("<script>"), None);
        assert_eq!(clean_name(""), None);
        assert_eq!(clean_name("mastodon mastodon"), None);
        assert_eq!(clean_name(&"a".repeat(MAX_NAME_CHARS + 1)), None);
    }

    #[test]
    fn versions_are_bounded_and_printable() {
        assert_eq!(clean_version("4.3.2").as_deref(), Some("4.3.2"));
        assert_eq!(clean_version("1.0\u{0}\n").as_deref(), Some("1.0"));
        assert_eq!(
            clean_version(&"9".repeat(1000)).map(|v| v.len()),
            Some(MAX_VERSION_CHARS)
        );
        assert_eq!(clean_version("  "), None);
    }

    #[test]
    fn the_highest_schema_on_the_same_host_is_chosen() {
        let origin = Url::parse("https://a.example/.well-known/nodeinfo").unwrap();
        let links: Links = serde_json::from_value(serde_json::json!({"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": "https://a.example/nodeinfo/2.0"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://a.example/nodeinfo/2.1"},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.2", "href": "https://b.example/nodeinfo/2.2"},
            {"rel": "https://www.w3.org/ns/activitystreams#Application", "href": "https://a.example/actor"},
        ]}))
        .unwrap();
        assert_eq!(
            best_link(&links, &origin).map(|u| u.to_string()).as_deref(),
            Some("https://a.example/nodeinfo/2.1")
        );
    }
}
