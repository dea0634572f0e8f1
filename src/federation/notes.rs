//! Post rows ↔ Note documents.

use super::{
    FederationError,
    actors::authority,
    fetch::{self, Budget},
    protocol::{
        activities::PostObject,
        note::{NoteJson, ObjectActivityJson, PUBLIC, TagJson, TombstoneJson, is_public},
    },
    urls::Urls,
};
use crate::context::Kuvend;
use crate::model::Visibility;
use crate::sanitize;
use crate::storage::{
    models::{ActorRow, PostRow},
    now,
    posts::new_post_id,
};
use chrono::{DateTime, Utc};
use url::Url;

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

fn url(text: &str) -> Result<Url, FederationError> {
    Url::parse(text).map_err(|_| FederationError::Invalid(format!("{text} is not a URL")))
}

/// Mastodon's mapping of visibility to addressing, plus mentioned actors.
pub fn addressing(
    visibility: Visibility,
    followers: &str,
    mentioned: &[String],
) -> (Vec<String>, Vec<String>) {
    let mentioned = mentioned.to_vec();
    match visibility {
        Visibility::Public => (
            vec![PUBLIC.into()],
            [vec![followers.to_string()], mentioned].concat(),
        ),
        Visibility::Unlisted => (
            vec![followers.to_string()],
            [vec![PUBLIC.into()], mentioned].concat(),
        ),
        Visibility::Followers => (vec![followers.to_string()], mentioned),
        Visibility::Direct => (mentioned, Vec::new()),
    }
}

/// The visibility a remote post's addressing expresses.
pub fn visibility_of(to: &[String], cc: &[String], author_followers: Option<&str>) -> Visibility {
    if to.iter().any(|u| is_public(u)) {
        Visibility::Public
    } else if cc.iter().any(|u| is_public(u)) {
        Visibility::Unlisted
    } else if author_followers.is_some_and(|f| to.iter().chain(cc).any(|u| u == f)) {
        Visibility::Followers
    } else {
        Visibility::Direct
    }
}

/// The Note for a local post.
pub fn local_note_json(
    post: &PostRow,
    author: &ActorRow,
    tags: &[String],
    mentions: &[ActorRow],
    urls: &Urls,
) -> Result<NoteJson, FederationError> {
    let to: Vec<String> = serde_json::from_str(&post.to_json).unwrap_or_default();
    let cc: Vec<String> = serde_json::from_str(&post.cc_json).unwrap_or_default();
    let mut tag: Vec<TagJson> = Vec::new();
    for actor in mentions {
        tag.push(TagJson {
            kind: "Mention".into(),
            href: url(&actor.ap_id)?,
            name: format!("@{}@{}", actor.username, actor.domain),
        });
    }
    for name in tags {
        tag.push(TagJson {
            kind: "Hashtag".into(),
            href: urls.tag(name),
            name: format!("#{name}"),
        });
    }
    let content_map = post.language.as_ref().map(|lang| {
        let mut map = serde_json::Map::new();
        map.insert(
            lang.clone(),
            serde_json::Value::String(post.content.clone()),
        );
        map
    });
    Ok(NoteJson {
        id: url(&post.ap_id)?,
        kind: post.ap_type.clone(),
        attributed_to: url(&author.ap_id)?,
        content: post.content.clone(),
        content_map,
        summary: post.summary.clone(),
        sensitive: post.sensitive,
        in_reply_to: post.in_reply_to_ap_id.as_deref().map(url).transpose()?,
        published: Some(utc(post.published_at)),
        updated: post.edited_at.map(utc),
        url: post.url.as_deref().map(url).transpose()?,
        to,
        cc,
        // FEP-1b12: the coalition the post was addressed to.
        audience: post.audience.iter().cloned().collect(),
        tag,
        // Media are added by whoever has the post's media rows.
        attachment: Vec::new(),
    })
}

/// Wraps a Note in `Create` or `Update`, addressed as the note is.
pub fn wrap<T: AsRef<NoteJson>>(
    kind: &str,
    id: Url,
    actor: &ActorRow,
    object: T,
) -> Result<ObjectActivityJson<T>, FederationError> {
    let note = object.as_ref();
    Ok(ObjectActivityJson {
        id,
        kind: kind.into(),
        actor: url(&actor.ap_id)?,
        published: if kind == "Create" {
            note.published
        } else {
            None
        },
        to: note.to.clone(),
        cc: note.cc.clone(),
        object,
    })
}

/// `Delete{Tombstone}` for a post, to the audience it had.
pub fn delete_activity(
    id: Url,
    post: &PostRow,
    actor: &ActorRow,
) -> Result<ObjectActivityJson<TombstoneJson>, FederationError> {
    let to: Vec<String> = serde_json::from_str(&post.to_json).unwrap_or_default();
    let cc: Vec<String> = serde_json::from_str(&post.cc_json).unwrap_or_default();
    Ok(ObjectActivityJson {
        id,
        kind: "Delete".into(),
        actor: url(&actor.ap_id)?,
        published: None,
        to,
        cc,
        object: tombstone(post)?,
    })
}

pub fn tombstone(post: &PostRow) -> Result<TombstoneJson, FederationError> {
    Ok(TombstoneJson {
        id: url(&post.ap_id)?,
        kind: "Tombstone".into(),
        former_type: Some(post.ap_type.clone()),
    })
}

/// Makes a remote Note safe to store and show; every way a note enters (a
/// `Create`, an `Update`, a fetch) passes through here, before its
/// transaction. Its id must be `http(s)` (a `javascript://host/%0A…` id has
/// the right host and would otherwise become a link); `content` goes
/// through the HTML allow-list; the content warning is plain text; `url`
/// and `inReplyTo` are kept only if `http(s)`; of `contentMap`, the first
/// key that is a language tag is kept. Of the tags, a `Hashtag`
/// is kept only with a name that follows the hashtag rule and an `http(s)`
/// `href`, a `Mention` only with an `http(s)` `href`; others (`Emoji`: no
/// custom emoji are shown yet) are dropped.
pub fn clean_remote_note(mut note: NoteJson) -> Result<NoteJson, FederationError> {
    if sanitize::http_url(&note.id).is_none() {
        return Err(FederationError::Invalid(format!(
            "note id {} is not an http(s) URL",
            note.id
        )));
    }
    // Some servers send the text only in `contentMap`. Only its language
    // is kept from the map: cleaning every translation would double the
    // costliest step of receiving a note, for text nothing shows.
    if note.content.is_empty() {
        if let Some(text) = note
            .content_map
            .as_ref()
            .and_then(|map| map.values().find_map(serde_json::Value::as_str))
        {
            note.content = text.to_string();
        }
    }
    note.content = sanitize::html(&note.content);
    note.content_map = note
        .content_map
        .as_ref()
        .and_then(|map| map.keys().find_map(|lang| sanitize::language_tag(lang)))
        .map(|lang| {
            let mut map = serde_json::Map::new();
            map.insert(lang, serde_json::Value::String(note.content.clone()));
            map
        });
    // The type is stored with the post: a word, or it is read as a Note.
    if note.kind.is_empty()
        || note.kind.len() > 32
        || !note.kind.chars().all(|c| c.is_ascii_alphanumeric())
    {
        note.kind = "Note".into();
    }
    note.summary = note
        .summary
        .as_deref()
        .map(sanitize::plain)
        .filter(|s| !s.trim().is_empty());
    note.url = note.url.as_ref().and_then(sanitize::http_url);
    note.in_reply_to = note.in_reply_to.as_ref().and_then(sanitize::http_url);
    // Attachments were bounded when read (`protocol::media`); their alt
    // text is shown as text, so it is made plain here.
    for document in &mut note.attachment {
        document.name = document
            .name
            .as_deref()
            .map(sanitize::plain)
            .filter(|s| !s.trim().is_empty());
        if sanitize::http_url(&document.url).is_none() {
            document.kind.clear();
        }
    }
    note.attachment.retain(|d| !d.kind.is_empty());
    note.tag.retain_mut(|tag| {
        if sanitize::http_url(&tag.href).is_none() {
            return false;
        }
        match tag.kind.as_str() {
            "Hashtag" => match sanitize::hashtag(&tag.name) {
                Some(name) => {
                    tag.name = format!("#{name}");
                    true
                }
                None => false,
            },
            "Mention" => {
                tag.name = sanitize::plain(&tag.name);
                true
            }
            _ => false,
        }
    });
    Ok(note)
}

/// Checks a remote Note, made safe by [`clean_remote_note`], and turns it
/// into a row: the note must be on its author's host.
pub fn remote_post_row(
    note: &NoteJson,
    author: &ActorRow,
    parent: Option<&PostRow>,
) -> Result<PostRow, FederationError> {
    if note.attributed_to.as_str() != author.ap_id {
        return Err(FederationError::Invalid(format!(
            "note {} is attributed to {}, not to {}",
            note.id, note.attributed_to, author.ap_id
        )));
    }
    if authority(&note.id) != author.domain {
        return Err(FederationError::Invalid(format!(
            "note {} is not on its author's host",
            note.id
        )));
    }
    let now = now();
    let visibility = visibility_of(&note.to, &note.cc, author.followers_url.as_deref());
    // The cleaner left at most one key: a language tag.
    let language = note
        .content_map
        .as_ref()
        .and_then(|m| m.keys().next().cloned());
    Ok(PostRow {
        id: new_post_id(),
        ap_id: note.id.to_string(),
        ap_type: note.kind.clone(),
        author_id: author.id,
        local: false,
        visibility: visibility.as_str().into(),
        content: note.content.clone(),
        source: None,
        summary: note.summary.clone(),
        sensitive: note.sensitive,
        language,
        url: note.url.as_ref().map(Url::to_string),
        in_reply_to_ap_id: note.in_reply_to.as_ref().map(Url::to_string),
        in_reply_to_id: parent.map(|p| p.id),
        to_json: serde_json::to_string(&note.to).unwrap_or_else(|_| "[]".into()),
        cc_json: serde_json::to_string(&note.cc).unwrap_or_else(|_| "[]".into()),
        replies_count: 0,
        likes_count: 0,
        boosts_count: 0,
        published_at: note.published.map(|p| p.naive_utc()).unwrap_or(now),
        edited_at: note.updated.map(|u| u.naive_utc()),
        deleted_at: None,
        created_at: now,
        updated_at: now,
        written_by_user_id: None,
        reblog_of_id: None,
        // The first http(s) `audience` (FEP-1b12 names one group); the
        // inbox bounded the list beforehand, and a URL longer than any we
        // keep is not stored.
        audience: note
            .audience
            .iter()
            .filter(|a| a.len() <= crate::model::event_bounds::MAX_URL_BYTES)
            .filter_map(|a| Url::parse(a).ok())
            .find(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from),
    })
}

/// Fetches a remote post, a Note or an Event (signed by the instance
/// actor). Only verified senders cause these (a post given by id, the
/// parents of a reply), so they do not count against the per-host limit,
/// only against the global one.
pub async fn fetch_post(id: &Url, ctx: &Kuvend) -> Result<PostObject, FederationError> {
    fetch_post_within(id, ctx, Budget::Unlimited).await
}

/// As [`fetch_post`], counted against `budget`: a group's relay names
/// posts on any host, so those fetches count per host.
pub async fn fetch_post_within(
    id: &Url,
    ctx: &Kuvend,
    budget: Budget,
) -> Result<PostObject, FederationError> {
    let fetched = fetch::fetch_object::<serde_json::Value>(ctx, id, budget).await?;
    let post = PostObject::from_value(&fetched.object).map_err(FederationError::Invalid)?;
    if post.note.id != fetched.url
        || authority(&post.note.id) != authority(&post.note.attributed_to)
    {
        return Err(FederationError::Invalid(format!(
            "post fetched from {} does not match",
            fetched.url
        )));
    }
    Ok(post)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hostile_note() -> NoteJson {
        serde_json::from_value(serde_json::json!({
            "id": "https://evil.example/notes/1",
            "type": "<script>",
            "attributedTo": "https://evil.example/users/e",
            "content": "<p>hi<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a></p>",
            "contentMap": {"<svg/onload=x>": "<script>", "sq": "<script>alert(3)</script>"},
            "summary": "<b>CW</b>&lt;img src=x onerror=alert(4)&gt;",
            "url": "javascript:alert(5)",
            "inReplyTo": "data:text/html,x",
            "tag": [
                {"type": "Hashtag", "name": "#ok", "href": "https://evil.example/tags/ok"},
                {"type": "Hashtag", "name": "#<img src=x>", "href": "https://evil.example/t"},
                {"type": "Hashtag", "name": "#fine", "href": "javascript:alert(6)"},
                {"type": "Mention", "name": "@a<b>x</b>", "href": "https://evil.example/users/a"},
                {"type": "Mention", "name": "@b", "href": "vbscript:x"},
                {"type": "Emoji", "name": ":x:", "href": "https://evil.example/e"}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn a_hostile_note_is_cleaned_field_by_field() {
        let note = clean_remote_note(hostile_note()).unwrap();
        assert_eq!(note.kind, "Note");
        assert!(!note.content.contains("script") && !note.content.contains("javascript"));
        let map = note.content_map.unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["sq"]);
        assert_eq!(map["sq"], note.content);
        assert_eq!(note.summary.as_deref(), Some("CW"));
        assert_eq!(note.url, None);
        assert_eq!(note.in_reply_to, None);
        let tags: Vec<(&str, &str)> = note
            .tag
            .iter()
            .map(|t| (t.kind.as_str(), t.name.as_str()))
            .collect();
        assert_eq!(tags, [("Hashtag", "#ok"), ("Mention", "@ax")]);
    }

    #[test]
    fn a_note_whose_id_is_not_http_is_refused() {
        let mut note = hostile_note();
        note.id = Url::parse("javascript://evil.example/%0Aalert(1)").unwrap();
        assert!(clean_remote_note(note).is_err());
    }
}
