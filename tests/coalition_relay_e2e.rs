//! Issue 14, first "Shown by" line: three real kuvend instances over HTTP.
//! The coalition is on A; an organisation on B is a member (invited,
//! accepted); an organisation on C follows the coalition. B's member posts
//! to the coalition (a mention of it), and C's home timeline shows the post
//! once, as the coalition's boost; a reply (under `top-level`) and a
//! non-member's post do not reach C; B's edit and delete follow the relay.
//! Both databases.
//!
//! The posts are made with `service::posts` (what `kuvend admin post` calls):
//! the command-line binary in tests runs as `cso.example` without the tests'
//! loopback host overrides, so it cannot resolve `@climate@alpha.test`.

use crate::common::{Api, Backend, TestInstance, client, eventually, temp_dir};
use crate::on_both_databases;
use kuvend::model::Visibility;
use kuvend::service::{
    acting::Acting,
    auth, coalitions,
    events::{self, EventInput},
    invitations,
    posts::{self, NewPost},
};
use kuvend::storage::models::PostRow;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "correct horse";

pub(crate) fn public(text: &str, in_reply_to: Option<&str>) -> NewPost {
    NewPost {
        text: text.into(),
        visibility: Visibility::Public,
        in_reply_to: in_reply_to.map(String::from),
        spoiler: None,
        language: None,
    }
}

/// A, B and C running; `climate` on A with B's `bee` as a member and C's
/// `sea` as a follower whose instance A knows runs kuvend.
pub(crate) struct Three {
    pub _dir: tempfile::TempDir,
    pub alpha: TestInstance,
    pub beta: TestInstance,
    pub gamma: TestInstance,
    /// `@climate@<A>`, for mentions.
    pub handle: String,
    /// The client API as C's follower `sea`.
    pub sea_api: Api,
}

impl Three {
    pub async fn start(backend: Backend) -> Three {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let beta = TestInstance::start("beta.test", backend, dir.path()).await;
        let gamma = TestInstance::start("gamma.test", backend, dir.path()).await;
        alpha.create_org("lead", false).await;
        let climate = alpha.create_coalition("climate", "lead", false).await;
        let bee = beta.create_org("bee", false).await;
        beta.create_org("other", false).await;
        gamma.create_org("sea", false).await;
        auth::create_user(
            gamma.ctx(),
            "sea@x.example",
            PASSWORD,
            Some(("sea", "owner")),
        )
        .await
        .unwrap();

        // B's org joins through an accepted invitation.
        invitations::invite(&alpha.data(), "climate", &bee.ap_id, "lead", None)
            .await
            .unwrap();
        eventually("B has the invitation", WAIT, || async {
            invitations::answer(&beta.data(), "bee", &climate.ap_id, true)
                .await
                .is_ok()
        })
        .await;
        eventually("A counts B's org a member", WAIT, || async {
            let found = coalitions::coalition(alpha.ctx(), "climate").await.unwrap();
            coalitions::members(alpha.ctx(), &found)
                .await
                .unwrap()
                .iter()
                .any(|(_, who)| who.ap_id == bee.ap_id)
        })
        .await;

        // C's org follows the coalition; A learns that C runs kuvend.
        gamma.follow_and_wait("sea", &alpha, "climate").await;
        alpha.wait_software_learnt(&gamma.domain).await;
        {
            let mut conn = alpha.ctx().db.conn().await.unwrap();
            let instance = conn.q().instance(&gamma.domain).await.unwrap().unwrap();
            assert_eq!(instance.software.as_deref(), Some("kuvend"));
        }
        let sea_api = Api::login(&gamma.base_url(), "sea@x.example", PASSWORD).await;
        let handle = format!("@climate@{}", alpha.domain);
        Three {
            _dir: dir,
            alpha,
            beta,
            gamma,
            handle,
            sea_api,
        }
    }

    /// Posts as `org` on B, e.g. `bee`.
    pub async fn post_on_b(&self, org: &str, new: NewPost) -> PostRow {
        posts::create_post(&self.beta.data(), org, new)
            .await
            .unwrap()
    }

    /// Waits until A stored `ap_id` and delivered everything it queued.
    pub async fn settled_on_a(&self, ap_id: &str) {
        eventually(&format!("A has {ap_id}"), WAIT, || async {
            self.alpha.post(ap_id).await.is_some()
        })
        .await;
        eventually("A delivered everything", WAIT, || async {
            self.alpha.pending_deliveries().await == 0
        })
        .await;
    }
}

/// The statuses of C's home timeline that show `ap_id` (itself or a boost).
pub(crate) async fn home_entries(api: &Api, ap_id: &str) -> Vec<Value> {
    let (status, body) = api.get("/api/v1/timelines/home?limit=40").await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .filter(|s| s["uri"] == ap_id || s["reblog"]["uri"] == ap_id)
        .cloned()
        .collect()
}

async fn member_post_reaches_follower_on_c_once_as_the_coalitions_boost(backend: Backend) {
    let three = Three::start(backend).await;
    let climate_id = format!("{}/users/climate", three.alpha.base_url());
    let bee_id = format!("{}/users/bee", three.beta.base_url());
    let post = three
        .post_on_b(
            "bee",
            public(&format!("Clean air now, {}", three.handle), None),
        )
        .await;

    // C shows it once, as the coalition's boost of B's post.
    eventually("C's home timeline shows the relay", WAIT, || async {
        !home_entries(&three.sea_api, &post.ap_id).await.is_empty()
    })
    .await;
    three.settled_on_a(&post.ap_id).await;
    let shown = home_entries(&three.sea_api, &post.ap_id).await;
    assert_eq!(shown.len(), 1, "{shown:#?}");
    let boost = &shown[0];
    assert_eq!(boost["account"]["uri"], climate_id, "{boost:#}");
    assert_eq!(boost["account"]["group"], true, "{boost:#}");
    assert_eq!(boost["reblog"]["uri"], post.ap_id, "{boost:#}");
    assert_eq!(boost["reblog"]["account"]["uri"], bee_id, "{boost:#}");
    assert!(
        boost["reblog"]["content"]
            .as_str()
            .unwrap()
            .contains("Clean air now"),
        "{boost:#}"
    );

    // A reply by the member, addressed to the coalition too, is not relayed
    // to C under the default `top-level` (C runs kuvend, not a forum).
    let reply = three
        .post_on_b(
            "bee",
            public(
                &format!("More in the thread, {}", three.handle),
                Some(&post.ap_id),
            ),
        )
        .await;
    // A non-member's post addressed to the coalition is not relayed either.
    let stranger = three
        .post_on_b(
            "other",
            public(&format!("Let me in, {}", three.handle), None),
        )
        .await;
    three.settled_on_a(&reply.ap_id).await;
    three.settled_on_a(&stranger.ap_id).await;
    for (what, ap_id) in [
        ("reply", &reply.ap_id),
        ("non-member's post", &stranger.ap_id),
    ] {
        assert!(
            home_entries(&three.sea_api, ap_id).await.is_empty(),
            "C shows the {what}"
        );
        assert!(three.gamma.post(ap_id).await.is_none(), "C has the {what}");
    }
    {
        // (A records the reply's relay for forum followers, of which C is
        // none; a non-member's post is not relayed at all.)
        let (what, ap_id) = ("non-member's post", &stranger.ap_id);
        let on_a = three.alpha.post(ap_id).await.unwrap();
        let mut conn = three.alpha.ctx().db.conn().await.unwrap();
        assert!(
            conn.q().relays_of_post(on_a.id).await.unwrap().is_empty(),
            "A relayed the {what}"
        );
    }

    // B edits: C shows the new text, still once.
    posts::edit_post(
        &three.beta.data(),
        &post.ap_id,
        &format!("Clean air for everyone, {}", three.handle),
    )
    .await
    .unwrap();
    eventually("C shows the edit", WAIT, || async {
        home_entries(&three.sea_api, &post.ap_id)
            .await
            .first()
            .and_then(|s| s["reblog"]["content"].as_str().map(String::from))
            .is_some_and(|c| c.contains("Clean air for everyone"))
    })
    .await;
    assert_eq!(home_entries(&three.sea_api, &post.ap_id).await.len(), 1);

    // B deletes: gone from C's timeline.
    posts::delete_post(three.beta.ctx(), &post.ap_id)
        .await
        .unwrap();
    eventually("C no longer shows it", WAIT, || async {
        home_entries(&three.sea_api, &post.ap_id).await.is_empty()
    })
    .await;
}

on_both_databases!(
    member_post_reaches_follower_on_c_once_as_the_coalitions_boost,
    member_post_reaches_follower_on_c_once_as_the_coalitions_boost_sqlite,
    member_post_reaches_follower_on_c_once_as_the_coalitions_boost_postgres
);

/// A public event by `org` on B whose description mentions the coalition.
async fn event_on_b(three: &Three, org: &str, name: &str) -> PostRow {
    let account = three
        .beta
        .actor(&format!("{}/users/{org}", three.beta.base_url()))
        .await
        .unwrap();
    let view = events::create_event(
        &three.beta.data(),
        &Acting::admin(account),
        EventInput {
            name: Some(name.into()),
            description: Some(format!("Everyone is welcome, {}", three.handle)),
            start: Some("2030-05-04T10:00".into()),
            timezone: Some("Europe/Tirane".into()),
            place: Some("Skanderbeg Square".into()),
            visibility: Some("public".into()),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    view.post
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

async fn statuses_at(url: &str) -> (Vec<Value>, Option<String>) {
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let next = next_link(&response);
    let body: Value = response.json().await.unwrap();
    (body.as_array().unwrap().clone(), next)
}

async fn members_events_reach_the_coalition_calendar_and_its_timeline_pages(backend: Backend) {
    let three = Three::start(backend).await;
    let alpha_base = three.alpha.base_url();
    // Each waits until A has it, so A stores (and relays) them in order.
    let first = three
        .post_on_b("bee", public(&format!("First, {}", three.handle), None))
        .await;
    three.settled_on_a(&first.ap_id).await;
    let second = three
        .post_on_b("bee", public(&format!("Second, {}", three.handle), None))
        .await;
    three.settled_on_a(&second.ap_id).await;
    let march = event_on_b(&three, "bee", "Climate march").await;
    three.settled_on_a(&march.ap_id).await;
    // A non-member's event addressed to the coalition is not its event.
    let gatecrash = event_on_b(&three, "other", "Gatecrash party").await;
    three.settled_on_a(&gatecrash.ap_id).await;

    // The calendar file: the member's event, with its own organiser.
    let response = client()
        .get(format!("{alpha_base}/@climate/events.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let calendar: icalendar::Calendar = text.parse().unwrap();
    use icalendar::Component;
    let summaries: Vec<(String, String)> = calendar
        .events()
        .map(|e| {
            (
                e.get_summary().unwrap_or_default().to_string(),
                e.property_value("UID").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summaries,
        vec![("Climate march".to_string(), march.ap_id.clone())],
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/users/bee", three.beta.base_url())),
        "the organiser is B's org: {text}"
    );

    // The coalition's page lists it under upcoming events.
    let page = client()
        .get(format!("{alpha_base}/@climate"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Upcoming events"), "{page}");
    assert!(page.contains("Climate march"), "{page}");
    assert!(!page.contains("Gatecrash"), "{page}");

    // The group timeline on A: the relayed originals, newest first, paged.
    let climate = three
        .alpha
        .actor(&format!("{alpha_base}/users/climate"))
        .await
        .unwrap();
    let (page1, next) = statuses_at(&format!(
        "{alpha_base}/api/v1/timelines/group/{}?limit=2",
        climate.id
    ))
    .await;
    let uris = |list: &[Value]| -> Vec<String> {
        list.iter()
            .map(|s| s["uri"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        uris(&page1),
        vec![march.ap_id.clone(), second.ap_id.clone()]
    );
    // The same `Link` the other timelines send (a path, as they do today:
    // docs/client-api.md "Pagination").
    let next = next.expect("a next page");
    assert!(
        next.contains(&format!("max_id={}", page1[1]["id"].as_str().unwrap())),
        "{next}"
    );
    let next = if next.starts_with('/') {
        format!("{alpha_base}{next}")
    } else {
        next
    };
    let (page2, _) = statuses_at(&next).await;
    assert_eq!(uris(&page2), vec![first.ap_id.clone()]);

    // Not a group: 404.
    let lead = three
        .alpha
        .actor(&format!("{alpha_base}/users/lead"))
        .await
        .unwrap();
    let response = client()
        .get(format!("{alpha_base}/api/v1/timelines/group/{}", lead.id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // On C the coalition is another server's group: its timeline is what
    // it boosted there, and its statuses are those boosts.
    let climate_on_c = three
        .gamma
        .actor(&format!("{alpha_base}/users/climate"))
        .await
        .unwrap();
    eventually("C has all three relays", WAIT, || async {
        let (list, _) = statuses_at(&format!(
            "{}/api/v1/timelines/group/{}",
            three.gamma.base_url(),
            climate_on_c.id
        ))
        .await;
        uris(&list).len() == 3
    })
    .await;
    let (list, _) = statuses_at(&format!(
        "{}/api/v1/timelines/group/{}",
        three.gamma.base_url(),
        climate_on_c.id
    ))
    .await;
    assert_eq!(
        uris(&list),
        vec![
            march.ap_id.clone(),
            second.ap_id.clone(),
            first.ap_id.clone()
        ]
    );
    let (status, boosts) = three
        .sea_api
        .get(&format!("/api/v1/accounts/{}/statuses", climate_on_c.id))
        .await;
    assert_eq!(status, 200, "{boosts}");
    let reblogged: Vec<&Value> = boosts
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["reblog"]["uri"])
        .collect();
    assert_eq!(reblogged.len(), 3, "{boosts:#}");
    for post in [&first, &second, &march] {
        assert!(reblogged.iter().any(|u| **u == post.ap_id), "{boosts:#}");
    }
}

on_both_databases!(
    members_events_reach_the_coalition_calendar_and_its_timeline_pages,
    members_events_reach_the_coalition_calendar_and_its_timeline_pages_sqlite,
    members_events_reach_the_coalition_calendar_and_its_timeline_pages_postgres
);
