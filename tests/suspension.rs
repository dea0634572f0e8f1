//! Account suspension (issue 15 item 6): `kuvend admin suspend|unsuspend`
//! hides an account's content from every path, refuses its activities and
//! (a local one's) logins, and unsuspending restores it; deleting a remote
//! actor drops what it counted.

use crate::common::{
    Api, Backend, TestInstance, client, eventually, kuvend_cli, remote::Remote, temp_dir,
};
use crate::on_both_databases;
use kuvend::model::Visibility;
use kuvend::service::posts::{self, NewPost};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A public `Create{Note}` with the hashtag #water, optionally a reply.
fn note(remote: &Remote, actor: &str, n: &str, text: &str, in_reply_to: Option<&str>) -> Value {
    let mut object = json!({
        "id": remote.url(&format!("/notes/{n}")),
        "type": "Note",
        "attributedTo": actor,
        "content": format!("<p>{text} #water</p>"),
        "to": [PUBLIC],
        "cc": [],
        "published": "2026-11-30T10:00:00Z",
        "tag": [{"type": "Hashtag", "name": "#water", "href": remote.url("/tags/water")}],
    });
    if let Some(parent) = in_reply_to {
        object["inReplyTo"] = json!(parent);
    }
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.url(&format!("/activities/create-{n}")),
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "cc": [],
        "object": object,
    })
}

async fn get_text(url: String) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Every public path that shows posts: the public and tag timelines, the
/// tag page, the org's post page with its replies, the status context, and
/// the account lookup; concatenated.
async fn every_path(kuvend: &TestInstance, post_id: i64, handle: &str) -> String {
    let base = kuvend.base_url();
    let mut all = String::new();
    for url in [
        format!("{base}/api/v1/timelines/public?limit=40"),
        format!("{base}/api/v1/timelines/tag/water"),
        format!("{base}/tags/water"),
        format!("{base}/@parks/{post_id}"),
        format!("{base}/api/v1/statuses/{post_id}/context"),
        format!("{base}/api/v1/accounts/lookup?acct={handle}"),
    ] {
        all.push_str(&get_text(url).await);
        all.push('\n');
    }
    all
}

async fn suspended_remote_account_gone_from_every_path(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let parks = kuvend.create_org("parks", false).await;
    let mine = posts::create_post(
        &kuvend.data(),
        "parks",
        NewPost {
            text: "our call #water".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    let mut remote = Remote::start("events.test").await;
    let troll = remote.actor("/u/troll", "Person", None);
    for (n, text, parent) in [
        ("1", "trollpost", Some(mine.ap_id.as_str())),
        ("2", "trollreply", Some(mine.ap_id.as_str())),
    ] {
        let (status, body) = remote
            .send(
                &troll,
                &parks.inbox_url,
                &note(&remote, &troll, n, text, parent),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    // The remote listens on a port, which is part of its handle.
    let host = url::Url::parse(&troll).unwrap();
    let handle = format!(
        "troll@{}:{}",
        host.host_str().unwrap(),
        host.port().unwrap()
    );
    let handle = handle.as_str();
    let before = every_path(&kuvend, mine.id, handle).await;
    for word in ["trollpost", "trollreply", "\"username\":\"troll\""] {
        assert!(before.contains(word), "{word} missing before: {before}");
    }

    let out = kuvend_cli(&kuvend.db_url, &["admin", "suspend", handle]);
    assert!(out.status.success(), "{out:?}");
    let during = every_path(&kuvend, mine.id, handle).await;
    assert!(during.contains("our call"), "{during}");
    for word in ["trollpost", "trollreply", "\"username\":\"troll\""] {
        assert!(
            !during.contains(word),
            "{word} shown while suspended: {during}"
        );
    }
    // Its activities are refused.
    let (status, body) = remote
        .send(
            &troll,
            &parks.inbox_url,
            &note(&remote, &troll, "3", "trollagain", None),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.url("/activities/follow-1"),
        "type": "Follow",
        "actor": troll,
        "object": parks.ap_id,
    });
    let (status, body) = remote.send(&troll, &parks.inbox_url, &follow).await;
    assert_eq!(status, 403, "{body}");

    let out = kuvend_cli(&kuvend.db_url, &["admin", "unsuspend", handle]);
    assert!(out.status.success(), "{out:?}");
    let after = every_path(&kuvend, mine.id, handle).await;
    for word in ["trollpost", "trollreply", "\"username\":\"troll\""] {
        assert!(
            after.contains(word),
            "{word} missing after unsuspend: {after}"
        );
    }
}

on_both_databases!(
    suspended_remote_account_gone_from_every_path,
    suspended_remote_account_gone_from_every_path_sqlite,
    suspended_remote_account_gone_from_every_path_postgres
);

const PASSWORD: &str = "correct horse battery";

/// A status code and body of an unsigned GET (`accept` as given).
async fn get_as(url: &str, accept: &str) -> (u16, String) {
    let response = client()
        .get(url)
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Every place a local organisation's post and event show to others: the
/// public timeline, the profile page, the account's statuses, search by
/// handle and by URL, the RSS feed and both calendars; concatenated, with
/// the status of each.
async fn local_paths(
    kuvend: &TestInstance,
    reader: &Api,
    account_id: &str,
    post_url: &str,
) -> String {
    let base = kuvend.base_url();
    let mut all = String::new();
    for url in [
        format!("{base}/api/v1/timelines/public?limit=40"),
        format!("{base}/@parks"),
        format!("{base}/api/v1/accounts/{account_id}/statuses"),
        format!("{base}/@parks.rss"),
        format!("{base}/@parks/events.ics"),
        format!("{base}/events.ics"),
        format!("{base}/events"),
    ] {
        let (status, body) = get_as(&url, "*/*").await;
        all.push_str(&format!("{url} {status}\n{body}\n"));
    }
    for query in ["parks@alpha.test", post_url] {
        let (status, body) = reader
            .get(&format!(
                "/api/v2/search?resolve=true&q={}",
                urlencoding(query)
            ))
            .await;
        all.push_str(&format!("search {query} {status}\n{body}\n"));
    }
    all
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn suspended_local_account_hidden_and_login_refused(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let parks = kuvend.create_org("parks", false).await;
    kuvend.create_org("readers", false).await;
    for (email, org) in [
        ("owner@parks.example", "parks"),
        ("reader@readers.example", "readers"),
    ] {
        kuvend::service::auth::create_user(kuvend.ctx(), email, PASSWORD, Some((org, "owner")))
            .await
            .unwrap();
    }
    let post = posts::create_post(
        &kuvend.data(),
        "parks",
        NewPost {
            text: "parkspost about trees".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    let event = kuvend::service::events::create_event(
        &kuvend.data(),
        &kuvend::service::acting::Acting::admin(parks.clone()),
        kuvend::service::events::EventInput {
            name: Some("Parksevent cleanup".into()),
            start: Some("2031-05-10T10:00".into()),
            timezone: Some("Europe/Tirane".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let base = kuvend.base_url();
    let owner = Api::login(&base, "owner@parks.example", PASSWORD).await;
    let reader = Api::login(&base, "reader@readers.example", PASSWORD).await;
    let account_id = parks.id.to_string();
    let post_url = post.ap_id.clone();

    let before = local_paths(&kuvend, &reader, &account_id, &post_url).await;
    // The timeline, page, statuses, search and RSS show the post; the
    // calendars, the event page and the page the event.
    assert!(before.matches("parkspost").count() >= 5, "{before}");
    assert!(before.matches("Parksevent").count() >= 4, "{before}");
    assert!(before.contains("\"username\":\"parks\""), "{before}");
    let (_, account_before) = reader.get(&format!("/api/v1/accounts/{account_id}")).await;
    assert!(
        account_before.get("suspended").is_none(),
        "{account_before}"
    );
    assert!(
        account_before["statuses_count"].as_i64() >= Some(1),
        "{account_before}"
    );
    let actor_url = format!("{base}/users/parks");
    let (status, _) = get_as(&actor_url, "application/activity+json").await;
    assert_eq!(status, 200);

    let out = kuvend_cli(&kuvend.db_url, &["admin", "suspend", "parks"]);
    assert!(out.status.success(), "{out:?}");
    let during = local_paths(&kuvend, &reader, &account_id, &post_url).await;
    for word in ["parkspost", "Parksevent", "\"username\":\"parks\""] {
        assert!(
            !during.contains(word),
            "{word} shown while suspended: {during}"
        );
    }
    // The account itself is shown as Mastodon shows a suspended one: who
    // it is, marked suspended, with nothing of its own and no counts.
    let (status, account) = reader.get(&format!("/api/v1/accounts/{account_id}")).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["suspended"], true, "{account}");
    assert_eq!(account["username"], "parks", "{account}");
    for (key, empty) in [
        ("display_name", json!("")),
        ("note", json!("")),
        ("statuses_count", json!(0)),
        ("followers_count", json!(0)),
    ] {
        assert_eq!(account[key], empty, "{key}: {account}");
    }
    assert!(
        account["avatar"]
            .as_str()
            .unwrap()
            .ends_with("/avatars/original/missing.png"),
        "{account}"
    );
    // Mastodon serves a suspended local actor as gone; so do we, and its
    // posts and event are not found (or gone).
    let (status, body) = get_as(&actor_url, "application/activity+json").await;
    assert_eq!(status, 410, "{body}");
    // (Signed: authorized fetch is on, and unsigned would be 401 anyway.)
    let mut remote = Remote::start("events.test").await;
    let signer = remote.actor("/u/reader", "Person", None);
    for url in [post_url.clone(), event.post.ap_id.clone()] {
        let (status, body) = remote.signed_get(&signer, &url).await;
        assert!(status == 404 || status == 410, "{url}: {status} {body}");
        let body = body.to_string();
        assert!(!body.contains("parkspost") && !body.contains("Parksevent"));
    }
    // Its staff cannot act as it: the token it had is refused, and a new
    // password grant too, both with Mastodon's words.
    let (status, body) = owner.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "Your login is currently disabled", "{body}");
    let (status, body) = owner
        .post(
            "/api/v1/statuses",
            json!({"status": "posted while suspended"}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (client_id, client_secret) = crate::common::register_app(&base, "read write follow").await;
    let response = client()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "owner@parks.example"),
            ("password", PASSWORD),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    // The token endpoint answers in OAuth's shape.
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error_description"], "Your login is currently disabled",
        "{body}"
    );

    let out = kuvend_cli(&kuvend.db_url, &["admin", "unsuspend", "parks"]);
    assert!(out.status.success(), "{out:?}");
    let after = local_paths(&kuvend, &reader, &account_id, &post_url).await;
    assert_eq!(
        after.matches("parkspost").count(),
        before.matches("parkspost").count(),
        "{after}"
    );
    assert_eq!(
        after.matches("Parksevent").count(),
        before.matches("Parksevent").count(),
        "{after}"
    );
    let (status, _) = get_as(&actor_url, "application/activity+json").await;
    assert_eq!(status, 200);
    let (status, body) = owner.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(status, 200, "{body}");
    let (_, account) = reader.get(&format!("/api/v1/accounts/{account_id}")).await;
    assert!(account.get("suspended").is_none(), "{account}");
    assert_eq!(account["display_name"], account_before["display_name"]);
    assert_eq!(account["statuses_count"], account_before["statuses_count"]);
}

on_both_databases!(
    suspended_local_account_hidden_and_login_refused,
    suspended_local_account_hidden_and_login_refused_sqlite,
    suspended_local_account_hidden_and_login_refused_postgres
);

/// An activity of `kind` by `actor` on `object`, with an id under the remote.
fn activity(remote: &Remote, actor: &str, kind: &str, n: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.url(&format!("/activities/{kind}-{n}")),
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
        "cc": [],
        "object": object,
    })
}

/// The counts the Mastodon API shows on a status and on an account.
async fn api_counts(kuvend: &TestInstance, post_id: i64, account_id: i64) -> (Value, Value) {
    let base = kuvend.base_url();
    let status: Value = client()
        .get(format!("{base}/api/v1/statuses/{post_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account: Value = client()
        .get(format!("{base}/api/v1/accounts/{account_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        json!([
            status["replies_count"],
            status["reblogs_count"],
            status["favourites_count"]
        ]),
        account["followers_count"].clone(),
    )
}

async fn remote_actor_delete_drops_counts(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let parks = kuvend.create_org("parks", false).await;
    let mine = posts::create_post(
        &kuvend.data(),
        "parks",
        NewPost {
            text: "our call #water".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    let event = kuvend::service::events::create_event(
        &kuvend.data(),
        &kuvend::service::acting::Acting::admin(parks.clone()),
        kuvend::service::events::EventInput {
            name: Some("Cleanup".into()),
            start: Some("2031-05-10T10:00".into()),
            timezone: Some("Europe/Tirane".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let event_id = event.post.ap_id.clone();
    let going = || async { kuvend.event(&event_id).await.unwrap().participant_count };
    let mut remote = Remote::start("events.test").await;
    let troll = remote.actor("/u/troll", "Person", None);
    let activities = [
        note(&remote, &troll, "1", "a reply", Some(mine.ap_id.as_str())),
        activity(&remote, &troll, "Announce", "1", json!(mine.ap_id)),
        activity(&remote, &troll, "Like", "1", json!(mine.ap_id)),
        activity(&remote, &troll, "Follow", "1", json!(parks.ap_id)),
        activity(&remote, &troll, "Join", "1", json!(event_id)),
    ];
    for activity in &activities {
        let (status, body) = remote.send(&troll, &parks.inbox_url, activity).await;
        assert_eq!(status, 202, "{body}");
    }
    eventually(
        "the reply, boost, like and follow counted",
        WAIT,
        || async { api_counts(&kuvend, mine.id, parks.id).await == (json!([1, 1, 1]), json!(1)) },
    )
    .await;
    eventually("the RSVP counted", WAIT, || async { going().await == 1 }).await;

    // A suspended participant is not counted, and is again once unsuspended.
    let handle = format!("troll@{}", url::Url::parse(&troll).unwrap().authority());
    let out = kuvend_cli(&kuvend.db_url, &["admin", "suspend", &handle]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(going().await, 0);
    let out = kuvend_cli(&kuvend.db_url, &["admin", "unsuspend", &handle]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(going().await, 1);

    let delete = activity(&remote, &troll, "Delete", "self", json!(troll));
    let (status, body) = remote.send(&troll, &parks.inbox_url, &delete).await;
    assert_eq!(status, 202, "{body}");
    eventually("the actor gone", WAIT, || async {
        kuvend.actor(&troll).await.is_none()
    })
    .await;
    let (post_counts, followers) = api_counts(&kuvend, mine.id, parks.id).await;
    assert_eq!(post_counts, json!([0, 0, 0]), "replies, boosts, favourites");
    assert_eq!(followers, json!(0));
    assert_eq!(going().await, 0, "participants");
}

on_both_databases!(
    remote_actor_delete_drops_counts,
    remote_actor_delete_drops_counts_sqlite,
    remote_actor_delete_drops_counts_postgres
);

/// A reply's parent's `replies_count`, read from storage.
async fn replies_count(kuvend: &TestInstance, ap_id: &str) -> i64 {
    kuvend.post(ap_id).await.unwrap().replies_count
}

async fn suspended_actor_may_take_back(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let parks = kuvend.create_org("parks", false).await;
    let mine = posts::create_post(
        &kuvend.data(),
        "parks",
        NewPost {
            text: "our call #water".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    let mut remote = Remote::start("events.test").await;
    let troll = remote.actor("/u/troll", "Person", None);
    let follow = activity(&remote, &troll, "Follow", "1", json!(parks.ap_id));
    for activity in [
        note(
            &remote,
            &troll,
            "1",
            "first reply",
            Some(mine.ap_id.as_str()),
        ),
        note(
            &remote,
            &troll,
            "2",
            "second reply",
            Some(mine.ap_id.as_str()),
        ),
        follow.clone(),
    ] {
        let (status, body) = remote.send(&troll, &parks.inbox_url, &activity).await;
        assert_eq!(status, 202, "{body}");
    }
    eventually("the replies and the follow stored", WAIT, || async {
        replies_count(&kuvend, &mine.ap_id).await == 2
            && kuvend.follow_state(&troll, &parks.ap_id).await.as_deref() == Some("accepted")
    })
    .await;
    // A local reply deleted by its author lowers its parent's count.
    let local_reply = posts::create_post(
        &kuvend.data(),
        "parks",
        NewPost {
            text: "thanks".into(),
            visibility: Visibility::Public,
            in_reply_to: Some(mine.ap_id.clone()),
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(replies_count(&kuvend, &mine.ap_id).await, 3);
    posts::delete_post(kuvend.ctx(), &local_reply.ap_id)
        .await
        .unwrap();
    assert_eq!(replies_count(&kuvend, &mine.ap_id).await, 2);

    let handle = format!("troll@{}", url::Url::parse(&troll).unwrap().authority());
    let out = kuvend_cli(&kuvend.db_url, &["admin", "suspend", &handle]);
    assert!(out.status.success(), "{out:?}");
    // What takes back or corrects is let through, as Mastodon does; the
    // rest is still refused.
    let (status, body) = remote
        .send(
            &troll,
            &parks.inbox_url,
            &note(&remote, &troll, "3", "again", None),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let delete = activity(
        &remote,
        &troll,
        "Delete",
        "1",
        json!({"id": remote.url("/notes/1"), "type": "Tombstone"}),
    );
    let undo = activity(&remote, &troll, "Undo", "1", follow);
    for activity in [&delete, &undo] {
        let (status, body) = remote.send(&troll, &parks.inbox_url, activity).await;
        assert_eq!(status, 202, "{body}");
    }
    eventually("the reply deleted and the follow undone", WAIT, || async {
        kuvend
            .post(&remote.url("/notes/1"))
            .await
            .is_none_or(|p| p.deleted_at.is_some())
            && kuvend.follow_state(&troll, &parks.ap_id).await.is_none()
    })
    .await;
    // The deleted reply is no longer counted on its parent.
    assert_eq!(replies_count(&kuvend, &mine.ap_id).await, 1);
    // The deletion holds after unsuspending: it is not back.
    let out = kuvend_cli(&kuvend.db_url, &["admin", "unsuspend", &handle]);
    assert!(out.status.success(), "{out:?}");
    let base = kuvend.base_url();
    let shown = get_text(format!("{base}/api/v1/statuses/{}/context", mine.id)).await;
    assert!(!shown.contains("first reply"), "{shown}");
    assert!(shown.contains("second reply"), "{shown}");

    // The actor's own deletion subtracts only the reply still stored.
    let gone = activity(&remote, &troll, "Delete", "self", json!(troll));
    let (status, body) = remote.send(&troll, &parks.inbox_url, &gone).await;
    assert_eq!(status, 202, "{body}");
    eventually("the actor gone", WAIT, || async {
        kuvend.actor(&troll).await.is_none()
    })
    .await;
    assert_eq!(replies_count(&kuvend, &mine.ap_id).await, 0);
}

on_both_databases!(
    suspended_actor_may_take_back,
    suspended_actor_may_take_back_sqlite,
    suspended_actor_may_take_back_postgres
);

async fn suspension_gives_up_deliveries_and_hides_relations(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let parks = kuvend.create_org("parks", false).await;
    kuvend.create_org("other", false).await;
    kuvend::service::auth::create_user(
        kuvend.ctx(),
        "owner@parks.example",
        PASSWORD,
        Some(("parks", "owner")),
    )
    .await
    .unwrap();
    let base = kuvend.base_url();
    let owner = Api::login(&base, "owner@parks.example", PASSWORD).await;
    let mut remote = Remote::start("events.test").await;
    let fan = remote.actor("/u/fan", "Person", None);
    let reader = remote.actor("/u/reader", "Person", None);
    // Its inbox keeps failing, so what is queued for it stays pending.
    *remote.served.post_status.lock().unwrap() =
        Some(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let follow = activity(&remote, &fan, "Follow", "1", json!(parks.ap_id));
    let (status, body) = remote.send(&fan, &parks.inbox_url, &follow).await;
    assert_eq!(status, 202, "{body}");
    eventually("the follow accepted", WAIT, || async {
        kuvend.follow_state(&fan, &parks.ap_id).await.as_deref() == Some("accepted")
    })
    .await;
    posts::create_post(
        &kuvend.data(),
        "parks",
        NewPost {
            text: "spam after takeover".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    // The Accept and the Create wait for the failing inbox.
    assert_eq!(kuvend.pending_deliveries().await, 2);

    // Suspending parks gives up its queue; unsuspending sends none of it.
    let out = kuvend_cli(&kuvend.db_url, &["admin", "suspend", "parks"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(kuvend.pending_deliveries().await, 0);
    // WebFinger answers gone, as the actor document does.
    let webfinger = format!(
        "{base}/.well-known/webfinger?resource=acct:parks@{}",
        kuvend.domain
    );
    let (status, body) = get_as(&webfinger, "application/jrd+json").await;
    assert_eq!(status, 410, "{body}");
    let out = kuvend_cli(&kuvend.db_url, &["admin", "unsuspend", "parks"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(kuvend.pending_deliveries().await, 0);
    let (status, _) = get_as(&webfinger, "application/jrd+json").await;
    assert_eq!(status, 200);

    // What was queued for a remote actor's own inbox is given up when it
    // is suspended, and nothing new is queued for it.
    kuvend::service::follows::follow(&kuvend.data(), "other", &fan)
        .await
        .unwrap();
    assert_eq!(kuvend.pending_deliveries().await, 1);
    let (_, notes) = owner.get("/api/v1/notifications").await;
    assert!(
        notes.to_string().contains("\"username\":\"fan\""),
        "{notes}"
    );
    let followers = format!("{base}/users/parks/followers");
    let (status, collection) = remote.signed_get(&reader, &followers).await;
    assert_eq!(status, 200, "{collection}");
    assert_eq!(collection["totalItems"], 1, "{collection}");

    let handle = format!("fan@{}", url::Url::parse(&fan).unwrap().authority());
    let out = kuvend_cli(&kuvend.db_url, &["admin", "suspend", &handle]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(kuvend.pending_deliveries().await, 0);
    kuvend::service::follows::unfollow(kuvend.ctx(), "other", &fan)
        .await
        .unwrap();
    assert_eq!(kuvend.pending_deliveries().await, 0, "Undo queued to it");
    // Its notifications and its place among the followers are not shown.
    let (_, notes) = owner.get("/api/v1/notifications").await;
    assert!(
        !notes.to_string().contains("\"username\":\"fan\""),
        "{notes}"
    );
    let (_, collection) = remote.signed_get(&reader, &followers).await;
    assert_eq!(collection["totalItems"], 0, "{collection}");
    let (_, page) = remote
        .signed_get(&reader, &format!("{followers}?page=1"))
        .await;
    assert_eq!(page["orderedItems"], json!([]), "{page}");
    let profile = get_text(format!("{base}/@parks")).await;
    assert!(
        profile.contains("<strong>0</strong> followers"),
        "{profile}"
    );

    let out = kuvend_cli(&kuvend.db_url, &["admin", "unsuspend", &handle]);
    assert!(out.status.success(), "{out:?}");
    let (_, notes) = owner.get("/api/v1/notifications").await;
    assert!(
        notes.to_string().contains("\"username\":\"fan\""),
        "{notes}"
    );
    let (_, collection) = remote.signed_get(&reader, &followers).await;
    assert_eq!(collection["totalItems"], 1, "{collection}");
    let (_, page) = remote
        .signed_get(&reader, &format!("{followers}?page=1"))
        .await;
    assert_eq!(page["orderedItems"], json!([fan]), "{page}");
    let profile = get_text(format!("{base}/@parks")).await;
    assert!(profile.contains("<strong>1</strong> follower"), "{profile}");
}

on_both_databases!(
    suspension_gives_up_deliveries_and_hides_relations,
    suspension_gives_up_deliveries_and_hides_relations_sqlite,
    suspension_gives_up_deliveries_and_hides_relations_postgres
);
