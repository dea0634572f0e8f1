//! Collections (outbox, followers, following), paged as Mastodon pages them.

use serde::Serialize;
use url::Url;

/// The collection itself: its size and a link to its first page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionJson {
    /// The collection's id.
    pub id: Url,
    /// Always `OrderedCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// How many items it holds.
    pub total_items: i64,
    /// The first page (present even when the collection is empty, as Mastodon does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<Url>,
}

/// One page of a collection.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPageJson<T: Serialize> {
    /// The page's id (`<collection>?page=N`).
    pub id: Url,
    /// Always `OrderedCollectionPage`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The collection the page belongs to.
    pub part_of: Url,
    /// How many items the whole collection holds.
    pub total_items: i64,
    /// The next page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Url>,
    /// The previous page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<Url>,
    /// The items, newest first.
    pub ordered_items: Vec<T>,
}
