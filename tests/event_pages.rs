//! Event pages (issue 11 item 6), over real HTTP on SQLite and PostgreSQL:
//! an event's HTML page (time in its zone with the offset, the reader's time
//! by our own script, OpenStreetMap link, online link, status banners), the
//! same URL as ActivityPub JSON, escaping of every field, upcoming events on
//! the profile, and the instance's `/events` page in the order events
//! happen.

use crate::common::{Backend, TestInstance, available, client, temp_dir};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use kuvend::service::acting::Acting;
use kuvend::service::events::{self, EventInput, EventView};
use kuvend::storage::models::ActorRow;
use serde_json::Value;
use std::cell::RefCell;

const AP: &str = "application/activity+json";

fn input(name: &str, start: &str, zone: &str) -> EventInput {
    EventInput {
        name: Some(name.into()),
        start: Some(start.into()),
        timezone: Some(zone.into()),
        ..EventInput::default()
    }
}

async fn create(alpha: &TestInstance, org: &ActorRow, input: EventInput) -> EventView {
    events::create_event(&alpha.data(), &Acting::admin(org.clone()), input)
        .await
        .unwrap()
}

fn page_url(view: &EventView) -> String {
    view.post.url.clone().unwrap()
}

/// What a browser's tokenizer sees in a page: start tags with their
/// attributes entity-decoded, and the text, decoded.
#[derive(Default)]
struct Page {
    tags: Vec<(String, Vec<(String, String)>)>,
    text: String,
}

struct Sink(RefCell<Page>);

impl TokenSink for Sink {
    type Handle = ();
    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut page = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let attrs = tag
                    .attrs
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect();
                page.tags.push((tag.name.to_string(), attrs));
            }
            Token::CharacterTokens(text) => page.text.push_str(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn parse(html: &str) -> Page {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(
        Sink(RefCell::new(Page::default())),
        TokenizerOpts::default(),
    );
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

impl Page {
    /// The attribute `attr` of every `tag` start tag.
    fn attrs(&self, tag: &str, attr: &str) -> Vec<String> {
        self.tags
            .iter()
            .filter(|(name, _)| name == tag)
            .filter_map(|(_, attrs)| attrs.iter().find(|(n, _)| n == attr))
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn tag_with(&self, tag: &str, pairs: &[(&str, &str)]) -> bool {
        self.tags.iter().any(|(name, attrs)| {
            name == tag
                && pairs
                    .iter()
                    .all(|(k, v)| attrs.iter().any(|(n, value)| n == k && value == v))
        })
    }

    /// The text with runs of white space made one space.
    fn words(&self) -> String {
        self.text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// GET without following redirects; status, headers and body.
async fn get(url: &str, accept: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = client().get(url);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// A CSP directive's sources, if the directive is there.
fn directive(csp: &str, name: &str) -> Option<Vec<String>> {
    csp.split(';').map(str::trim).find_map(|d| {
        let mut parts = d.split_whitespace();
        (parts.next() == Some(name)).then(|| parts.map(String::from).collect())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn event_page_is_html_with_zone_offset_map_and_online_link_and_json_for_activitypub() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "event_page_is_html_with_zone_offset_map_and_online_link_and_json_for_activitypub",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let ngo = alpha.create_org("ngo", false).await;
        let event = create(
            &alpha,
            &ngo,
            EventInput {
                end: Some("2099-12-10T20:00".into()),
                description: Some(
                    "Bring your questions about #water to https://docs.example/faq".into(),
                ),
                place: Some("Tirana Youth Center".into()),
                address: Some("Rruga e Durrësit 5".into()),
                locality: Some("Tirana".into()),
                country: Some("AL".into()),
                geo: Some("41.3275,19.8187".into()),
                online_url: Some("https://meet.example/forum".into()),
                capacity: Some(40),
                join_mode: Some("external".into()),
                external_url: Some("https://forms.example/forum".into()),
                category: Some("MOVEMENTS_POLITICS".into()),
                ..input("Forum on water", "2099-12-10T18:00", "Europe/Tirane")
            },
        )
        .await;
        let url = page_url(&event);

        let (status, headers, html) = get(&url, None).await;
        assert_eq!(status, 200, "{backend:?}: no redirect, the page itself");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = parse(&html);
        let words = page.words();
        for expected in [
            "Forum on water",
            "Thursday, 10 December 2099, 18:00–20:00 Europe/Tirane (UTC+01:00)",
            "Tirana Youth Center, Rruga e Durrësit 5, Tirana, AL",
            "Capacity: 40 people",
            "Category: Movements & politics",
            "Bring your questions about #water",
            // How to follow, and that joining comes with RSVPs.
            &format!("Follow @ngo@{}", alpha.ctx().settings.instance.domain),
            "paste this page's address into your app's search",
            "comes with RSVPs",
        ] {
            assert!(
                words.contains(expected),
                "{backend:?}: {expected:?} in {words}"
            );
        }
        let links = page.attrs("a", "href");
        for expected in [
            "https://www.openstreetmap.org/?mlat=41.3275&mlon=19.8187#map=17/41.3275/19.8187",
            "https://meet.example/forum",
            "https://forms.example/forum",
            "https://docs.example/faq",
        ] {
            assert!(
                links.iter().any(|l| l == expected),
                "{backend:?}: link {expected} in {links:?}"
            );
        }
        // No embedded map: nothing loaded from OpenStreetMap or anywhere else.
        for tag in ["iframe", "img", "object", "embed"] {
            assert!(page.attrs(tag, "src").is_empty(), "{backend:?}: {tag}");
        }
        // The UTC instant for the reader's own time, and our script to show it.
        assert!(page.tag_with("time", &[("datetime", "2099-12-10T17:00:00Z")]));
        assert!(page.tag_with(
            "link",
            &[
                ("rel", "alternate"),
                ("type", AP),
                ("href", &event.post.ap_id)
            ]
        ));
        let scripts = page.attrs("script", "src");
        assert_eq!(scripts, ["/static/local-time.js"], "{backend:?}");
        assert_eq!(
            page.tags.iter().filter(|(n, _)| n == "script").count(),
            1,
            "{backend:?}: no inline script"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert_eq!(
            directive(csp, "script-src").as_deref(),
            Some(&["'self'".to_string()][..]),
            "{backend:?}: own scripts only, never inline: {csp}"
        );
        assert_eq!(
            directive(csp, "default-src").as_deref(),
            Some(&["'none'".to_string()][..])
        );
        assert!(!csp.contains("unsafe-eval"), "{csp}");

        // The same URL for ActivityPub: the Event document (to a signed
        // GET: authorized fetch is on; unsigned it is 401).
        let (status, _, _) = get(&url, Some(AP)).await;
        assert_eq!(status, 401, "{backend:?}");
        let reader = alpha.instance_actor_row().await;
        let response = crate::common::signed_get(&reader, &url)
            .send()
            .await
            .unwrap();
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "{backend:?}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/activity+json")
        );
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["type"], "Event", "{json}");
        assert_eq!(json["id"], event.post.ap_id.as_str());
        assert_eq!(json["name"], "Forum on water");
        assert_eq!(json["startTime"], "2099-12-10T17:00:00Z", "{json}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelled_and_rescheduled_event_pages_show_a_banner() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "cancelled_and_rescheduled_event_pages_show_a_banner",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let ngo = alpha.create_org("ngo", false).await;
        let acting = Acting::admin(ngo.clone());
        let plain = create(
            &alpha,
            &ngo,
            input("March", "2099-12-10T18:00", "Europe/Tirane"),
        )
        .await;
        let (_, _, html) = get(&page_url(&plain), None).await;
        assert!(!html.contains("class=\"banner"), "no banner when scheduled");

        let cancelled = create(
            &alpha,
            &ngo,
            input("Hearing", "2099-12-10T18:00", "Europe/Tirane"),
        )
        .await;
        events::cancel_event(
            &alpha.data(),
            &acting,
            &cancelled.post.id.to_string(),
            Some("storm warning".into()),
        )
        .await
        .unwrap();
        let (status, _, html) = get(&page_url(&cancelled), None).await;
        assert_eq!(status, 200);
        let words = parse(&html).words();
        assert!(
            words.contains("This event is cancelled. Reason: storm warning"),
            "{backend:?}: {words}"
        );

        let moved = create(
            &alpha,
            &ngo,
            input("Forum", "2099-12-10T18:00", "Europe/Tirane"),
        )
        .await;
        events::update_event(
            &alpha.data(),
            &acting,
            &moved.post.id.to_string(),
            EventInput {
                start: Some("2099-12-12T17:30".into()),
                ..EventInput::default()
            },
        )
        .await
        .unwrap();
        let (_, _, html) = get(&page_url(&moved), None).await;
        let words = parse(&html).words();
        assert!(
            words.contains(
                "This event has a new date. It was to start Thursday, 10 December 2099, 18:00 Europe/Tirane."
            ),
            "{backend:?}: {words}"
        );
        assert!(
            words.contains("Saturday, 12 December 2099, 17:30 Europe/Tirane (UTC+01:00)"),
            "{words}"
        );
    }
}

/// Markup in an event's fields, as another path (an older row, a remote
/// event, a future editor) might store it: the service strips it on the way
/// in, so the row is written directly, and every page must still show it as
/// text.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn script_in_an_event_name_is_escaped_on_every_page() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "script_in_an_event_name_is_escaped_on_every_page",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let ngo = alpha.create_org("ngo", false).await;
        let event = create(
            &alpha,
            &ngo,
            input(
                "<script>alert('in')</script>Forum",
                "2099-12-10T18:00",
                "Europe/Tirane",
            ),
        )
        .await;
        assert!(!event.event.name.contains('<'), "the service strips markup");
        let hostile = "<script>alert('n')</script><img src=x onerror=alert(1)>";
        let mut row = event.event.clone();
        row.name = format!("{hostile} Forum");
        row.place_name = Some(format!("{hostile} Hall"));
        row.status = "cancelled".into();
        row.status_reason = Some("\"><script>alert('r')</script>".to_string());
        row.online_url = Some("https://meet.example/\"><script>alert('u')</script>".into());
        {
            let mut conn = alpha.ctx().db.conn().await.unwrap();
            conn.q().update_event(&row).await.unwrap();
        }
        let base = alpha.base_url();
        for url in [
            page_url(&event),
            format!("{base}/@ngo"),
            format!("{base}/events"),
        ] {
            let (status, _, html) = get(&url, None).await;
            assert_eq!(status, 200, "{backend:?} {url}");
            let page = parse(&html);
            let scripts: Vec<_> = page.tags.iter().filter(|(n, _)| n == "script").collect();
            assert!(
                scripts.iter().all(|(_, attrs)| attrs
                    == &[
                        ("src".to_string(), "/static/local-time.js".to_string()),
                        ("defer".to_string(), String::new())
                    ]),
                "{backend:?} {url}: {scripts:?}"
            );
            assert!(page.attrs("img", "src").is_empty(), "{backend:?} {url}");
            assert!(
                page.tags
                    .iter()
                    .all(|(_, attrs)| attrs.iter().all(|(n, _)| !n.starts_with("on"))),
                "{backend:?} {url}"
            );
            // The markup is shown as the text it is.
            assert!(
                page.text.contains(&format!("{hostile} Forum")),
                "{backend:?} {url}: {}",
                page.text
            );
        }
    }
}

/// The section of a profile between "Upcoming events" and "Posts".
fn events_section(html: &str) -> &str {
    let start = html
        .find("<h2>Upcoming events</h2>")
        .expect("events section");
    let end = html[start..].find("<h2>Posts</h2>").expect("posts heading") + start;
    &html[start..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn profile_lists_upcoming_events_but_not_past_nor_followers_only_ones() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "profile_lists_upcoming_events_but_not_past_nor_followers_only_ones",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let ngo = alpha.create_org("ngo", false).await;
        let later = create(
            &alpha,
            &ngo,
            input("Later forum", "2099-12-12T18:00", "Europe/Tirane"),
        )
        .await;
        let sooner = create(
            &alpha,
            &ngo,
            EventInput {
                visibility: Some("unlisted".into()),
                ..input("Sooner training", "2099-12-10T09:00", "Europe/Tirane")
            },
        )
        .await;
        create(
            &alpha,
            &ngo,
            EventInput {
                visibility: Some("followers".into()),
                ..input("Members meeting", "2099-12-11T18:00", "Europe/Tirane")
            },
        )
        .await;
        create(
            &alpha,
            &ngo,
            input("Old hearing", "2020-01-10T18:00", "Europe/Tirane"),
        )
        .await;

        let (status, headers, html) = get(&format!("{}/@ngo", alpha.base_url()), None).await;
        assert_eq!(status, 200);
        let section = events_section(&html);
        let words = parse(section).words();
        let sooner_at = words.find("Sooner training").expect(&words);
        let later_at = words.find("Later forum").expect(&words);
        assert!(sooner_at < later_at, "{backend:?}: soonest first: {words}");
        assert!(words.contains("Thursday, 10 December 2099, 09:00 Europe/Tirane (UTC+01:00)"));
        let links = parse(section).attrs("a", "href");
        assert!(links.contains(&page_url(&sooner)) && links.contains(&page_url(&later)));
        assert!(!words.contains("Members meeting"), "{backend:?}: {words}");
        assert!(!words.contains("Old hearing"), "{backend:?}: {words}");
        // Nowhere on the page, not even among the posts.
        assert!(!html.contains("Members meeting"), "{backend:?}");
        // The profile still allows no script at all.
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(directive(csp, "script-src").is_none(), "{csp}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instance_events_page_lists_public_events_of_all_organisations_in_the_order_they_happen() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "instance_events_page_lists_public_events_of_all_organisations_in_the_order_they_happen",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let ngo = alpha.create_org("ngo", false).await;
        let forum = alpha.create_org("forum", false).await;
        // By wall time New York (08:00) < Auckland (09:00) < Tirane (10:00);
        // by the instant they happen Auckland (20:00 UTC the day before) <
        // Tirane (09:00 UTC) < New York (13:00 UTC).
        create(
            &alpha,
            &ngo,
            input("New York rally", "2099-12-10T08:00", "America/New_York"),
        )
        .await;
        create(
            &alpha,
            &forum,
            input("Tirane forum", "2099-12-10T10:00", "Europe/Tirane"),
        )
        .await;
        create(
            &alpha,
            &ngo,
            input("Auckland vigil", "2099-12-10T09:00", "Pacific/Auckland"),
        )
        .await;
        let cancelled = create(
            &alpha,
            &forum,
            input("Called off", "2099-12-11T10:00", "Europe/Tirane"),
        )
        .await;
        events::cancel_event(
            &alpha.data(),
            &Acting::admin(forum.clone()),
            &cancelled.post.id.to_string(),
            None,
        )
        .await
        .unwrap();
        for (visibility, name) in [("unlisted", "Unlisted one"), ("followers", "Members one")] {
            create(
                &alpha,
                &forum,
                EventInput {
                    visibility: Some(visibility.into()),
                    ..input(name, "2099-12-10T12:00", "Europe/Tirane")
                },
            )
            .await;
        }
        create(
            &alpha,
            &ngo,
            input("Past one", "2020-12-10T12:00", "Europe/Tirane"),
        )
        .await;

        let (status, headers, html) = get(&format!("{}/events", alpha.base_url()), None).await;
        assert_eq!(status, 200, "{backend:?}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(directive(csp, "script-src").is_none(), "{csp}");
        let words = parse(&html).words();
        let order: Vec<usize> = [
            "Auckland vigil",
            "Tirane forum",
            "New York rally",
            "Called off",
        ]
        .iter()
        .map(|name| {
            words
                .find(name)
                .unwrap_or_else(|| panic!("{name} in {words}"))
        })
        .collect();
        assert!(
            order.is_sorted(),
            "{backend:?}: in the order they happen: {words}"
        );
        for name in ["Unlisted one", "Members one", "Past one"] {
            assert!(!words.contains(name), "{backend:?}: {name} listed: {words}");
        }
        for line in [
            "The ngo organisation @ngo@",
            "The forum organisation @forum@",
            "Thursday, 10 December 2099, 09:00 Pacific/Auckland (UTC+13:00)",
            "Thursday, 10 December 2099, 08:00 America/New_York (UTC-05:00)",
            "Called off cancelled",
        ] {
            assert!(words.contains(line), "{backend:?}: {line:?} in {words}");
        }
        // The front page links to it.
        let (_, _, front) = get(&format!("{}/", alpha.base_url()), None).await;
        assert!(
            parse(&front)
                .attrs("a", "href")
                .contains(&"/events".to_string())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_time_script_is_served_as_javascript_by_us() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "local_time_script_is_served_as_javascript_by_us",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let (status, headers, body) =
            get(&format!("{}/static/local-time.js", alpha.base_url()), None).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(body.contains("time[data-local]"), "{body}");
        // It writes text, never HTML.
        assert!(body.contains("textContent") && !body.contains("innerHTML"));
    }
}
