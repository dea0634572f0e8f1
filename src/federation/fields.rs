//! Profile fields (Mastodon's `PropertyValue`s, issue 16) as kuvend stores
//! them in `actors.fields_json`: a local account's plain values rendered to
//! HTML, a remote actor's HTML values cleaned and bounded, and the reading
//! of `rel="me"` links in pages a field links to. Pure functions, shared by
//! federation (actor documents) and services (profiles, verification).

use crate::storage::models::ActorRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use url::Url;

/// At most this many fields on a local account (Mastodon's limit, and what
/// `/api/v2/instance` reports as `accounts.max_profile_fields`).
pub const MAX_FIELDS: usize = 4;
/// Characters in a local field's name and in its value (Mastodon's limits).
pub const FIELD_LIMIT: usize = 255;
/// At most this many fields kept from a remote actor's document.
pub const MAX_REMOTE_FIELDS: usize = 16;
/// Characters kept of a remote field's name.
const REMOTE_NAME_LIMIT: usize = 255;
/// Characters kept of a remote field's cleaned HTML value.
const REMOTE_VALUE_LIMIT: usize = 2048;
/// Characters an image description (alt text) may have.
pub const DESCRIPTION_LIMIT: usize = 1500;

/// One profile field, as stored in `actors.fields_json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The label, plain text.
    pub name: String,
    /// The value as plain text (what the owner typed, or a remote value's
    /// text): shown in `source.fields` and checked for a link to verify.
    pub value_text: String,
    /// The value as HTML, safe to show.
    pub value_html: String,
    /// When the linked page was found to link back with `rel="me"`.
    #[serde(default)]
    pub verified_at: Option<DateTime<Utc>>,
}

/// The fields stored on an actor row; an unreadable column reads as none.
pub fn fields_of(row: &ActorRow) -> Vec<Field> {
    serde_json::from_str(&row.fields_json).unwrap_or_default()
}

/// The fields as JSON for the `fields_json` column.
pub fn fields_json(fields: &[Field]) -> String {
    serde_json::to_string(fields).unwrap_or_else(|_| "[]".into())
}

/// A local field's value as HTML: an http(s) URL becomes a `rel="me"` link
/// (what other servers verify), anything else escaped text.
pub fn render_value(value: &str) -> String {
    let value = value.trim();
    if let Some(url) = link_of(value) {
        let shown = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .unwrap_or(value);
        return format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"me nofollow noopener noreferrer\">{}</a>",
            escape_html(url.as_str()),
            escape_html(shown)
        );
    }
    escape_html(value)
}

/// The URL a value is, when the whole value is one http(s) URL with a host.
pub fn link_of(value: &str) -> Option<Url> {
    if value.contains(char::is_whitespace) {
        return None;
    }
    let url = Url::parse(value).ok()?;
    crate::sanitize::http_url(&url)
}

/// Checks a local account's new fields (Mastodon's rules: at most 4, each
/// name and value at most 255 characters; pairs with neither are dropped)
/// and renders them. Verification marks of unchanged values are kept.
/// The error is the message to show (a validation failure, 422).
pub fn local_fields(pairs: &[(String, String)], old: &[Field]) -> Result<Vec<Field>, String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| (crate::sanitize::plain(n.trim()), v.trim().to_string()))
        .filter(|(n, v)| !n.is_empty() || !v.is_empty())
        .collect();
    if pairs.len() > MAX_FIELDS {
        return Err(format!(
            "Validation failed: Fields are too many (maximum is {MAX_FIELDS})"
        ));
    }
    let mut fields = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        if name.chars().count() > FIELD_LIMIT || value.chars().count() > FIELD_LIMIT {
            return Err(format!(
                "Validation failed: Fields name and value are too long (maximum is {FIELD_LIMIT} characters)"
            ));
        }
        let verified_at = old
            .iter()
            .find(|f| f.value_text == value)
            .and_then(|f| f.verified_at);
        fields.push(Field {
            value_html: render_value(&value),
            name,
            value_text: value,
            verified_at,
        });
    }
    Ok(fields)
}

/// A remote actor's `PropertyValue`s, bounded and cleaned: every value is
/// hostile HTML and goes through the same allow-list as notes.
pub fn remote_fields<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Field> {
    pairs
        .take(MAX_REMOTE_FIELDS)
        .map(|(name, value)| {
            let name: String = crate::sanitize::plain(name)
                .chars()
                .take(REMOTE_NAME_LIMIT)
                .collect();
            let mut html = crate::sanitize::html(value);
            if html.chars().count() > REMOTE_VALUE_LIMIT {
                // Cut text, never markup: a cut tag could open an element.
                let text: String = crate::sanitize::plain(&strip_tags(&html))
                    .chars()
                    .take(REMOTE_VALUE_LIMIT)
                    .collect();
                html = escape_html(&text);
            }
            Field {
                name,
                value_text: strip_tags(&html),
                value_html: html,
                verified_at: None,
            }
        })
        .collect()
}

/// The text of cleaned HTML (tags dropped, entities decoded), one line.
pub fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let sink = TextSink(RefCell::new(&mut text));
    run_tokenizer(html, sink);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text of at most `max` characters (an `og:description`), cut at a
/// character boundary with an ellipsis.
pub fn excerpt(html: &str, max: usize) -> String {
    let text = strip_tags(html);
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Whether an HTML page has an `<a>` or `<link>` whose space-separated `rel`
/// has `me` and whose `href` is one of `targets` (lower-case), compared
/// without regard to case or a trailing slash.
pub fn links_back(html: &str, targets: &[String]) -> bool {
    let mut hrefs = Vec::new();
    run_tokenizer(html, RelMeSink(RefCell::new(&mut hrefs)));
    let norm = |s: &str| s.trim().trim_end_matches('/').to_lowercase();
    hrefs
        .iter()
        .any(|href| targets.iter().any(|t| norm(t) == norm(href)))
}

fn run_tokenizer<S: html5ever::tokenizer::TokenSink>(html: &str, sink: S) {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
}

/// Collects the `href` of `<a>`/`<link>` start tags with `rel` ∋ `me`.
struct RelMeSink<'a>(RefCell<&'a mut Vec<String>>);

impl html5ever::tokenizer::TokenSink for RelMeSink<'_> {
    type Handle = ();
    fn process_token(
        &self,
        token: html5ever::tokenizer::Token,
        _line: u64,
    ) -> html5ever::tokenizer::TokenSinkResult<()> {
        use html5ever::tokenizer::{TagKind, Token};
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
            && (&*tag.name == "a" || &*tag.name == "link")
        {
            let attr = |name: &str| {
                tag.attrs
                    .iter()
                    .find(|a| &*a.name.local == name)
                    .map(|a| a.value.to_string())
            };
            let is_me = attr("rel").is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("me"))
            });
            if is_me && let Some(href) = attr("href") {
                self.0.borrow_mut().push(href);
            }
        }
        html5ever::tokenizer::TokenSinkResult::Continue
    }
}

/// Collects the text of a fragment.
struct TextSink<'a>(RefCell<&'a mut String>);

impl html5ever::tokenizer::TokenSink for TextSink<'_> {
    type Handle = ();
    fn process_token(
        &self,
        token: html5ever::tokenizer::Token,
        _line: u64,
    ) -> html5ever::tokenizer::TokenSinkResult<()> {
        use html5ever::tokenizer::{TagKind, Token};
        match token {
            Token::CharacterTokens(text) => self.0.borrow_mut().push_str(&text),
            // Paragraphs and line breaks separate words.
            Token::TagToken(tag) if tag.kind == TagKind::EndTag || &*tag.name == "br" => {
                self.0.borrow_mut().push(' ')
            }
            _ => {}
        }
        html5ever::tokenizer::TokenSinkResult::Continue
    }
}

/// Escapes text for HTML (text and double- or single-quoted attributes).
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_render_with_rel_me_and_text_is_escaped() {
        assert_eq!(
            render_value("https://ngo.example/about"),
            "<a href=\"https://ngo.example/about\" target=\"_blank\" rel=\"me nofollow noopener noreferrer\">ngo.example/about</a>"
        );
        assert_eq!(render_value("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
        assert_eq!(render_value("javascript:alert(1)"), "javascript:alert(1)");
    }

    #[test]
    fn field_limits() {
        let four: Vec<_> = (0..4).map(|i| (format!("n{i}"), "v".to_string())).collect();
        assert_eq!(local_fields(&four, &[]).unwrap().len(), 4);
        let five: Vec<_> = (0..5).map(|i| (format!("n{i}"), "v".to_string())).collect();
        assert!(local_fields(&five, &[]).is_err());
        assert!(local_fields(&[("n".into(), "v".repeat(256))], &[]).is_err());
        assert!(local_fields(&[("n".into(), "v".repeat(255))], &[]).is_ok());
    }

    #[test]
    fn rel_me_links_are_found() {
        let targets = vec!["https://kv.example/@ngo".to_string()];
        assert!(links_back(
            "<html><a rel=\"nofollow me\" href=\"https://KV.example/@ngo/\">me</a>",
            &targets
        ));
        assert!(links_back(
            "<link rel=me href=https://kv.example/@ngo>",
            &targets
        ));
        assert!(!links_back(
            "<a href=\"https://kv.example/@ngo\">no rel</a>",
            &targets
        ));
        assert!(!links_back(
            "<a rel=\"me\" href=\"https://kv.example/@other\">x</a>",
            &targets
        ));
    }

    #[test]
    fn remote_fields_are_cleaned_and_bounded() {
        let many: Vec<(String, String)> = (0..20)
            .map(|i| {
                (
                    format!("<b>n{i}</b>"),
                    "<script>x</script><a href=\"javascript:x\">y</a>".into(),
                )
            })
            .collect();
        let fields = remote_fields(many.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        assert_eq!(fields.len(), MAX_REMOTE_FIELDS);
        assert!(!fields[0].value_html.contains("script"));
        assert!(!fields[0].value_html.contains("javascript"));
        assert!(!fields[0].name.contains('<'));
    }
}
