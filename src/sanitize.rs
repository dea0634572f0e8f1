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
/// entities decoded. For fields that are text, such as display names: what
/// shows them escapes them.
pub fn plain(text: &str) -> String {
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
}
