//! What authors type becomes HTML with links, hashtags and mentions; what
//! other servers send is sanitised with an allow-list before it is stored.

use regex::Regex;
use std::{collections::HashSet, sync::OnceLock};

/// A mention as written: `@user` (this instance) or `@user@host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionRef {
    pub username: String,
    pub domain: Option<String>,
}

/// Where a resolved mention links to.
#[derive(Debug, Clone)]
pub struct MentionTarget {
    pub mention: MentionRef,
    /// The actor's profile page (or id).
    pub href: String,
}

fn tokens() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(
            concat!(
                r"(?P<url>https?://[^\s<>\x22]+[^\s<>\x22.,;:!?)\]'])",
                r"|(?P<mention>@(?P<user>[A-Za-z0-9_]{{1,30}})(?:@(?P<host>[A-Za-z0-9.\-]+(?::[0-9]{{1,5}})?[A-Za-z0-9]))?)",
                r"|(?P<tag>#(?P<name>{hashtag}))"
            ),
            hashtag = crate::sanitize::HASHTAG
        ))
        .unwrap_or_else(|e| panic!("text token pattern: {e}"))
    })
}

/// Whether the character before a match allows a mention or tag to start
/// there (not inside a word, an address or a URL).
fn starts_token(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '/' || c == '@' || c == '#'))
}

/// The hashtags (lower-cased, without `#`) and mentions in a text, each once.
pub fn scan(text: &str) -> (Vec<String>, Vec<MentionRef>) {
    let mut tags = Vec::new();
    let mut mentions = Vec::new();
    let mut seen_tags = HashSet::new();
    let mut seen_mentions = HashSet::new();
    for cap in tokens().captures_iter(text) {
        let whole = cap.get(0).map(|m| m.start()).unwrap_or(0);
        if cap.name("url").is_some() || !starts_token(text, whole) {
            continue;
        }
        if let Some(name) = cap.name("name") {
            let tag = name.as_str().to_lowercase();
            if seen_tags.insert(tag.clone()) {
                tags.push(tag);
            }
        } else if let Some(user) = cap.name("user") {
            let mention = MentionRef {
                username: user.as_str().to_string(),
                domain: cap.name("host").map(|h| h.as_str().to_lowercase()),
            };
            if seen_mentions.insert(mention.clone()) {
                mentions.push(mention);
            }
        }
    }
    (tags, mentions)
}

/// Renders plain text as HTML paragraphs, linking URLs, hashtags (to
/// `tag_url(tag)`) and the mentions found in `targets`; everything else is
/// escaped. Unresolved mentions stay plain text, as on Mastodon.
pub fn render(text: &str, targets: &[MentionTarget], tag_url: impl Fn(&str) -> String) -> String {
    let mut paragraphs = Vec::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let mut html = String::new();
        let mut last = 0;
        for cap in tokens().captures_iter(paragraph) {
            let Some(whole) = cap.get(0) else { continue };
            let replacement = if let Some(url) = cap.name("url") {
                let url = url.as_str();
                Some(format!(
                    "<a href=\"{}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{}</a>",
                    escape(url),
                    escape(url)
                ))
            } else if !starts_token(paragraph, whole.start()) {
                None
            } else if let Some(name) = cap.name("name") {
                let tag = name.as_str();
                Some(format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag nofollow noopener noreferrer\">#<span>{}</span></a>",
                    escape(&tag_url(&tag.to_lowercase())),
                    escape(tag)
                ))
            } else if let Some(user) = cap.name("user") {
                let wanted = MentionRef {
                    username: user.as_str().to_string(),
                    domain: cap.name("host").map(|h| h.as_str().to_lowercase()),
                };
                targets.iter().find(|t| t.mention == wanted).map(|t| {
                    format!(
                        "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\" rel=\"nofollow noopener noreferrer\">@<span>{}</span></a></span>",
                        escape(&t.href),
                        escape(user.as_str())
                    )
                })
            } else {
                None
            };
            if let Some(replacement) = replacement {
                html.push_str(&escape(&paragraph[last..whole.start()]).replace('\n', "<br>"));
                html.push_str(&replacement);
                last = whole.end();
            }
        }
        html.push_str(&escape(&paragraph[last..]).replace('\n', "<br>"));
        paragraphs.push(format!("<p>{html}</p>"));
    }
    paragraphs.concat()
}

fn escape(text: &str) -> String {
    super::escape_html(text)
}

pub use crate::sanitize::{html as sanitize_html, plain as strip_html};

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_url(tag: &str) -> String {
        format!("https://cso.example/tags/{tag}")
    }

    #[test]
    fn scans_tags_and_mentions_once() {
        let (tags, mentions) = scan(
            "Join #NAD! #nad #Civic_Space @ngo and @friend@other.example:8080, mail a@b.example",
        );
        assert_eq!(tags, ["nad", "civic_space"]);
        assert_eq!(
            mentions,
            [
                MentionRef {
                    username: "ngo".into(),
                    domain: None
                },
                MentionRef {
                    username: "friend".into(),
                    domain: Some("other.example:8080".into())
                },
            ]
        );
    }

    #[test]
    fn urls_are_not_tags_or_mentions() {
        let (tags, mentions) =
            scan("see https://example.org/page#section and https://x.example/@user");
        assert!(tags.is_empty(), "{tags:?}");
        assert!(mentions.is_empty(), "{mentions:?}");
    }

    #[test]
    fn renders_links_tags_mentions_and_escapes() {
        let targets = [MentionTarget {
            mention: MentionRef {
                username: "friend".into(),
                domain: Some("other.example".into()),
            },
            href: "https://other.example/@friend".into(),
        }];
        let html = render(
            "Hello @friend@other.example <b>& @ghost@nowhere.example</b>\nsee https://example.org/a?b=1&c=2.\n\n#NAD",
            &targets,
            tag_url,
        );
        assert_eq!(
            html,
            "<p>Hello <span class=\"h-card\"><a href=\"https://other.example/@friend\" class=\"u-url mention\" rel=\"nofollow noopener noreferrer\">@<span>friend</span></a></span> \
             &lt;b&gt;&amp; @ghost@nowhere.example&lt;/b&gt;<br>see \
             <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">https://example.org/a?b=1&amp;c=2</a>.</p>\
             <p><a href=\"https://cso.example/tags/nad\" class=\"mention hashtag\" rel=\"tag nofollow noopener noreferrer\">#<span>NAD</span></a></p>"
        );
    }

    #[test]
    fn sanitiser_removes_scripts_handlers_and_foreign_classes() {
        let dirty = "<p onclick=\"x()\">Hi <script>alert(1)</script><a href=\"javascript:alert(1)\">x</a> \
                     <a href=\"https://ok.example\" class=\"mention evil\">ok</a><img src=x onerror=alert(1)>\
                     <span class=\"h-card big\">c</span><iframe src=\"https://e.example\"></iframe></p>";
        let clean = sanitize_html(dirty);
        assert!(
            !clean.contains("script")
                && !clean.contains("onclick")
                && !clean.contains("javascript")
        );
        assert!(
            !clean.contains("<img")
                && !clean.contains("iframe")
                && !clean.contains("evil")
                && !clean.contains("big")
        );
        assert!(clean.contains("href=\"https://ok.example\""), "{clean}");
        assert!(clean.contains("class=\"mention\""), "{clean}");
        assert!(
            clean.contains("rel=\"nofollow noopener noreferrer\""),
            "{clean}"
        );
    }
}
