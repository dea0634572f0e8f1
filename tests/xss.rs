//! Cross-site scripting: an XSS corpus placed by a hostile remote server
//! (in its actor document and in a note, its tags and links, and in an edit
//! of that note) and posted by a local account through the client API comes
//! out inert everywhere it is shown: every client API entity, every HTML
//! page and every ActivityPub document. One checker ([`assert_inert`])
//! looks at everything.

use crate::common::{Api, Backend, TestInstance, available, client, deliver, eventually, temp_dir};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use kuvend::service::auth;
use serde_json::{Value, json};
use std::{cell::RefCell, time::Duration};
use url::Url;

/// Markup that executes, in the forms filters have missed: tags, event
/// handlers, script URLs in mixed case and entity-encoded, SVG and MathML,
/// CSS, frames, forms, refresh, and tag-splitting tricks.
const MARKUP: &[&str] = &[
    "<script>alert('s1')</script>",
    "<img src=x onerror=alert('s2')>",
    "<body onload=alert('s3')>",
    "<svg onload=alert('s4')><script>alert('s5')</script></svg>",
    "<a href=\"javascript:alert('s6')\">j1</a>",
    "<a href=\"JaVaScRiPt:alert('s7')\">j2</a>",
    "<a href=\"&#106;&#97;vascript:alert('s8')\">j3</a>",
    "<a href=\"&#x6A;avascript&colon;alert('s9')\">j4</a>",
    "<a href=\" java\tscript:alert('s10')\">j5</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">d1</a>",
    "<a href=\"vbscript:msgbox('s11')\">v1</a>",
    "<a href=\"https://ok.example/\" onclick=\"alert('s12')\" onmouseover=alert('s13')>ok</a>",
    "<p style=\"background:url(javascript:alert('s14'))\">c1</p>",
    "<div style=\"width: expression(alert('s15'))\">c2</div>",
    "<style>body{background:url(javascript:alert('s16'))}</style>",
    "<iframe src=\"javascript:alert('s17')\"></iframe>",
    "<iframe srcdoc=\"<script>alert('s18')</script>\"></iframe>",
    "<form action=\"javascript:alert('s19')\"><button formaction=\"javascript:alert('s20')\">go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('s21')\">",
    "<object data=\"javascript:alert('s22')\"></object><embed src=\"data:text/html,x\">",
    "<math><a xlink:href=\"javascript:alert('s23')\">m</a></math>",
    "&lt;script&gt;alert('s24')&lt;/script&gt;",
    "<scr<script>ipt>alert('s25')</script>",
    "\"><script>alert('s26')</script>",
    "'><img src=x onerror=alert('s27')>",
    "<a href=\"/relative\" target=\"_top\">rel</a>",
];

/// Links that execute or smuggle content.
const URLS: &[&str] = &[
    "javascript:alert('u1')",
    "JaVaScRiPt:alert('u2')",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox('u3')",
    " javascript:alert('u4')",
    "java\tscript:alert('u5')",
    "javascript://beta.test/%0Aalert('u6')",
];

fn corpus(marker: &str) -> String {
    format!("<p>{marker}</p>{}", MARKUP.concat())
}

fn links() -> String {
    URLS.iter()
        .map(|u| format!("<a href=\"{u}\">link</a>"))
        .collect()
}

// ---------------------------------------------------------------- checker

/// Elements that run script, load other documents, or restyle the page.
const DANGEROUS_ELEMENTS: &[&str] = &[
    "script", "svg", "math", "iframe", "frame", "frameset", "object", "embed", "applet", "style",
    "link", "meta", "base", "form", "input", "button", "textarea", "select", "img", "video",
    "audio", "source", "template", "noscript", "portal",
];

/// Attributes whose value is a URL a browser follows or loads.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "data",
    "cite",
    "srcset",
    "ping",
];

/// JSON keys whose value is a URL an app links to or loads.
const URL_KEYS: &[&str] = &[
    "url",
    "uri",
    "avatar",
    "avatar_static",
    "header",
    "header_static",
    "href",
    "static_url",
    "website",
];

/// A start tag: its name and its attributes (name, decoded value).
type StartTag = (String, Vec<(String, String)>);

struct Tags(RefCell<Vec<StartTag>>);

impl TokenSink for Tags {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token {
            if tag.kind == TagKind::StartTag {
                let attrs = tag
                    .attrs
                    .iter()
                    .map(|a| {
                        let name = match &a.name.prefix {
                            Some(prefix) => format!("{prefix}:{}", a.name.local),
                            None => a.name.local.to_string(),
                        };
                        (name.to_lowercase(), a.value.to_string())
                    })
                    .collect();
                self.0.borrow_mut().push((tag.name.to_string(), attrs));
            }
        }
        TokenSinkResult::Continue
    }
}

/// The start tags of an HTML text, with their attributes entity-decoded,
/// as a browser's tokenizer sees them.
fn start_tags(html: &str) -> Vec<StartTag> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(Tags(RefCell::new(Vec::new())), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

/// The scheme a browser would see: control characters and whitespace are
/// ignored inside it, case does not count.
fn dangerous_scheme(url: &str) -> bool {
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_lowercase();
    ["javascript:", "data:", "vbscript:"]
        .iter()
        .any(|s| squeezed.starts_with(s))
}

/// Panics if `html` holds anything executable: a dangerous element, an
/// event handler or `style` attribute, `srcdoc`, `http-equiv`, or a URL
/// attribute with a script or data scheme. `content_links`: every link must
/// also carry `rel="nofollow noopener noreferrer"` (links in content, which
/// we produce or keep; page navigation is the template's own).
fn assert_html_inert(place: &str, html: &str, content_links: bool) {
    assert_html_inert_but(place, html, content_links, &[]);
}

/// As [`assert_html_inert`], with the elements `allowed` (a template's own
/// form) still checked for their attributes.
fn assert_html_inert_but(place: &str, html: &str, content_links: bool, allowed: &[&str]) {
    for (name, attrs) in start_tags(html) {
        assert!(
            allowed.contains(&name.as_str()) || !DANGEROUS_ELEMENTS.contains(&name.as_str()),
            "<{name}> in {place}: {html}"
        );
        for (attr, value) in &attrs {
            assert!(
                !attr.starts_with("on")
                    && !["style", "srcdoc", "http-equiv", "formaction"].contains(&attr.as_str()),
                "{attr}= on <{name}> in {place}: {html}"
            );
            if URL_ATTRIBUTES.contains(&attr.as_str()) {
                assert!(
                    !dangerous_scheme(value),
                    "{attr}={value:?} on <{name}> in {place}: {html}"
                );
            }
        }
        if content_links && name == "a" {
            let rel = attrs
                .iter()
                .find(|(a, _)| a == "rel")
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            for needed in ["nofollow", "noopener", "noreferrer"] {
                assert!(
                    rel.split_whitespace().any(|r| r == needed),
                    "link without rel {needed} in {place}: {html}"
                );
            }
            let href = attrs
                .iter()
                .find(|(a, _)| a == "href")
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            assert!(
                href.is_empty()
                    || href.starts_with("http://")
                    || href.starts_with("https://")
                    || href.starts_with("mailto:"),
                "link to {href:?} in {place}: {html}"
            );
        }
    }
}

/// Panics if any string in a JSON document (an API entity or an ActivityPub
/// document) is executable: each string is checked as HTML (content, bios,
/// names: a client may render any of them as HTML), and URL fields must be
/// `http(s)`.
fn assert_json_inert(place: &str, value: &Value) {
    fn walk(place: &str, key: &str, value: &Value) {
        match value {
            Value::String(s) => {
                let at = format!("{place} .{key}");
                assert_html_inert(&at, s, true);
                assert!(!dangerous_scheme(s), "{at} = {s:?}");
                if URL_KEYS.contains(&key) && !s.is_empty() {
                    assert!(
                        s.starts_with("http://") || s.starts_with("https://"),
                        "{at} = {s:?} is not an http(s) URL"
                    );
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(place, key, v)),
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(place, k, v)),
            _ => {}
        }
    }
    walk(place, "", value);
}

/// Panics if an HTML page holds anything executable. The template's own
/// head (a `<style>` block, `<meta charset>` and viewport) is the only
/// markup allowed before `<body>`; everything after it is checked strictly.
fn assert_page_inert(place: &str, page: &str) {
    assert_form_page_inert(place, page, &[]);
}

/// As [`assert_page_inert`] for a page whose template has a form: its
/// `form_elements` are allowed, as many as the template has.
fn assert_form_page_inert(place: &str, page: &str, form_elements: &[(&str, usize)]) {
    let body_at = page
        .find("<body")
        .unwrap_or_else(|| panic!("no body in {place}"));
    let head = &page[..body_at];
    for (name, attrs) in start_tags(head) {
        match name.as_str() {
            "html" | "head" | "title" | "style" => assert!(attrs.iter().all(|(a, _)| a == "lang")),
            // Open Graph tags name themselves with `property`; no
            // `http-equiv` (a refresh to elsewhere) is allowed.
            "meta" => assert!(
                attrs.iter().all(|(a, _)| a == "charset"
                    || a == "name"
                    || a == "property"
                    || a == "content"),
                "{attrs:?} in the head of {place}"
            ),
            // The profile's feed and calendar: only these attributes, and
            // an address of ours (no script or data scheme).
            "link" => assert!(
                attrs.iter().all(|(a, v)| match a.as_str() {
                    "rel" => v == "alternate",
                    "type" => v == "application/rss+xml" || v == "text/calendar",
                    "href" => v.starts_with('/') || v.starts_with("http"),
                    _ => false,
                }),
                "{attrs:?} in the head of {place}"
            ),
            other => panic!("<{other}> in the head of {place}"),
        }
    }
    assert_eq!(head.matches("<style").count(), 1, "{place}: {head}");
    let body = &page[body_at..];
    let allowed: Vec<&str> = form_elements.iter().map(|(e, _)| *e).collect();
    for (element, count) in form_elements {
        let found = start_tags(body)
            .iter()
            .filter(|(n, _)| n == element)
            .count();
        assert_eq!(found, *count, "<{element}> in {place}");
    }
    assert_html_inert_but(place, body, false, &allowed);
}

// ---------------------------------------------------------------- remote side

async fn get_text(url: &str) -> String {
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.text().await.unwrap()
}

/// Signed by `reader`'s instance actor (authorized fetch is on).
async fn get_activity_json(reader: &TestInstance, url: &str) -> Value {
    let signer = reader.instance_actor_row().await;
    let response = crate::common::signed_get(&signer, url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{url}");
    response.json().await.unwrap()
}

async fn xss_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    let sender = beta.create_org("sender", false).await;
    alpha.follow_and_wait("ngo", &beta, "sender").await;
    auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "correct horse",
        Some(("ngo", "owner")),
    )
    .await
    .unwrap();
    let api = Api::login(&alpha.base_url(), "staff@ngo.example", "correct horse").await;
    let inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();
    let handle = format!("sender@{}", beta.domain);

    // Local input: the profile and a post, through the client API.
    let (status, me) = api
        .send(
            reqwest::Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(json!({
                "display_name": format!("NGO {}", MARKUP[..4].concat()),
                "note": format!("MARK-bio {}\n\n{}", MARKUP.concat(), URLS.join(" ")),
            })),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    let (status, local) = api
        .post(
            "/api/v1/statuses",
            json!({
                "status": format!(
                    "MARK-local #safe {} {} https://ok.example/?q=\"><script>alert(1)</script>",
                    MARKUP.concat(),
                    URLS.join(" ")
                ),
                "spoiler_text": format!("MARK-cw {}", MARKUP.concat()),
            }),
        )
        .await;
    assert_eq!(status, 200, "{local}");
    let local_id = local["id"].as_str().unwrap().to_string();
    assert!(
        local["content"]
            .as_str()
            .unwrap()
            .contains("&lt;script&gt;"),
        "typed markup shows as text: {local}"
    );

    // The remote actor's document, as a hostile server would send it: first
    // each hostile URL as url, icon and header, then the full corpus.
    let mut document = get_activity_json(&alpha, &sender.ap_id).await;
    for bad in URLS {
        document["url"] = json!(bad);
        document["icon"] = json!({"type": "Image", "url": bad});
        document["image"] = json!({"type": "Image", "url": bad});
        let (status, answer) = deliver(
            &sender,
            &inbox,
            &json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/activities/actor-{}", beta.base_url(), uuid::Uuid::new_v4()),
                "type": "Update",
                "actor": sender.ap_id,
                "object": document,
            }),
        )
        .await;
        assert_eq!(status, 202, "{bad}: {answer}");
        let (_, account) = api
            .get(&format!("/api/v1/accounts/lookup?acct={handle}"))
            .await;
        assert_json_inert(&format!("account with url {bad:?}"), &account);
    }
    document["name"] = json!(format!("Sender {}", MARKUP.concat()));
    document["summary"] = json!(format!("{}{}", corpus("MARK-summary"), links()));
    let (status, answer) = deliver(
        &sender,
        &inbox,
        &json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/actor-final", beta.base_url()),
            "type": "Update",
            "actor": sender.ap_id,
            "object": document,
        }),
    )
    .await;
    assert_eq!(status, 202, "{answer}");

    // A user name with markup is refused outright.
    let mut renamed = document.clone();
    renamed["preferredUsername"] = json!("sender<script>");
    let (status, answer) = deliver(
        &sender,
        &inbox,
        &json!({
            "id": format!("{}/activities/actor-renamed", beta.base_url()),
            "type": "Update",
            "actor": sender.ap_id,
            "object": renamed,
        }),
    )
    .await;
    assert!((400..500).contains(&status), "{status} {answer}");

    // A note replying to the local post, with the corpus in every field.
    let note_id = format!("{}/users/sender/statuses/hostile", beta.base_url());
    let local_ap = local["uri"].as_str().unwrap().to_string();
    let mut tags = vec![
        json!({"type": "Mention", "name": "@ngo", "href": ngo.ap_id}),
        json!({"type": "Hashtag", "name": "#safe", "href": format!("{}/tags/safe", beta.base_url())}),
        json!({"type": "Hashtag", "name": "#<script>alert(1)</script>", "href": format!("{}/tags/x", beta.base_url())}),
        json!({"type": "Hashtag", "name": "#x\" onmouseover=\"alert(1)", "href": format!("{}/tags/y", beta.base_url())}),
        json!({"type": "Hashtag", "name": "#javascript:alert(1)", "href": format!("{}/tags/z", beta.base_url())}),
        json!({"type": "Emoji", "name": ":blob<img src=x onerror=alert(1)>:", "id": format!("{}/emojis/1", beta.base_url()),
               "icon": {"type": "Image", "url": "javascript:alert(1)"}}),
        json!({"type": "Emoji", "name": ":ok:", "id": format!("{}/emojis/2", beta.base_url()), "href": format!("{}/emojis/2", beta.base_url()),
               "icon": {"type": "Image", "url": "data:image/svg+xml,<svg onload=alert(1)>"}}),
    ];
    for bad in URLS {
        tags.push(json!({"type": "Mention", "name": "@evil<svg onload=alert(1)>", "href": bad}));
        tags.push(json!({"type": "Hashtag", "name": "#fine", "href": bad}));
    }
    let note = |content: String, cw: &str| {
        json!({
            "id": note_id,
            "type": "Note",
            "attributedTo": sender.ap_id,
            "inReplyTo": local_ap,
            "content": content,
            "contentMap": {"<svg/onload=alert(1)>": "<script>alert(1)</script>", "en": "x"},
            "summary": corpus(cw),
            "url": URLS[0],
            "published": "2026-11-30T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [sender.followers_url, ngo.ap_id],
            "tag": tags,
        })
    };
    let (status, answer) = deliver(
        &sender,
        &inbox,
        &json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/create-hostile", beta.base_url()),
            "type": "Create",
            "actor": sender.ap_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": note(format!("{}{}", corpus("MARK-note"), links()), "MARK-cw-remote"),
        }),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let stored = alpha
        .post(&note_id)
        .await
        .expect("the hostile note is stored, cleaned");
    assert_eq!(stored.language.as_deref(), Some("en"));
    assert!(stored.content.contains("MARK-note"), "{}", stored.content);

    // A note whose id is a script URL on the sender's own host is refused.
    let script_id = format!("javascript://{}/%0Aalert(1)", beta.domain);
    let before = alpha.counts().await;
    let (status, answer) = deliver(
        &sender,
        &inbox,
        &json!({
            "id": format!("{}/activities/create-script-id", beta.base_url()),
            "type": "Create",
            "actor": sender.ap_id,
            "object": {"id": script_id, "type": "Note", "attributedTo": sender.ap_id,
                       "inReplyTo": local_ap, "content": "x",
                       "to": ["https://www.w3.org/ns/activitystreams#Public"]},
        }),
    )
    .await;
    assert!((400..500).contains(&status), "{status} {answer}");
    assert_eq!(alpha.counts().await, before, "nothing of it is stored");

    // The edit goes through the same cleaning.
    let mut edited = note(
        format!("{}{}", links(), corpus("MARK-edited")),
        "MARK-cw-edited",
    );
    edited["updated"] = json!("2026-11-30T11:00:00Z");
    let (status, answer) = deliver(
        &sender,
        &inbox,
        &json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/update-hostile", beta.base_url()),
            "type": "Update",
            "actor": sender.ap_id,
            "object": edited,
        }),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    eventually("the edit is stored", Duration::from_secs(10), || async {
        alpha
            .post(&note_id)
            .await
            .is_some_and(|p| p.content.contains("MARK-edited"))
    })
    .await;

    // An app cannot register a script URL to receive its codes at.
    for bad in [
        "javascript:alert(1)",
        "JavaScript://x/%0Aalert(1)",
        "data:text/html,x",
    ] {
        let response = client()
            .post(format!("{}/api/v1/apps", alpha.base_url()))
            .form(&[
                ("client_name", "<script>x</script>"),
                ("redirect_uris", bad),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422, "{bad}");
    }

    // An app named with the corpus: its name shows, escaped, on the
    // authorisation page.
    let app: Value = client()
        .post(format!("{}/api/v1/apps", alpha.base_url()))
        .form(&[
            ("client_name", MARKUP.concat().as_str()),
            ("redirect_uris", "http://app.example/cb"),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let authorize = client()
        .get(format!("{}/oauth/authorize", alpha.base_url()))
        .query(&[
            ("client_id", app["client_id"].as_str().unwrap()),
            ("redirect_uri", "http://app.example/cb"),
            ("response_type", "code"),
            ("scope", "read"),
            ("state", "\"><script>alert(1)</script>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status().as_u16(), 200);
    let page = authorize.text().await.unwrap();
    assert!(page.contains("&lt;script&gt;"), "the name shows as text");
    // The template's own form: one form, its hidden fields, e-mail and
    // password, and one button.
    let hidden = page.matches("type=\"hidden\"").count();
    assert_form_page_inert(
        "/oauth/authorize",
        &page,
        &[("form", 1), ("input", hidden + 2), ("button", 1)],
    );

    // Everything an app reads.
    let remote_status = alpha.post(&note_id).await.unwrap().id;
    let (_, remote_account) = api
        .get(&format!("/api/v1/accounts/lookup?acct={handle}"))
        .await;
    let remote_account_id = remote_account["id"].as_str().unwrap().to_string();
    let ngo_id = me["id"].as_str().unwrap().to_string();
    let mut seen = Vec::new();
    for path in [
        "/api/v1/accounts/verify_credentials".to_string(),
        format!("/api/v1/accounts/lookup?acct={handle}"),
        format!("/api/v1/accounts/{remote_account_id}"),
        format!("/api/v1/accounts/{remote_account_id}/statuses"),
        format!("/api/v1/accounts/{ngo_id}"),
        format!("/api/v1/accounts/{ngo_id}/statuses"),
        format!("/api/v1/accounts/{ngo_id}/following"),
        format!("/api/v1/statuses/{remote_status}"),
        format!("/api/v1/statuses/{remote_status}/context"),
        format!("/api/v1/statuses/{remote_status}/history"),
        format!("/api/v1/statuses/{local_id}"),
        format!("/api/v1/statuses/{local_id}/context"),
        format!("/api/v1/statuses/{local_id}/history"),
        "/api/v1/timelines/home".to_string(),
        "/api/v1/timelines/public".to_string(),
        "/api/v1/timelines/tag/safe".to_string(),
        "/api/v1/notifications".to_string(),
        "/api/v1/accounts/search?q=sender".to_string(),
        format!("/api/v2/search?q={handle}"),
        format!("/api/v2/search?q={note_id}&resolve=true&type=statuses"),
        "/api/v1/custom_emojis".to_string(),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_json_inert(&path, &body);
        seen.push(body.to_string());
    }
    let seen = seen.concat();
    for marker in [
        "MARK-edited",
        "MARK-summary",
        "MARK-local",
        "MARK-bio",
        "MARK-cw-edited",
        "MARK-cw ",
    ] {
        assert!(seen.contains(marker), "{marker} is shown somewhere");
    }
    // The checks above looked at the hostile data itself.
    let (_, shown) = api.get(&format!("/api/v1/statuses/{remote_status}")).await;
    let tag_names: Vec<&str> = shown["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tag_names, ["safe"], "only the valid hashtag: {shown}");
    assert_eq!(shown["in_reply_to_id"], json!(local_id));
    assert!(
        shown["account"]["display_name"]
            .as_str()
            .unwrap()
            .starts_with("Sender")
    );

    // Every page that shows them.
    for path in [
        "/".to_string(),
        "/@ngo".to_string(),
        format!("/@ngo/{local_id}"),
        "/tags/safe".to_string(),
    ] {
        let page = get_text(&format!("{}{path}", alpha.base_url())).await;
        assert_page_inert(&path, &page);
    }
    let post_page = get_text(&format!("{}/@ngo/{local_id}", alpha.base_url())).await;
    for marker in ["MARK-local", "MARK-edited", "MARK-cw"] {
        assert!(post_page.contains(marker), "{marker} on the post page");
    }

    // And the ActivityPub documents of the local account and its post.
    for path in [
        "/users/ngo".to_string(),
        "/users/ngo/outbox?page=true".to_string(),
        format!("/users/ngo/statuses/{local_id}"),
    ] {
        let document = get_activity_json(&alpha, &format!("{}{path}", alpha.base_url())).await;
        assert_json_inert(&path, &document);
    }
}

/// The checker itself catches what it must: a test that cannot fail proves
/// nothing.
#[test]
fn the_checker_catches_each_form() {
    for bad in MARKUP
        .iter()
        // Entity-encoded and split tags are text to a browser too: they
        // matter only to sanitisers that decode or strip once.
        .filter(|m| !m.starts_with("&lt;") && !m.contains("/relative") && !m.starts_with("<scr<"))
    {
        let caught = std::panic::catch_unwind(|| assert_html_inert("corpus", bad, true));
        assert!(caught.is_err(), "the checker misses {bad}");
    }
    for bad in URLS {
        let caught = std::panic::catch_unwind(|| {
            assert_json_inert("corpus", &json!({"url": bad}));
        });
        assert!(caught.is_err(), "the checker misses {bad:?}");
    }
    assert_html_inert(
        "ok",
        r#"<p><a href="https://ok.example" rel="nofollow noopener noreferrer">ok</a> &lt;script&gt;</p>"#,
        true,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xss_corpus_is_inert_everywhere_sqlite() {
    xss_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xss_corpus_is_inert_everywhere_postgres() {
    if available(
        "xss_corpus_is_inert_everywhere_postgres",
        &[Backend::Postgres],
    ) {
        xss_scenario(Backend::Postgres).await;
    }
}
