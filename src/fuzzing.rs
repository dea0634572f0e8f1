//! Entry points for the fuzz targets in `fuzz/` (see docs/security.md,
//! "Fuzzing"): each takes arbitrary bytes and runs them through what kuvend
//! parses hostile input with, exactly as the server does. Not an API: hidden
//! from the docs, and nothing in the server calls it. Wiring, like lib.rs:
//! it reaches into several layers, and no layer reaches into it.

use crate::federation::{
    nodeinfo,
    notes::clean_remote_note,
    protocol::activities::{InboxActivity, NoteOrId, UpdatedObject},
    signatures::{self, rfc9421},
};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::time::{Duration, SystemTime};

/// The clock the signature targets check against: a fixed moment, so that a
/// `created` or `Date` in the corpus stays within the allowed skew and the
/// fuzzer gets past the time checks into what follows them.
pub const NOW_UNIX_SECS: u64 = 1_750_000_000;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_UNIX_SECS)
}

/// An inbox body: [`crate::service::inbox`]'s `parse_incoming`, then the
/// typed activity (`IncomingActivity::parse`), then, for a post, the
/// cleaning every remote note goes through before it is stored.
pub fn incoming_activity(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(activity) = crate::service::inbox::parse_incoming(raw) else {
        return;
    };
    let post = match activity.parse() {
        Ok(InboxActivity::Create(NoteOrId::Note(post))) => post,
        Ok(InboxActivity::Update(UpdatedObject::Note(post))) => post,
        Ok(InboxActivity::Announce(_, Some(post))) => post,
        _ => return,
    };
    let _ = clean_remote_note(post.note);
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

fn no_script(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script tag came out: {html}");
    assert!(
        !lower.contains("href=\"javascript:"),
        "a javascript: link came out: {html}"
    );
}
