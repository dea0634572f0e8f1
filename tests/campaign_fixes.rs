//! Issue 14, review fixes of campaigns and the group timeline: the follows
//! a campaign makes (and only those) follow membership; campaign counts;
//! the Atom feed's text; the group timeline's index.

use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::service::{campaigns, follows, membership};
use kuvend::storage::models::ActorRow;
use serde_json::json;
use std::time::Duration;

/// The `Follow`s and `Undo{Follow}`s the stand-in got for `member`'s inbox,
/// as ("Follow" | "Undo") in order.
fn follow_traffic(remote: &Remote, coalition: &str, member: &str) -> Vec<String> {
    remote
        .received()
        .into_iter()
        .filter(|a| a["actor"] == coalition)
        .filter_map(|a| match a["type"].as_str() {
            Some("Follow") if a["object"] == member => Some("Follow".to_string()),
            Some("Undo") if a["object"]["object"] == member => Some("Undo".to_string()),
            _ => None,
        })
        .collect()
}

async fn settled(alpha: &TestInstance) {
    eventually("no delivery pending", Duration::from_secs(30), || async {
        alpha.pending_deliveries().await == 0
    })
    .await;
}

async fn campaign_follows_only_what_it_made_and_follows_membership(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", true).await;
    let mut others = Remote::start("events.test").await;
    others.serve_nodeinfo("mastodon");
    let early = others.actor("/users/early", "Organization", None);
    let hand = others.actor("/users/hand", "Organization", None);
    let late = others.actor("/users/late", "Organization", None);
    let quitter = others.actor("/users/quitter", "Organization", None);
    for member in [&early, &hand, &quitter] {
        alpha.insert_member(&climate, member).await;
    }
    // The operator follows `hand` by hand before any campaign.
    follows::follow(&alpha.data(), "climate", &hand)
        .await
        .unwrap();
    let state = |who: String| {
        let alpha = &alpha;
        let coalition = climate.ap_id.clone();
        async move { alpha.follow_state(&coalition, &who).await }
    };

    campaigns::add(alpha.ctx(), &climate, "nad").await.unwrap();
    assert!(state(early.clone()).await.is_some(), "members are followed");
    assert!(state(quitter.clone()).await.is_some());

    // A member that joins while the campaign runs is followed at once.
    let join = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": others.url("/joins/late"),
        "type": "Join",
        "actor": late,
        "object": climate.ap_id,
    });
    let (status, _) = others.send(&late, &climate.inbox_url, &join).await;
    assert!(status < 300, "{status}");
    assert!(
        state(late.clone()).await.is_none(),
        "a request is no member"
    );
    membership::authorize(&alpha.data(), "climate", &late, "lead")
        .await
        .unwrap();
    assert!(
        state(late.clone()).await.is_some(),
        "a member that joined during the campaign is followed"
    );
    // So is one that accepts an invitation (its `Join`, as Mastodon-likes
    // and Mobilizon answer one).
    let invited = others.actor("/users/invited", "Organization", None);
    kuvend::service::invitations::invite(&alpha.data(), "climate", &invited, "lead", None)
        .await
        .unwrap();
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": others.url("/joins/invited"),
        "type": "Join",
        "actor": invited,
        "object": climate.ap_id,
    });
    let (status, _) = others.send(&invited, &climate.inbox_url, &accept).await;
    assert!(status < 300, "{status}");
    assert!(
        state(invited.clone()).await.is_some(),
        "an invitee that accepted during the campaign is followed"
    );

    // A member that leaves is unfollowed; one removed by an admin too.
    let leave = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": others.url("/leaves/quitter"),
        "type": "Leave",
        "actor": quitter,
        "object": climate.ap_id,
    });
    let (status, _) = others.send(&quitter, &climate.inbox_url, &leave).await;
    assert!(status < 300, "{status}");
    assert!(state(quitter.clone()).await.is_none(), "left: unfollowed");
    membership::remove(&alpha.data(), "climate", &early, "lead")
        .await
        .unwrap();
    assert!(state(early.clone()).await.is_none(), "removed: unfollowed");

    // With another campaign still running, removing one changes nothing.
    campaigns::add(alpha.ctx(), &climate, "vote").await.unwrap();
    campaigns::remove(alpha.ctx(), &climate, "nad")
        .await
        .unwrap();
    assert!(state(late.clone()).await.is_some(), "a campaign still runs");
    // The last one ends the campaigns' follows, never the operator's.
    campaigns::remove(alpha.ctx(), &climate, "vote")
        .await
        .unwrap();
    assert!(state(late.clone()).await.is_none(), "no campaign left");
    assert!(
        state(hand.clone()).await.is_some(),
        "the follow made by hand stays"
    );

    // What went over the wire agrees.
    settled(&alpha).await;
    let c = &climate.ap_id;
    assert_eq!(follow_traffic(&others, c, &hand), ["Follow"]);
    assert_eq!(follow_traffic(&others, c, &late), ["Follow", "Undo"]);
    assert_eq!(follow_traffic(&others, c, &early), ["Follow", "Undo"]);
    assert_eq!(follow_traffic(&others, c, &quitter), ["Follow", "Undo"]);
}

on_both_databases!(
    campaign_follows_only_what_it_made_and_follows_membership,
    campaign_follows_only_what_it_made_and_follows_membership_sqlite,
    campaign_follows_only_what_it_made_and_follows_membership_postgres
);

async fn post(instance: &TestInstance, org: &str, text: &str, spoiler: Option<&str>) -> String {
    kuvend::service::posts::create_post(
        &instance.data(),
        org,
        kuvend::service::posts::NewPost {
            text: text.into(),
            visibility: kuvend::model::Visibility::Public,
            in_reply_to: None,
            spoiler: spoiler.map(str::to_string),
            language: None,
        },
    )
    .await
    .unwrap()
    .ap_id
}

async fn get_text(url: &str) -> (u16, String) {
    let response = crate::common::client().get(url).send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

async fn campaign_counts_start_with_the_campaign_and_hide_members_when_private(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let ngo2 = alpha.create_org("ngo2", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    alpha.insert_member(&climate, &ngo2.ap_id).await;
    // Before the campaign: not one of its posts.
    post(&alpha, "lead", "Early #nad", None).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    campaigns::add(alpha.ctx(), &climate, "nad").await.unwrap();
    for n in 0..3 {
        post(&alpha, "lead", &format!("Lead #nad {n}"), None).await;
    }
    // A remote post may carry control characters XML forbids, and a
    // content warning.
    post(
        &alpha,
        "ngo2",
        "Bell\u{7} and escape\u{1b} #nad",
        Some("Warning\u{1}: strong words"),
    )
    .await;

    let view = campaigns::campaign(alpha.ctx(), "climate", "nad", None)
        .await
        .unwrap();
    assert_eq!(view.total, 4, "only posts since the campaign began");
    assert_eq!(view.posts.len(), 4);
    let per_org: Vec<(String, i64)> = view
        .per_org
        .iter()
        .map(|(a, n)| (a.ap_id.clone(), *n))
        .collect();
    assert_eq!(per_org, [(lead.ap_id.clone(), 3), (ngo2.ap_id.clone(), 1)]);
    assert_eq!(view.per_day, [(chrono::Utc::now().date_naive(), 4)]);

    // The feed: well-formed XML 1.0, the warning as the entry's summary.
    let base = alpha.base_url();
    let (status, atom) = get_text(&format!("{base}/@climate/campaigns/nad.atom")).await;
    assert_eq!(status, 200);
    assert!(
        !atom
            .chars()
            .any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')),
        "control characters in {atom:?}"
    );
    assert!(
        atom.contains("<summary type=\"text\">Warning: strong words</summary>"),
        "{atom}"
    );
    assert!(atom.contains("Bell and escape"), "{atom}");
    let mut reader = quick_xml::Reader::from_str(&atom);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not XML: {e} in {atom}"),
        }
    }

    // Members shown to members only: totals, no list per organisation.
    {
        let mut conn = alpha.ctx().db.conn().await.unwrap();
        conn.q()
            .set_members_visible(climate.id, kuvend::model::MembersVisible::Members)
            .await
            .unwrap();
    }
    let view = campaigns::campaign(alpha.ctx(), "climate", "nad", None)
        .await
        .unwrap();
    assert_eq!(view.total, 4);
    assert!(view.per_org.is_empty() && view.per_org_hidden);
    let (status, html) = get_text(&format!("{base}/@climate/campaigns/nad")).await;
    assert_eq!(status, 200);
    assert!(html.contains("4 public posts"), "{html}");
    assert!(!html.contains("per-organisation"), "{html}");
}

on_both_databases!(
    campaign_counts_start_with_the_campaign_and_hide_members_when_private,
    campaign_counts_start_with_the_campaign_and_hide_members_when_private_sqlite,
    campaign_counts_start_with_the_campaign_and_hide_members_when_private_postgres
);

/// A remote note by `author`, sent in a `Create` to `reader` (a local
/// organisation it mentions, so that it concerns someone here and is
/// stored), through the inbox as any note arrives.
async fn remote_note(
    remote: &Remote,
    reader: &ActorRow,
    author: &str,
    n: u32,
    content: &str,
    cc: &[&str],
    audience: Option<&str>,
) -> String {
    let id = format!("{author}/statuses/{n}");
    let mut note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": author,
        "content": content,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": cc,
        "tag": [{"type": "Mention", "href": reader.ap_id, "name": "@reader"}],
        "published": "2026-11-30T10:00:00Z",
    });
    if let Some(audience) = audience {
        note["audience"] = json!(audience);
    }
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": author,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": note,
    });
    let (status, body) = remote.send(author, &reader.inbox_url, &create).await;
    assert_eq!(status, 202, "{body}");
    id
}

async fn group_timeline_lists_posts_addressed_to_the_group_not_naming_it(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let mut lemmy = Remote::start("gancio.test").await;
    let group_id = lemmy.actor("/c/climate", "Group", None);
    let person_id = lemmy.actor("/u/writer", "Person", None);
    let known = |id: String| {
        let data = alpha.data();
        async move {
            kuvend::federation::actors::actor_by_url(&data, &url::Url::parse(&id).unwrap())
                .await
                .unwrap()
        }
    };
    let group = known(group_id.clone()).await;
    let reader = alpha.create_org("reader", false).await;
    let addressed = remote_note(
        &lemmy,
        &reader,
        &person_id,
        1,
        "<p>To the group</p>",
        &[&group_id],
        None,
    )
    .await;
    // Lemmy's way: the group is the post's FEP-1b12 `audience` only.
    let in_group = remote_note(
        &lemmy,
        &reader,
        &person_id,
        4,
        "<p>In the group</p>",
        &[],
        Some(&group_id),
    )
    .await;
    let named = remote_note(
        &lemmy,
        &reader,
        &person_id,
        2,
        &format!("<p>See \"{group_id}\" for more</p>"),
        &[&format!("{person_id}/followers")],
        None,
    )
    .await;
    let other = remote_note(
        &lemmy,
        &reader,
        &person_id,
        3,
        "<p>Elsewhere</p>",
        &[],
        None,
    )
    .await;
    let (status, text) = get_text(&format!(
        "{}/api/v1/timelines/group/{}",
        alpha.base_url(),
        group.id
    ))
    .await;
    assert_eq!(status, 200, "{text}");
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    let uris: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["uri"].as_str())
        .collect();
    // Both listed, whatever their order (they share a published time).
    let mut uris = uris;
    uris.sort();
    assert_eq!(
        uris,
        [addressed.as_str(), in_group.as_str()],
        "not {named} nor {other}"
    );
}

on_both_databases!(
    group_timeline_lists_posts_addressed_to_the_group_not_naming_it,
    group_timeline_lists_posts_addressed_to_the_group_not_naming_it_sqlite,
    group_timeline_lists_posts_addressed_to_the_group_not_naming_it_postgres
);
