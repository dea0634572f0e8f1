//! Making what comes from other servers and from clients safe where it
//! enters: HTML through one allow-list, plain fields stripped of markup, URLs
//! `http` or `https` only. The foundation layer, so that federation (actor
//! documents) and services (notes, what people type) use the same rules.

use std::sync::OnceLock;

/// Cleans HTML from another server with an allow-list of the tags and
/// attributes Mastodon keeps; links get `rel="nofollow noopener noreferrer"`.
pub fn html(html: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER
        .get_or_init(|| {
            let mut builder = ammonia::Builder::empty();
            builder
                .add_tags([
                    "p",
                    "br",
                    "span",
                    "a",
                    "del",
                    "s",
                    "pre",
                    "code",
                    "em",
                    "strong",
                    "b",
                    "i",
                    "u",
                    "ul",
                    "ol",
                    "li",
                    "blockquote",
                ])
                .add_tag_attributes("a", ["href", "target"])
                .add_tag_attributes("ol", ["start", "reversed"])
                .add_allowed_classes("a", ["mention", "hashtag", "u-url", "status-link"])
                .add_allowed_classes("span", ["h-card", "invisible", "ellipsis"])
                .url_schemes(["http", "https", "mailto"].into_iter().collect())
                .link_rel(Some("nofollow noopener noreferrer"))
                // A relative link would point at this instance, not the sender's.
                .url_relative(ammonia::UrlRelative::Deny);
            builder
        })
        .clean(html)
        .to_string()
}

/// Plain text: markup removed (with the content of `script` and `style`),
/// entities decoded. For fields that are text, such as display names and
/// content warnings: what shows them escapes them. Decoding could turn
/// `&lt;script&gt;` into a tag, so the text is cleaned until nothing changes:
/// what comes out holds no markup even for a client that (wrongly) renders
/// it as HTML.
pub fn plain(text: &str) -> String {
    // Without `<` or `&` there is neither markup nor an entity: most names
    // and mentions, which then cost no parsing.
    if !text.contains(['<', '&']) {
        return text.to_string();
    }
    let mut current = strip_markup(text);
    // Each round peels one level of entity encoding; names need none.
    for _ in 0..4 {
        let next = strip_markup(&current);
        if next == current {
            return current;
        }
        current = next;
    }
    current.replace(['<', '>'], "")
}

fn strip_markup(text: &str) -> String {
    let cleaned = ammonia::Builder::empty().clean(text).to_string();
    // ammonia's serialiser escapes only these in text; `&amp;` last, so that
    // an escaped entity in the original stays as typed.
    cleaned
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// A URL from elsewhere, kept only if it is `http` or `https`: a
/// `javascript:` or `data:` link must never reach a page or an app.
pub fn http_url(url: &url::Url) -> Option<url::Url> {
    matches!(url.scheme(), "http" | "https").then(|| url.clone())
}

/// The longest hashtag kept, in characters (Mastodon's column is as long).
pub const MAX_HASHTAG_CHARS: usize = 100;

/// A hashtag's name as stored (lower case, without `#`), if it follows the
/// hashtag rule: letters (with their combining marks), digits and `_`, at
/// least one letter, at most [`MAX_HASHTAG_CHARS`]. Anything else (markup,
/// spaces, punctuation, URLs) is not a hashtag here, as on Mastodon.
pub fn hashtag(name: &str) -> Option<String> {
    static RULE: OnceLock<regex::Regex> = OnceLock::new();
    let rule = RULE.get_or_init(|| {
        regex::Regex::new(&format!("^{HASHTAG}$")).unwrap_or_else(|e| panic!("hashtag rule: {e}"))
    });
    let name = name.strip_prefix('#').unwrap_or(name);
    (name.chars().count() <= MAX_HASHTAG_CHARS && rule.is_match(name)).then(|| name.to_lowercase())
}

/// Mastodon's hashtag rule, as a regex fragment: word characters (letters
/// with their combining marks, digits, `_`, and the middle dot and
/// zero-width non-joiner some languages need), at least one of them a
/// letter. Remote tags are checked and local text is tokenised with it, so
/// both split tags alike.
pub const HASHTAG: &str =
    r"[\p{L}\p{M}\p{N}_\u{B7}\u{200C}]*\p{L}[\p{L}\p{M}\p{N}_\u{B7}\u{200C}]*";

/// A language tag (`en`, `sq`, `pt-BR`, `zh-Hant`), if it looks like one:
/// ASCII letters and digits in parts joined by `-`, at most 16 characters.
/// Apps show it and put it into `lang` attributes.
pub fn language_tag(tag: &str) -> Option<String> {
    let valid = (2..=16).contains(&tag.len())
        && tag.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
        && tag
            .chars()
            .take_while(|c| *c != '-')
            .all(|c| c.is_ascii_alphabetic());
    valid.then(|| tag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_lose_markup_and_keep_their_text() {
        assert_eq!(
            plain(r#"<b>Alice</b> & <img src=x onerror="alert(1)"><script>alert(2)</script>"#),
            "Alice & "
        );
        assert_eq!(plain("5 < 6 &amp; 7 > 2"), "5 < 6 & 7 > 2");
    }

    #[test]
    fn only_http_urls_are_kept() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<script>",
            "ftp://x.example/",
        ] {
            assert_eq!(http_url(&url::Url::parse(bad).unwrap()), None, "{bad}");
        }
        let good = url::Url::parse("https://x.example/@a").unwrap();
        assert_eq!(http_url(&good), Some(good));
    }

    #[test]
    fn plain_text_keeps_no_markup_however_encoded() {
        for hostile in [
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
            "&#60;svg onload=alert(1)&#62;",
            "<<script>script>alert(1)<</script>/script>",
        ] {
            let text = plain(hostile);
            assert!(
                !text.contains('<') || !text.contains('>'),
                "{hostile:?} became {text:?}"
            );
            assert!(!text.to_lowercase().contains("<script"), "{text:?}");
            assert!(!text.to_lowercase().contains("<img"), "{text:?}");
            assert!(!text.to_lowercase().contains("<svg"), "{text:?}");
        }
        // Text that only looks like markup stays as typed.
        assert_eq!(plain("I <3 NGOs & a < b"), "I <3 NGOs & a < b");
        assert_eq!(plain("AT&amp;T"), "AT&T");
    }

    #[test]
    fn html_drops_every_executable_form() {
        let dirty = concat!(
            r#"<a href="JaVaScRiPt:alert(1)">a</a>"#,
            r#"<a href="&#106;avascript:alert(2)">b</a>"#,
            r#"<a href="java&#x09;script:alert(3)">c</a>"#,
            r#"<a href="data:text/html;base64,PHNjcmlwdD4=">d</a>"#,
            r#"<a href="vbscript:msgbox(4)">e</a>"#,
            r#"<svg><script>alert(5)</script></svg>"#,
            r#"<p style="width: expression(alert(6))">f</p>"#,
            r#"<iframe src="https://x.example"></iframe>"#,
            r#"<form action="https://x.example"><input></form>"#,
            r#"<meta http-equiv="refresh" content="0;url=javascript:alert(7)">"#,
            r#"<math><mi xlink:href="javascript:alert(8)">g</mi></math>"#,
            r#"<a href="https://ok.example" onclick="alert(9)" target="_blank">ok</a>"#,
        );
        let clean = html(dirty).to_lowercase();
        for bad in [
            "javascript",
            "data:",
            "vbscript",
            "<svg",
            "<script",
            "style",
            "expression",
            "<iframe",
            "<form",
            "<input",
            "<meta",
            "<math",
            "onclick",
            "alert(5)",
        ] {
            assert!(!clean.contains(bad), "{bad} in {clean}");
        }
        assert!(clean.contains(r#"href="https://ok.example""#), "{clean}");
        assert!(
            clean.contains(r#"rel="nofollow noopener noreferrer""#),
            "{clean}"
        );
    }

    #[test]
    fn hashtags_follow_the_hashtag_rule() {
        assert_eq!(hashtag("#NAD2026").as_deref(), Some("nad2026"));
        assert_eq!(hashtag("civic_space").as_deref(), Some("civic_space"));
        assert_eq!(hashtag("#Shqipëri").as_deref(), Some("shqipëri"));
        // Devanagari needs its combining marks.
        assert_eq!(hashtag("#हिन्दी").as_deref(), Some("हिन्दी"));
        for bad in [
            "#",
            "#2026",
            "#<script>",
            "#a b",
            "#x\"onmouseover=\"alert(1)",
            "#javascript:alert(1)",
            "#a/b",
            &format!("#{}", "a".repeat(MAX_HASHTAG_CHARS + 1)),
        ] {
            assert_eq!(hashtag(bad), None, "{bad}");
        }
    }

    #[test]
    fn language_tags_are_codes() {
        for good in ["en", "sq", "pt-BR", "zh-Hant-TW", "gsw"] {
            assert_eq!(language_tag(good).as_deref(), Some(good));
        }
        for bad in [
            "",
            "e",
            "<svg/onload=x>",
            "en_US",
            "en-",
            "12",
            "toolonglanguagetag",
        ] {
            assert_eq!(language_tag(bad), None, "{bad}");
        }
    }
}
