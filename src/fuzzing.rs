//! Entry points for the fuzz targets in `fuzz/` (see docs/security.md,
//! "Fuzzing"): each takes arbitrary bytes and runs them through what kuvend
//! parses hostile input with, exactly as the server does. Not an API: hidden
//! from the docs, and nothing in the server calls it. Wiring, like lib.rs:
//! it reaches into several layers, and no layer reaches into it.

use crate::federation::{
    actors::remote_actor_row,
    nodeinfo,
    protocol::activities::{InboxActivity, NoteOrId, UpdatedObject},
    signatures::{self, rfc9421},
};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::{
    sync::OnceLock,
    time::{Duration, SystemTime},
};

/// The clock the signature targets check against: a fixed moment, so that a
/// `created` or `Date` in the corpus stays within the allowed skew and the
/// fuzzer gets past the time checks into what follows them.
pub const NOW_UNIX_SECS: u64 = 1_750_000_000;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_UNIX_SECS)
}

/// The default limits (config/default.toml), as a server without a
/// `[limits]` section has them.
fn limits() -> Option<&'static crate::config::LimitSettings> {
    static SETTINGS: OnceLock<Option<crate::config::Settings>> = OnceLock::new();
    SETTINGS
        .get_or_init(|| crate::config::Settings::load(None).ok())
        .as_ref()
        .map(|settings| &settings.limits)
}

/// An inbox body: [`crate::service::inbox`]'s `parse_incoming`, then the
/// typed activity (`IncomingActivity::parse`), then what the inbox makes of
/// it before the network or the database: a post bounded and cleaned (and
/// an event's fields read), an updated actor read into a row.
pub fn incoming_activity(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(activity) = crate::service::inbox::parse_incoming(raw) else {
        return;
    };
    let Some(limits) = limits() else {
        return;
    };
    match activity.parse() {
        Ok(InboxActivity::Create(NoteOrId::Note(post)))
        | Ok(InboxActivity::Update(UpdatedObject::Note(post)))
        | Ok(InboxActivity::Announce(_, Some(post))) => {
            let _ = crate::service::posts::clean_post(limits, *post);
        }
        Ok(InboxActivity::Update(UpdatedObject::Actor(actor))) => {
            let _ = remote_actor_row(&actor, &activity.actor);
        }
        _ => {}
    }
}

/// A request as the signature targets read it: the first line is the path
/// and query, then `name: value` header lines up to an empty line, then the
/// body (none when there is no empty line). Lines that are not valid
/// headers are skipped, as hyper would have refused them.
fn request(data: &[u8]) -> (String, HeaderMap, Option<&[u8]>) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], Some(&data[at + 2..])),
        None => (data, None),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let path = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(&line[..colon]);
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.append(name, value);
        }
    }
    (path, headers, body)
}

/// A draft-cavage `Signature` header: parsed, then checked against the
/// request (coverage, time, `Digest`) up to the signing string.
pub fn draft_cavage_signature(data: &[u8]) {
    let (path, headers, body) = request(data);
    let Ok(signature) = signatures::parse_signature_header(&headers) else {
        return;
    };
    let _ = signature.key_owner();
    let method = if body.is_some() { "POST" } else { "GET" };
    let _ = signatures::check_request(&signature, method, &path, &headers, body, now());
}

/// RFC 9421 `Signature-Input` and `Signature` (and `Content-Digest`):
/// parsed and checked up to the signature base.
pub fn rfc9421_signature(data: &[u8]) {
    let (path, headers, body) = request(data);
    let request = rfc9421::SignedRequest {
        method: if body.is_some() { "POST" } else { "GET" },
        path_and_query: &path,
        headers: &headers,
        body,
        scheme: "https",
    };
    if let Ok((signature, _base)) = rfc9421::check_request(&request, now()) {
        let _ = signature.key_owner();
    }
}

/// A WebFinger response body, read for the actor's link.
pub fn webfinger(data: &[u8]) {
    if let Some(url) = crate::federation::fetch::webfinger_document(data) {
        let _ = crate::sanitize::http_url(&url);
    }
}

/// One body read both as a NodeInfo discovery document (its links) and as
/// a NodeInfo document (its software), for an instance at
/// `https://remote.example`. A discovery link must stay on that origin.
pub fn nodeinfo(data: &[u8]) {
    let Ok(origin) = url::Url::parse("https://remote.example/.well-known/nodeinfo") else {
        return;
    };
    let (link, software) = nodeinfo::nodeinfo_documents(data, data, &origin);
    if let Some(link) = link {
        assert!(
            crate::federation::fetch::same_origin(&link, &origin),
            "a NodeInfo link off the instance's origin was chosen: {link}"
        );
    }
    if let Some(software) = software {
        assert!(software.name.len() <= nodeinfo::MAX_NAME_CHARS);
        assert!(
            software
                .version
                .is_none_or(|v| v.chars().count() <= nodeinfo::MAX_VERSION_CHARS)
        );
    }
}

/// Text as people type it (rendered to HTML with links, hashtags and
/// mentions) and HTML from other servers (the allow-list sanitiser, the
/// plain-text stripper, and the small field checks). Nothing they put out
/// may hold a `<script` or a `javascript:` link.
pub fn text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (_tags, mentions) = crate::service::text::scan(text);
    let targets: Vec<_> = mentions
        .into_iter()
        .map(|mention| crate::service::text::MentionTarget {
            href: format!("https://remote.example/@{}", mention.username),
            mention,
        })
        .collect();
    let rendered = crate::service::text::render(text, &targets, |tag| {
        format!("https://kuvend.example/tags/{tag}")
    });
    no_script(&rendered);
    no_script(&crate::sanitize::html(text));
    let _ = crate::sanitize::plain(text);
    let _ = crate::sanitize::hashtag(text);
    let _ = crate::sanitize::language_tag(text);
}

/// Checks the tags of sanitised or rendered HTML, not its text: a `<` in
/// text always comes out escaped, so every literal `<` opens a tag. No tag
/// may be a script, and every `href` or `src` must use a scheme the
/// sanitiser allows, read as a browser reads it (the WHATWG URL parser drops
/// leading control characters and inner tabs; what does not parse is no
/// link). Attributes are read one by
/// one, each value up to its closing quote (our serialisers always quote
/// with `"` and escape it inside values). Cruder checks stopped the first
/// fuzz runs on false alarms: `href="javascript:` typed as text,
/// `javascript:` inside an https host, ` href="` inside another link's
/// value, and a control character before `https:`.
fn no_script(html: &str) {
    let lower = html.to_ascii_lowercase();
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        assert!(!tag.starts_with("script"), "a script tag came out: {html}");
        for (name, value) in attributes(tag) {
            if name == "href" || name == "src" {
                // A value that does not parse is no link a browser follows
                // (or a relative one, same origin); a script needs a scheme.
                if let Ok(url) = url::Url::parse(&unescape(value)) {
                    assert!(
                        matches!(url.scheme(), "http" | "https" | "mailto"),
                        "a link with another scheme came out: {html}"
                    );
                }
            }
        }
    }
}

/// An attribute value as a browser reads it: the serialiser's escapes
/// undone (`&amp;` last, so `&amp;lt;` stays `&lt;`).
fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The attributes of one tag's inside (`a href="x" rel="y"`), as
/// (name, value) pairs; a name without `=` has an empty value.
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    // Skip the tag's own name.
    let mut rest = tag.trim_start_matches(|c: char| !c.is_whitespace());
    loop {
        rest = rest.trim_start();
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_end);
        if name.is_empty() {
            return found;
        }
        match after.strip_prefix("=\"") {
            Some(quoted) => {
                let (value, tail) = quoted.split_once('"').unwrap_or((quoted, ""));
                found.push((name, value));
                rest = tail;
            }
            None => {
                found.push((name, ""));
                rest = after.strip_prefix('=').unwrap_or(after);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every fuzz target's committed seeds go through its entry point (so
    /// that the harness keeps compiling and its checks hold on real input);
    /// the inputs that once crashed a target are unit tests where the bug was.
    #[test]
    fn the_seeds_run_through_every_target() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 5] = [
            ("draft_cavage_signature", super::draft_cavage_signature),
            ("rfc9421_signature", super::rfc9421_signature),
            ("webfinger", super::webfinger),
            ("nodeinfo", super::nodeinfo),
            ("text", super::text),
        ];
        for (name, target) in targets {
            let mut count = 0;
            for entry in std::fs::read_dir(seeds.join(name)).unwrap() {
                target(&std::fs::read(entry.unwrap().path()).unwrap());
                count += 1;
            }
            assert!(count > 0, "no seeds for {name}");
        }
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mastodon");
        for entry in std::fs::read_dir(fixtures).unwrap() {
            super::incoming_activity(&std::fs::read(entry.unwrap().path()).unwrap());
        }
    }

    /// The first fuzz run's find (text target, 2026-12-01): the words
    /// `href="javascript:` typed as text beside allowed markup. The
    /// sanitiser keeps them as text, which is harmless; the check once
    /// took them for a link.
    #[test]
    fn javascript_typed_as_text_is_not_a_link() {
        let input = "Hello @alicxample/@org/1?x=1&y=2, #Klim\u{eb} #Climate_2025.\n\n\
                     Second <b>paragraph</b> href=\"javascript:and @bob@remo";
        super::text(input.as_bytes());
        let cleaned = crate::sanitize::html(input);
        assert!(cleaned.contains("href=\"javascript:"), "{cleaned}");
        assert!(!cleaned.contains("<a"), "{cleaned}");
    }

    /// The second find (text target, 2026-12-01): `javascript:` inside an
    /// https link's host, harmless; the check once took it for a link.
    #[test]
    fn javascript_inside_an_https_url_is_not_a_link() {
        let input = "<p>Hi <span class=\"h-card\"><a href=\"https://remote.exampljavascript:e/@a\" \
                     class=\"u-url mention\">@<span>a</span>p25.\n\nSeconol>ins</p>\n";
        super::text(input.as_bytes());
    }

    /// The check itself still catches a real script tag or link.
    #[test]
    fn the_check_catches_scripts_in_tags() {
        for html in [
            "<p>x</p><script>alert(1)</script>",
            "<a href=\"JavaScript:alert(1)\">x</a>",
            "<img src=\"data:text/html,x\">",
        ] {
            assert!(
                std::panic::catch_unwind(|| super::no_script(html)).is_err(),
                "{html}"
            );
        }
        super::no_script("<p>href=\"javascript:x\" &lt;script&gt;</p>");
        // The third find: an odd but https link is no alarm.
        super::no_script("<a href=\"https:/t;emote.example/@a\">x</a>");
        // The fifth: a control character before an https scheme, which
        // browsers drop; before javascript: it is still caught.
        super::no_script("<a href=\"\u{8}httPs://remote.example/@a\">x</a>");
        assert!(
            std::panic::catch_unwind(|| super::no_script("<a href=\"\u{8}java\tscript:x\">x</a>"))
                .is_err()
        );
        // The fourth: ` href="` inside another link's value.
        super::no_script("<a href=\"https://r.example/c&gt;&lt;a href=\" rel=\"nofollow\"></a>");
    }
}
