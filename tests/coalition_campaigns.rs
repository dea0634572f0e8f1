//! Issue 14 item 5: campaigns. A coalition on kuvend A with three member
//! organisations on two instances (two on A, one on kuvend B) runs the
//! campaign #nad; the members' public posts with the tag (not addressed to
//! the coalition) are relayed to its followers and counted on the campaign
//! page and feed; a non-member's and an unlisted post are not.

use crate::common::{
    Backend, TestInstance, cli_refused, client, eventually, kuvend_cli, remote::Remote, temp_dir,
};
use crate::on_both_databases;
use kuvend::model::Visibility;
use kuvend::service::{campaigns, posts::NewPost};
use serde_json::{Value, json};
use std::time::Duration;

async fn post(instance: &TestInstance, org: &str, text: &str, visibility: Visibility) -> String {
    kuvend::service::posts::create_post(
        &instance.data(),
        org,
        NewPost {
            text: text.into(),
            visibility,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .unwrap()
    .ap_id
}

async fn settled(instances: &[&TestInstance]) {
    for instance in instances {
        eventually("no delivery pending", Duration::from_secs(30), || async {
            instance.pending_deliveries().await == 0
        })
        .await;
    }
}

/// The object ids the follower stand-in got as the coalition's
/// `Announce{"<id>"}` (it says Mastodon: the object shape).
fn boosted(remote: &Remote) -> Vec<String> {
    remote
        .received()
        .into_iter()
        .filter(|a| a["type"] == "Announce")
        .filter_map(|a| a["object"].as_str().map(str::to_string))
        .collect()
}

async fn get_text(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

async fn members_campaign_posts_are_counted_relayed_and_listed(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let ngo2 = alpha.create_org("ngo2", false).await;
    alpha.create_org("outsider", false).await;
    let ngo3 = beta.create_org("ngo3", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    alpha.insert_member(&climate, &ngo2.ap_id).await;
    alpha.insert_member(&climate, &ngo3.ap_id).await;

    // A follower of the coalition on a Mastodon stand-in.
    let mut masto = Remote::start("events.test").await;
    masto.serve_nodeinfo("mastodon");
    let reader = masto.actor("/users/reader", "Person", None);
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": masto.url("/follows/1"),
        "type": "Follow",
        "actor": reader,
        "object": climate.ap_id,
    });
    let (status, _) = masto.send(&reader, &climate.inbox_url, &follow).await;
    assert!(status < 300, "{status}");
    alpha.wait_software_learnt(masto.domain()).await;

    // The campaign: the coalition follows its remote member to hear it.
    let (tag, added) = campaigns::add(alpha.ctx(), &climate, "#NAD").await.unwrap();
    assert_eq!((tag.as_str(), added), ("nad", true));
    eventually(
        "B's member accepted the coalition's follow",
        Duration::from_secs(30),
        || async {
            alpha
                .follow_state(&climate.ap_id, &ngo3.ap_id)
                .await
                .as_deref()
                == Some("accepted")
        },
    )
    .await;

    // Members post 2, 1 and 3 public #nad posts, none addressing the coalition.
    let mut expected = Vec::new();
    for n in 1..=2 {
        expected.push(
            post(
                &alpha,
                "lead",
                &format!("Lead for #NAD {n}"),
                Visibility::Public,
            )
            .await,
        );
    }
    expected.push(post(&alpha, "ngo2", "Ngo2 for #nad", Visibility::Public).await);
    let mut remote_posts = Vec::new();
    for n in 1..=3 {
        remote_posts.push(
            post(
                &beta,
                "ngo3",
                &format!("Ngo3 for #nad {n}"),
                Visibility::Public,
            )
            .await,
        );
    }
    expected.extend(remote_posts.iter().cloned());
    // Neither of these counts: an unlisted member post, a non-member's post.
    let unlisted = post(&alpha, "ngo2", "Quietly #nad", Visibility::Unlisted).await;
    let outsider = post(&alpha, "outsider", "Me too #nad", Visibility::Public).await;
    let untagged = post(&alpha, "lead", "Nothing to do with it", Visibility::Public).await;

    for id in &remote_posts {
        eventually("B's post reached A", Duration::from_secs(30), || async {
            alpha.post(id).await.is_some()
        })
        .await;
    }
    settled(&[&alpha, &beta]).await;

    // The follower got exactly the members' public campaign posts.
    eventually(
        "the relays reached the follower",
        Duration::from_secs(30),
        || async {
            let got = boosted(&masto);
            expected.iter().all(|id| got.contains(id))
        },
    )
    .await;
    let got = boosted(&masto);
    for not in [&unlisted, &outsider, &untagged] {
        assert!(!got.contains(not), "{not} relayed: {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "once each: {got:?}");

    // The campaign page counts per organisation and per day.
    let view = campaigns::campaign(alpha.ctx(), "climate", "nad", None)
        .await
        .unwrap();
    let ids: Vec<&str> = view.posts.iter().map(|(p, _)| p.ap_id.as_str()).collect();
    let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
    want.sort();
    let mut have = ids.clone();
    have.sort();
    assert_eq!(have, want);
    let per_org: Vec<(String, i64)> = view
        .per_org
        .iter()
        .map(|(a, n)| (a.ap_id.clone(), *n))
        .collect();
    assert_eq!(
        per_org,
        vec![
            (ngo3.ap_id.clone(), 3),
            (lead.ap_id.clone(), 2),
            (ngo2.ap_id.clone(), 1),
        ]
    );
    let today = chrono::Utc::now().date_naive();
    assert_eq!(view.per_day, vec![(today, 6)]);

    let base = alpha.base_url();
    let (status, html) = get_text(&format!("{base}/@climate/campaigns/nad")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("6 public posts"), "{html}");
    assert!(html.contains("@ngo3@beta.test"), "{html}");
    assert!(html.contains("Ngo3 for"), "B's post on the page");
    assert!(!html.contains("Quietly"), "the unlisted post is not listed");
    assert!(
        !html.contains("Me too"),
        "the non-member's post is not listed"
    );
    assert!(html.contains(&format!("<time>{}</time>", today.format("%Y-%m-%d"))));
    // The coalition's page links the campaign.
    let (_, profile) = get_text(&format!("{base}/@climate")).await;
    // minijinja escapes `/` in attributes as `&#x2f;`.
    assert!(
        profile
            .replace("&#x2f;", "/")
            .contains("href=\"/@climate/campaigns/nad\">#nad</a>"),
        "{profile}"
    );

    let response = client()
        .get(format!("{base}/@climate/campaigns/nad.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let atom = response.text().await.unwrap();
    assert_eq!(atom.matches("<entry>").count(), 6, "{atom}");
    for id in &expected {
        assert!(atom.contains(&format!("<id>{id}</id>")), "{id} in {atom}");
    }
    assert!(!atom.contains(&unlisted) && !atom.contains(&outsider));

    // Unknown coalition or campaign: 404.
    for path in [
        "/@climate/campaigns/other",
        "/@nobody/campaigns/nad",
        "/@lead/campaigns/nad",
        "/@climate/campaigns/other.atom",
    ] {
        let (status, _) = get_text(&format!("{base}{path}")).await;
        assert_eq!(status, 404, "{path}");
    }

    // The instance's tag page and timeline list B's remote post too.
    let (status, tag_page) = get_text(&format!("{base}/tags/nad")).await;
    assert_eq!(status, 200);
    assert!(tag_page.contains("Ngo3 for"), "remote post on the tag page");
    assert!(!tag_page.contains("Quietly"), "only public posts");
    let timeline: Value = client()
        .get(format!("{base}/api/v1/timelines/tag/nad"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uris: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["uri"].as_str())
        .collect();
    assert!(uris.contains(&remote_posts[0].as_str()), "{uris:?}");

    // Removing the campaign stops relaying, and the follow is undone.
    let (_, removed) = campaigns::remove(alpha.ctx(), &climate, "nad")
        .await
        .unwrap();
    assert!(removed);
    let after = post(&alpha, "lead", "Still #nad", Visibility::Public).await;
    settled(&[&alpha, &beta]).await;
    eventually("the follow is undone", Duration::from_secs(30), || async {
        beta.follow_state(&climate.ap_id, &ngo3.ap_id)
            .await
            .is_none()
    })
    .await;
    assert!(!boosted(&masto).contains(&after), "relayed after removal");
    let (status, _) = get_text(&format!("{base}/@climate/campaigns/nad")).await;
    assert_eq!(status, 404);
}

on_both_databases!(
    members_campaign_posts_are_counted_relayed_and_listed,
    members_campaign_posts_are_counted_relayed_and_listed_sqlite,
    members_campaign_posts_are_counted_relayed_and_listed_postgres
);

async fn campaign_command_line_refuses_bad_input(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    let db = &alpha.db_url;
    let run = |args: &[&str]| {
        let out = kuvend_cli(db, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    run(&["admin", "coalition", "campaign", "add", "climate", "#NAD"]);
    run(&["admin", "coalition", "campaign", "add", "climate", "vote"]);
    let list = run(&["admin", "coalition", "campaign", "list", "climate"]);
    let tags: Vec<&str> = list
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(tags, ["#nad", "#vote"]);

    for bad in ["na d", "#", "123", "<b>x</b>"] {
        cli_refused(
            db,
            &["admin", "coalition", "campaign", "add", "climate", bad],
            "not a hashtag",
        );
    }
    cli_refused(
        db,
        &["admin", "coalition", "campaign", "add", "nobody", "nad"],
        "no coalition",
    );
    cli_refused(
        db,
        &["admin", "coalition", "campaign", "add", "lead", "nad"],
        "no coalition",
    );
    cli_refused(
        db,
        &[
            "admin",
            "coalition",
            "campaign",
            "remove",
            "climate",
            "other",
        ],
        "not a campaign",
    );
    // Nothing changed by the refusals.
    assert_eq!(
        run(&["admin", "coalition", "campaign", "list", "climate"])
            .lines()
            .count(),
        2
    );
    run(&[
        "admin",
        "coalition",
        "campaign",
        "remove",
        "climate",
        "#Vote",
    ]);
    let list = run(&["admin", "coalition", "campaign", "list", "climate"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.starts_with("#nad\t"));

    // The list is public in the API.
    let id = climate.id;
    let listed: Value = client()
        .get(format!(
            "{}/api/v1/kuvend/coalitions/{id}/campaigns",
            alpha.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["tag"], "nad", "{listed}");
    assert!(
        listed[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/@climate/campaigns/nad")
    );
}

on_both_databases!(
    campaign_command_line_refuses_bad_input,
    campaign_command_line_refuses_bad_input_sqlite,
    campaign_command_line_refuses_bad_input_postgres
);
