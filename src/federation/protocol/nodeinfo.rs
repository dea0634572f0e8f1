//! NodeInfo 2.1 (https://nodeinfo.diaspora.software/) and its discovery document.

use serde::Serialize;
use serde_json::Value;

/// `/.well-known/nodeinfo`: links to the NodeInfo documents and (FEP-2677) the
/// instance actor.
#[derive(Debug, Clone, Serialize)]
pub struct NodeInfoLinksJson {
    /// The links.
    pub links: Vec<NodeInfoLinkJson>,
}

/// One link of the discovery document.
#[derive(Debug, Clone, Serialize)]
pub struct NodeInfoLinkJson {
    /// The schema or relation (`http://nodeinfo.diaspora.software/ns/schema/2.1`,
    /// `https://www.w3.org/ns/activitystreams#Application`).
    pub rel: String,
    /// Where it is.
    pub href: String,
}

/// The NodeInfo 2.1 document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoJson {
    /// Always `2.1`.
    pub version: &'static str,
    /// The server software.
    pub software: NodeInfoSoftwareJson,
    /// Always `["activitypub"]`.
    pub protocols: Vec<&'static str>,
    /// Third-party services; none.
    pub services: NodeInfoServicesJson,
    /// Whether people can register (supporter accounts come with the client API).
    pub open_registrations: bool,
    /// User counts.
    pub usage: NodeInfoUsageJson,
    /// Free-form: the instance's name and description, and kuvend specifics.
    pub metadata: Value,
}

/// Which software runs the instance.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoSoftwareJson {
    /// `kuvend`.
    pub name: &'static str,
    /// The kuvend version.
    pub version: &'static str,
    /// Where the source is (AGPL §13).
    pub repository: String,
    /// The project's home page.
    pub homepage: String,
}

/// Inbound and outbound services; kuvend has none.
#[derive(Debug, Clone, Serialize)]
pub struct NodeInfoServicesJson {
    /// None.
    pub inbound: Vec<String>,
    /// None.
    pub outbound: Vec<String>,
}

/// Usage figures.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoUsageJson {
    /// Local actors that publish (organisations).
    pub users: NodeInfoUsersJson,
    /// Local posts (none until posts exist).
    pub local_posts: i64,
}

/// User counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoUsersJson {
    /// All local organisations.
    pub total: i64,
}
