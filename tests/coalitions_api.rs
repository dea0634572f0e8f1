//! The coalitions client API (issue 13 item 5) and members-only privacy
//! (item 6): kuvend's `/api/v1/kuvend/coalitions` and
//! `/api/v1/kuvend/invitations` over real HTTP with scopes and roles,
//! pl-api's groups read side, and what a stranger sees of a members-only
//! coalition in the API, the documents, the page and its Member URLs.
//! Every scenario runs on SQLite and PostgreSQL.

use crate::common::{Api, Backend, TestInstance, client, eventually, signed_get, temp_dir};
use crate::on_both_databases;
use kuvend::model::InvitationState;
use kuvend::service::{
    auth,
    coalitions::{self, NewCoalition},
    invitations, membership,
};
use kuvend::storage::models::ActorRow;
use serde_json::{Value, json};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

async fn user(instance: &TestInstance, email: &str, org: &str, role: &str) -> Api {
    auth::create_user(instance.ctx(), email, PASSWORD, Some((org, role)))
        .await
        .unwrap();
    Api::login(&instance.base_url(), email, PASSWORD).await
}

async fn invitation_count(instance: &TestInstance, coalition: &str) -> usize {
    invitations::of_coalition(instance.ctx(), coalition)
        .await
        .unwrap()
        .len()
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| item[key]["acct"].as_str().unwrap().to_string())
        .collect()
}

async fn api_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    alpha.create_org("ngo", false).await;
    alpha.create_org("stranger", false).await;
    let far = beta.create_org("far", false).await;
    let base = alpha.base_url();
    let lead = user(&alpha, "owner@lead.example", "lead", "owner").await;
    let editor = user(&alpha, "editor@lead.example", "lead", "editor").await;
    let ngo = user(&alpha, "owner@ngo.example", "ngo", "owner").await;
    let stranger = user(&alpha, "owner@stranger.example", "stranger", "owner").await;
    let reader = Api::login_with_scope(&base, "owner@lead.example", PASSWORD, "read").await;

    // Bad input: 422 with the reason, nothing stored.
    let (status, body) = lead
        .post(
            "/api/v1/kuvend/coalitions",
            json!({"username": "climate", "members_visible": "secret"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("members visibility"),
        "{body}"
    );
    let (status, body) = lead
        .post("/api/v1/kuvend/coalitions", json!({"display_name": "X"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("username"),
        "{body}"
    );
    // Without write:coalitions, and as an editor: 403, nothing stored.
    let (status, body) = reader
        .post("/api/v1/kuvend/coalitions", json!({"username": "climate"}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("write:coalitions"),
        "{body}"
    );
    let (status, body) = editor
        .post("/api/v1/kuvend/coalitions", json!({"username": "climate"}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(coalitions::list(alpha.ctx()).await.unwrap().is_empty());

    // Create: the token's organisation is the first admin.
    let (status, created) = lead
        .post(
            "/api/v1/kuvend/coalitions",
            json!({"username": "climate", "display_name": "Climate coalition",
                   "note": "Together", "members_visible": "public"}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["group"], true);
    assert_eq!(created["acct"], "climate");
    assert_eq!(created["display_name"], "Climate coalition");
    assert_eq!(created["coalition"]["role"], "admin");
    assert_eq!(created["coalition"]["members_visible"], "public");
    assert_eq!(created["coalition"]["members_count"], 1);
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/kuvend/coalitions/{id}");
    // Its id is the account id Mastodon apps see.
    let (status, account) = stranger.get(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(account["acct"], "climate");
    let (status, shown) = stranger.get(&path).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["coalition"]["role"], Value::Null);
    // An organisation is not a coalition.
    let (status, _) = stranger
        .get(&format!(
            "/api/v1/kuvend/coalitions/{}",
            alpha.actor(&format!("{base}/users/ngo")).await.unwrap().id
        ))
        .await;
    assert_eq!(status, 404);

    // Update: the admin's owner only.
    let (status, body) = stranger
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"display_name": "Taken over"})),
        )
        .await;
    assert_eq!(
        status, 404,
        "a non-member organisation learns nothing: {body}"
    );
    let (status, body) = editor
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"display_name": "Edited"})),
        )
        .await;
    assert_eq!(status, 403, "an editor does not decide for the org: {body}");
    let (status, updated) = lead
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"display_name": "Climate alliance", "manual_approval": true})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["display_name"], "Climate alliance");
    assert_eq!(updated["coalition"]["manual_approval"], true);
    assert_eq!(updated["locked"], true);

    // Invite a local organisation and one on another instance.
    let invitations_path = format!("{path}/invitations");
    let (status, local) = lead
        .post(
            &invitations_path,
            json!({"account": "ngo", "message": "Join us"}),
        )
        .await;
    assert_eq!(status, 200, "{local}");
    assert_eq!(local["state"], "pending");
    assert_eq!(local["invitee"]["acct"], "ngo");
    assert_eq!(local["inviter"]["acct"], "lead");
    assert_eq!(local["coalition"]["id"], id.as_str());
    assert_eq!(local["message"], "Join us");
    assert!(local["expires_at"].as_str().is_some());
    // By URL: a handle would need WebFinger on the default port.
    let (status, remote) = lead
        .post(&invitations_path, json!({"account": far.ap_id}))
        .await;
    assert_eq!(status, 200, "{remote}");
    assert_eq!(remote["invitee"]["uri"], far.ap_id.as_str());
    eventually(
        "beta stores the invitation",
        Duration::from_secs(20),
        || async {
            invitations::of_org(beta.ctx(), "far")
                .await
                .unwrap()
                .iter()
                .any(|(state, _, _)| *state == InvitationState::Pending)
        },
    )
    .await;
    // Refused, nothing stored: no account, a second open invitation,
    // without the scope, by an editor, by a non-member.
    let before = invitation_count(&alpha, "climate").await;
    let (status, body) = lead.post(&invitations_path, json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("account"),
        "{body}"
    );
    let (status, body) = lead
        .post(&invitations_path, json!({"account": "ngo"}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = reader
        .post(&invitations_path, json!({"account": "stranger"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = editor
        .post(&invitations_path, json!({"account": "stranger"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = stranger
        .post(&invitations_path, json!({"account": "stranger"}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(invitation_count(&alpha, "climate").await, before);

    // The list: admins only; 404 to anyone else, the invitee included.
    let (status, list) = lead.get(&invitations_path).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["invitee"]["uri"], far.ap_id.as_str());
    assert_eq!(list[1]["invitee"]["acct"], "ngo");
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (status, list) = editor.get(&invitations_path).await;
    assert_eq!(status, 200, "staff of an admin org read it: {list}");
    for other in [&stranger, &ngo] {
        let (status, body) = other.get(&invitations_path).await;
        assert_eq!(status, 404, "{body}");
    }

    // Received invitations: the invitee sees its own; a stranger none, and
    // cannot answer someone else's.
    let (status, received) = ngo.get("/api/v1/kuvend/invitations").await;
    assert_eq!(status, 200, "{received}");
    assert_eq!(ids(&received, "coalition"), ["climate"]);
    let invitation = received[0]["id"].as_str().unwrap().to_string();
    let (status, none) = stranger.get("/api/v1/kuvend/invitations").await;
    assert_eq!((status, none), (200, json!([])));
    let (status, _) = stranger
        .post(
            &format!("/api/v1/kuvend/invitations/{invitation}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    // Accepted by the invitee's owner: a member.
    let (status, accepted) = ngo
        .post(
            &format!("/api/v1/kuvend/invitations/{invitation}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    let (status, members) = ngo.get(&format!("{path}/members")).await;
    assert_eq!(status, 200);
    assert_eq!(members["members_count"], 2);
    let roles: Vec<(String, String)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["account"]["acct"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("lead".to_string(), "admin".to_string()),
            ("ngo".into(), "member".into())
        ]
    );
    // A member that is not an admin cannot invite.
    let (status, _) = ngo
        .post(&invitations_path, json!({"account": "stranger"}))
        .await;
    assert_eq!(status, 403);
    // Answering twice: no longer open.
    let (status, _) = ngo
        .post(
            &format!("/api/v1/kuvend/invitations/{invitation}/decline"),
            json!({}),
        )
        .await;
    assert_eq!(status, 422);

    // Decline, then revoke a second invitation: it cannot be accepted.
    let (_, first) = lead
        .post(&invitations_path, json!({"account": "stranger"}))
        .await;
    let first = first["id"].as_str().unwrap().to_string();
    let (status, declined) = stranger
        .post(
            &format!("/api/v1/kuvend/invitations/{first}/decline"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, declined["state"].clone()),
        (200, json!("declined"))
    );
    let (_, second) = lead
        .post(&invitations_path, json!({"account": "stranger"}))
        .await;
    let second = second["id"].as_str().unwrap().to_string();
    let revoke = format!("{invitations_path}/{second}/revoke");
    let (status, _) = editor.post(&revoke, json!({})).await;
    assert_eq!(status, 403);
    let (status, revoked) = lead.post(&revoke, json!({})).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["state"], "revoked");
    let (status, body) = stranger
        .post(
            &format!("/api/v1/kuvend/invitations/{second}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        coalitions::role_in(
            alpha.ctx(),
            &coalitions::coalition(alpha.ctx(), "climate")
                .await
                .unwrap()
                .actor,
            &alpha
                .actor(&format!("{base}/users/stranger"))
                .await
                .unwrap()
        )
        .await
        .unwrap()
        .is_none()
    );
}

on_both_databases!(api_scenario, coalition_api_sqlite, coalition_api_postgres);

/// A members-only coalition `climate` founded by `lead`, with `ngo` as a
/// member (through an accepted invitation), and `stranger` outside.
struct Closed {
    alpha: TestInstance,
    lead: ActorRow,
    ngo: ActorRow,
    stranger: ActorRow,
    id: String,
    member_api: Api,
    stranger_api: Api,
    _dir: tempfile::TempDir,
}

async fn closed(backend: Backend) -> Closed {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let ngo = alpha.create_org("ngo", false).await;
    let stranger = alpha.create_org("stranger", false).await;
    let created = coalitions::create(
        alpha.ctx(),
        NewCoalition {
            username: "climate".into(),
            display_name: "Climate coalition".into(),
            summary: String::new(),
            manually_approves_followers: false,
            members_visible: "members".into(),
            relay: None,
            relay_cap: None,
            by: "lead".into(),
        },
    )
    .await
    .unwrap();
    invitations::invite(&alpha.data(), "climate", "ngo", "lead", None)
        .await
        .unwrap();
    invitations::answer(&alpha.data(), "ngo", "climate", true)
        .await
        .unwrap();
    let member_api = user(&alpha, "owner@ngo.example", "ngo", "owner").await;
    let stranger_api = user(&alpha, "owner@stranger.example", "stranger", "owner").await;
    Closed {
        id: created.actor.id.to_string(),
        alpha,
        lead,
        ngo,
        stranger,
        member_api,
        stranger_api,
        _dir: dir,
    }
}

async fn anonymous(base: &str, path: &str) -> (u16, Value) {
    let response = client().get(format!("{base}{path}")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn stranger_cannot_list_members_of_a_members_only_coalition(backend: Backend) {
    let c = closed(backend).await;
    let base = c.alpha.base_url();
    let members = format!("/api/v1/kuvend/coalitions/{}/members", c.id);
    let memberships = format!("/api/v1/groups/{}/memberships", c.id);
    let group = format!("/api/v1/groups/{}", c.id);
    // No token, and a stranger's token: the count only.
    for (status, body) in [
        anonymous(&base, &members).await,
        c.stranger_api.get(&members).await,
    ] {
        assert_eq!(status, 200);
        assert_eq!(body, json!({"members_count": 2, "members": null}));
    }
    for (status, body) in [
        anonymous(&base, &memberships).await,
        c.stranger_api.get(&memberships).await,
    ] {
        assert_eq!((status, body), (200, json!([])));
    }
    for (status, body) in [
        anonymous(&base, &group).await,
        c.stranger_api.get(&group).await,
    ] {
        assert_eq!(status, 200);
        assert_eq!(body["members_count"], 2);
        assert_eq!(body["owner"], Value::Null, "the owner is a member: {body}");
        assert!(!body.to_string().contains("ngo"), "{body}");
    }
    // Account entities and search say nothing of members either.
    let (_, account) = c
        .stranger_api
        .get(&format!("/api/v1/accounts/{}", c.id))
        .await;
    assert_eq!(account["group"], true);
    assert!(!account.to_string().contains("ngo"), "{account}");
    // A member's token sees the list.
    let (status, body) = c.member_api.get(&members).await;
    assert_eq!(status, 200);
    let accts: Vec<&str> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["account"]["acct"].as_str().unwrap())
        .collect();
    assert_eq!(accts, ["lead", "ngo"]);
    let (_, body) = c.member_api.get(&memberships).await;
    let roles: Vec<(&str, &str)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["account"]["acct"].as_str().unwrap(),
                m["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(roles, [("lead", "owner"), ("ngo", "user")]);
    let (_, body) = c.member_api.get(&format!("{memberships}?role=owner")).await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    let (_, body) = c.member_api.get(&group).await;
    assert_eq!(body["owner"]["id"], c.lead.id.to_string());
}

on_both_databases!(
    stranger_cannot_list_members_of_a_members_only_coalition,
    stranger_cannot_list_members_sqlite,
    stranger_cannot_list_members_postgres
);

async fn members_only_collections_and_page_show_strangers_only_the_count(backend: Backend) {
    let c = closed(backend).await;
    let base = c.alpha.base_url();
    for collection in ["members", "moderators"] {
        let url = format!("{base}/users/climate/{collection}");
        let unsigned: Value = client()
            .get(&url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(unsigned.get("orderedItems").is_none(), "{unsigned}");
        let by_stranger: Value = signed_get(&c.stranger, &url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(by_stranger.get("orderedItems").is_none(), "{by_stranger}");
        let by_member: Value = signed_get(&c.ngo, &url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let expected = if collection == "members" {
            json!([c.lead.ap_id, c.ngo.ap_id])
        } else {
            json!([c.lead.ap_id])
        };
        assert_eq!(by_member["orderedItems"], expected, "{by_member}");
    }
    let page = client()
        .get(format!("{base}/@climate"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Coalition of <strong>2</strong>"), "{page}");
    assert!(!page.contains("@ngo@alpha.test"), "{page}");
    assert!(!page.contains("@lead@alpha.test"), "{page}");
}

on_both_databases!(
    members_only_collections_and_page_show_strangers_only_the_count,
    members_only_collections_hide_members_sqlite,
    members_only_collections_hide_members_postgres
);

async fn member_url_of_a_members_only_coalition_is_not_served_to_strangers(backend: Backend) {
    let c = closed(backend).await;
    let climate = coalitions::coalition(c.alpha.ctx(), "climate")
        .await
        .unwrap();
    let member_url = coalitions::members(c.alpha.ctx(), &climate)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, who)| who.id == c.ngo.id)
        .unwrap()
        .0
        .ap_id;
    let unsigned = client()
        .get(&member_url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    // Authorized fetch refuses the unsigned GET before anything is looked up.
    assert_eq!(unsigned.status(), 401);
    let by_stranger = signed_get(&c.stranger, &member_url).send().await.unwrap();
    assert_eq!(by_stranger.status(), 404);
    for viewer in [&c.ngo, &c.lead] {
        let response = signed_get(viewer, &member_url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "Member");
        assert_eq!(body["actor"], c.ngo.ap_id.as_str());
    }
}

on_both_databases!(
    member_url_of_a_members_only_coalition_is_not_served_to_strangers,
    member_url_hidden_sqlite,
    member_url_hidden_postgres
);

async fn pl_api_groups(backend: Backend) {
    let c = closed(backend).await;
    let base = c.alpha.base_url();
    let (_, instance) = anonymous(&base, "/api/v2/instance").await;
    assert_eq!(instance["api_versions"]["groups.pleroma.pl-api"], 1);
    assert_eq!(instance["api_versions"]["pleroma:groups.pleroma.pl-api"], 1);
    let (status, group) = c.member_api.get(&format!("/api/v1/groups/{}", c.id)).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["id"], c.id.as_str());
    assert_eq!(group["uri"], format!("{base}/users/climate"));
    assert_eq!(group["display_name"], "Climate coalition");
    assert_eq!(group["domain"], "");
    assert_eq!(group["membership_required"], true);
    assert_eq!(group["members_count"], 2);
    assert_eq!(group["statuses_visibility"], "public");
    assert_eq!(group["relationship"], Value::Null);
    for key in ["avatar", "header", "created_at", "note", "url"] {
        assert!(group[key].is_string(), "{key}: {group}");
    }
    let (_, mine) = c.member_api.get("/api/v1/groups").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], c.id.as_str());
    let (_, none) = c.stranger_api.get("/api/v1/groups").await;
    assert_eq!(none, json!([]));
    let query = format!("/api/v1/groups/relationships?id[]={}&id[]=999999", c.id);
    let (_, relation) = c.member_api.get(&query).await;
    assert_eq!(
        relation,
        json!([{"id": c.id, "member": true, "role": "user", "requested": false}])
    );
    let (_, relation) = c.stranger_api.get(&query).await;
    assert_eq!(
        relation,
        json!([{"id": c.id, "member": false, "role": "user", "requested": false}])
    );
    let (status, _) = anonymous(&base, "/api/v1/groups/999999").await;
    assert_eq!(status, 404);
}

on_both_databases!(pl_api_groups, pl_api_groups_sqlite, pl_api_groups_postgres);

/// A coalition of `lead` on alpha, with `ngo`, `third` and `stranger`
/// outside it, and the owners' tokens.
struct Moderated {
    alpha: TestInstance,
    lead: ActorRow,
    ngo: ActorRow,
    third: ActorRow,
    id: String,
    lead_api: Api,
    ngo_api: Api,
    third_api: Api,
    stranger_api: Api,
    _dir: tempfile::TempDir,
}

async fn moderated(backend: Backend, manual: bool) -> Moderated {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let ngo = alpha.create_org("ngo", false).await;
    let third = alpha.create_org("third", false).await;
    alpha.create_org("stranger", false).await;
    let created = coalitions::create(
        alpha.ctx(),
        NewCoalition {
            username: "climate".into(),
            display_name: "Climate coalition".into(),
            summary: String::new(),
            manually_approves_followers: manual,
            members_visible: "public".into(),
            relay: None,
            relay_cap: None,
            by: "lead".into(),
        },
    )
    .await
    .unwrap();
    Moderated {
        id: created.actor.id.to_string(),
        lead_api: user(&alpha, "owner@lead.example", "lead", "owner").await,
        ngo_api: user(&alpha, "owner@ngo.example", "ngo", "owner").await,
        third_api: user(&alpha, "owner@third.example", "third", "owner").await,
        stranger_api: user(&alpha, "owner@stranger.example", "stranger", "owner").await,
        alpha,
        lead,
        ngo,
        third,
        _dir: dir,
    }
}

/// The members of `climate` with their coalition roles, oldest first.
async fn roles_of(alpha: &TestInstance) -> Vec<(String, String)> {
    let climate = coalitions::coalition(alpha.ctx(), "climate").await.unwrap();
    coalitions::members(alpha.ctx(), &climate)
        .await
        .unwrap()
        .into_iter()
        .map(|(row, who)| (who.username, row.role))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn pending_requests(alpha: &TestInstance) -> Vec<String> {
    membership::requests(alpha.ctx(), "climate")
        .await
        .unwrap()
        .into_iter()
        .map(|(_, who)| who.username)
        .collect()
}

async fn join_requests_are_decided_by_admins_through_the_api(backend: Backend) {
    let m = moderated(backend, true).await;
    let base = m.alpha.base_url();
    let path = format!("/api/v1/kuvend/coalitions/{}", m.id);
    let editor = user(&m.alpha, "editor@lead.example", "lead", "editor").await;
    let ngo_reader = Api::login_with_scope(&base, "owner@ngo.example", PASSWORD, "read").await;
    let ngo_editor = user(&m.alpha, "editor@ngo.example", "ngo", "editor").await;

    // Asking needs write:coalitions and an owner of the organisation.
    let (status, body) = ngo_reader
        .post(&format!("{path}/join"), json!({"message": "Let us in"}))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = ngo_editor.post(&format!("{path}/join"), json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert!(pending_requests(&m.alpha).await.is_empty());

    // ngo and third ask; asking twice is a conflict.
    let (status, body) = m
        .ngo_api
        .post(&format!("{path}/join"), json!({"message": "Let us in"}))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"state": "requested", "reason": null}))
    );
    let (status, body) = m.ngo_api.post(&format!("{path}/join"), json!({})).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = m.third_api.post(&format!("{path}/join"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(pending_requests(&m.alpha).await, ["ngo", "third"]);

    // The requests: the admin's staff see them; an outsider 404.
    let (status, body) = m.ngo_api.get(&format!("{path}/requests")).await;
    assert_eq!(status, 404, "{body}");
    let (status, requests) = editor.get(&format!("{path}/requests")).await;
    assert_eq!(status, 200, "{requests}");
    assert_eq!(ids(&requests, "account"), ["ngo", "third"]);
    assert_eq!(requests[0]["message"], "Let us in");
    assert_eq!(requests[1]["message"], Value::Null);
    assert!(requests[0]["created_at"].is_string());

    // Deciding: an outsider 404, the admin's editor 403, nothing changes.
    let authorize_ngo = format!("{path}/requests/{}/authorize", m.ngo.id);
    let (status, _) = m.stranger_api.post(&authorize_ngo, json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = editor.post(&authorize_ngo, json!({})).await;
    assert_eq!(status, 403);
    assert_eq!(pending_requests(&m.alpha).await, ["ngo", "third"]);
    let (status, body) = m.lead_api.post(&authorize_ngo, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "accepted");
    assert_eq!(body["account"]["acct"], "ngo");
    assert_eq!(
        roles_of(&m.alpha).await,
        pairs(&[("lead", "admin"), ("ngo", "member")])
    );
    // A member that is not an admin: 403 for admin actions.
    let reject_third = format!("{path}/requests/{}/reject", m.third.id);
    let (status, body) = m.ngo_api.post(&reject_third, json!({})).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = m.ngo_api.get(&format!("{path}/requests")).await;
    assert_eq!(status, 403);
    assert_eq!(pending_requests(&m.alpha).await, ["third"]);
    let (status, body) = m.lead_api.post(&reject_third, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "rejected");
    assert!(pending_requests(&m.alpha).await.is_empty());
    // No pending request any more: 422 with the reason.
    let (status, body) = m.lead_api.post(&reject_third, json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("has not asked"),
        "{body}"
    );
    assert_eq!(
        roles_of(&m.alpha).await,
        pairs(&[("lead", "admin"), ("ngo", "member")])
    );
}

on_both_databases!(
    join_requests_are_decided_by_admins_through_the_api,
    join_requests_api_sqlite,
    join_requests_api_postgres
);

async fn last_admin_cannot_leave_be_demoted_or_removed(backend: Backend) {
    let m = moderated(backend, true).await;
    let path = format!("/api/v1/kuvend/coalitions/{}", m.id);
    let (status, _) = m.ngo_api.post(&format!("{path}/join"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = m
        .lead_api
        .post(
            &format!("{path}/requests/{}/authorize", m.ngo.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let before = pairs(&[("lead", "admin"), ("ngo", "member")]);
    assert_eq!(roles_of(&m.alpha).await, before);

    // The last admin: refused with 422, nothing changed.
    let lead_role = format!("{path}/members/{}/role", m.lead.id);
    let (status, body) = m.lead_api.post(&lead_role, json!({"role": "member"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("last admin"));
    let (status, body) = m.lead_api.post(&format!("{path}/leave"), json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("last admin"));
    let (status, body) = m
        .lead_api
        .post(&format!("{path}/members/{}/remove", m.lead.id), json!({}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(roles_of(&m.alpha).await, before);

    // Roles: only admin or member; a member may not change them.
    let ngo_role = format!("{path}/members/{}/role", m.ngo.id);
    let (status, body) = m.lead_api.post(&ngo_role, json!({"role": "owner"})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = m.ngo_api.post(&ngo_role, json!({"role": "admin"})).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = m
        .stranger_api
        .post(&ngo_role, json!({"role": "admin"}))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(roles_of(&m.alpha).await, before);
    let (status, body) = m.lead_api.post(&ngo_role, json!({"role": "admin"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "admin");
    assert_eq!(body["account"]["acct"], "ngo");
    let (_, members) = m.stranger_api.get(&format!("{path}/members")).await;
    let listed: Vec<(&str, &str)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["account"]["acct"].as_str().unwrap(),
                e["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [("lead", "admin"), ("ngo", "admin")]);

    // Now lead may leave; ngo is the coalition's admin.
    let (status, body) = m.lead_api.post(&format!("{path}/leave"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["coalition"]["role"], Value::Null);
    assert_eq!(body["coalition"]["members_count"], 1);
    let (status, body) = m.lead_api.post(&format!("{path}/leave"), json!({})).await;
    assert_eq!(status, 422, "not a member any more: {body}");

    // Remove: third joins, ngo removes it; again is 422.
    let (status, _) = m.third_api.post(&format!("{path}/join"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = m
        .ngo_api
        .post(
            &format!("{path}/requests/{}/authorize", m.third.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let remove_third = format!("{path}/members/{}/remove", m.third.id);
    let (status, body) = m.third_api.post(&remove_third, json!({})).await;
    assert_eq!(status, 403, "a member removes nobody: {body}");
    let (status, body) = m.ngo_api.post(&remove_third, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["members_count"], 1);
    assert_eq!(ids(&body["members"], "account"), ["ngo"]);
    let (status, body) = m.ngo_api.post(&remove_third, json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(roles_of(&m.alpha).await, pairs(&[("ngo", "admin")]));
}

on_both_databases!(
    last_admin_cannot_leave_be_demoted_or_removed,
    last_admin_refusals_sqlite,
    last_admin_refusals_postgres
);

async fn invite_only_coalition_refuses_a_join_and_stores_nothing(backend: Backend) {
    let m = moderated(backend, false).await;
    let path = format!("/api/v1/kuvend/coalitions/{}", m.id);
    let (status, body) = m
        .ngo_api
        .post(&format!("{path}/join"), json!({"message": "hi"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "refused");
    assert!(
        body["reason"].as_str().unwrap().contains("invitation only"),
        "{body}"
    );
    assert!(pending_requests(&m.alpha).await.is_empty());
    // With an open invitation, asking makes it a member at once.
    invitations::invite(&m.alpha.data(), "climate", "ngo", "lead", None)
        .await
        .unwrap();
    let (status, body) = m.ngo_api.post(&format!("{path}/join"), json!({})).await;
    assert_eq!(
        (status, body),
        (200, json!({"state": "member", "reason": null}))
    );
    assert_eq!(
        roles_of(&m.alpha).await,
        pairs(&[("lead", "admin"), ("ngo", "member")])
    );
    // pl-api's join answers the refusal with 403.
    let (status, body) = m
        .third_api
        .post(&format!("/api/v1/groups/{}/join", m.id), json!({}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(pending_requests(&m.alpha).await.is_empty());
}

on_both_databases!(
    invite_only_coalition_refuses_a_join_and_stores_nothing,
    invite_only_join_sqlite,
    invite_only_join_postgres
);

async fn pl_api_group_membership_writes(backend: Backend) {
    let m = moderated(backend, true).await;
    let group = format!("/api/v1/groups/{}", m.id);
    let relationship = |api: &Api| {
        let query = format!("/api/v1/groups/relationships?id[]={}", m.id);
        let api = Api {
            base: api.base.clone(),
            token: api.token.clone(),
        };
        async move { api.get(&query).await.1[0].clone() }
    };
    let (status, body) = m.ngo_api.post(&format!("{group}/join"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"id": m.id, "member": false, "role": "user", "requested": true})
    );
    assert_eq!(relationship(&m.ngo_api).await["requested"], true);
    // Joining again answers the same relationship.
    let (status, again) = m.ngo_api.post(&format!("{group}/join"), json!({})).await;
    assert_eq!((status, again), (200, body));
    let (status, _) = m.third_api.post(&format!("{group}/join"), json!({})).await;
    assert_eq!(status, 200);

    // Requests: the admins only.
    let (status, _) = m.ngo_api.get(&format!("{group}/membership_requests")).await;
    assert_eq!(status, 404);
    let (status, list) = m
        .lead_api
        .get(&format!("{group}/membership_requests"))
        .await;
    assert_eq!(status, 200, "{list}");
    let accts: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["acct"].as_str().unwrap())
        .collect();
    assert_eq!(accts, ["ngo", "third"]);
    let (status, body) = m
        .lead_api
        .post(
            &format!("{group}/membership_requests/{}/authorize", m.ngo.id),
            json!({}),
        )
        .await;
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(
        relationship(&m.ngo_api).await,
        json!({"id": m.id, "member": true, "role": "user", "requested": false})
    );
    let (status, _) = m
        .lead_api
        .post(
            &format!("{group}/membership_requests/{}/reject", m.third.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        relationship(&m.third_api).await,
        json!({"id": m.id, "member": false, "role": "user", "requested": false})
    );

    // Promote by query (as pl-api sends it), demote by form, kick by JSON.
    let (status, body) = m
        .ngo_api
        .post(
            &format!("{group}/promote?account_ids[]={}&role=admin", m.ngo.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "a member promotes nobody: {body}");
    let (status, body) = m
        .lead_api
        .post(
            &format!("{group}/promote?account_ids[]={}&role=admin", m.ngo.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["id"], m.ngo.id.to_string());
    assert_eq!(body[0]["role"], "admin");
    let memberships = || async {
        let (_, list) = m.lead_api.get(&format!("{group}/memberships")).await;
        list.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["account"]["acct"].as_str().unwrap().to_string(),
                    e["role"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        memberships().await,
        pairs(&[("lead", "owner"), ("ngo", "admin")])
    );
    let response = client()
        .post(format!("{}{group}/demote", m.alpha.base_url()))
        .bearer_auth(&m.lead_api.token)
        .form(&[
            ("account_ids[]", m.ngo.id.to_string()),
            ("role", "user".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body[0]["role"], "user", "{body}");
    assert_eq!(
        memberships().await,
        pairs(&[("lead", "owner"), ("ngo", "user")])
    );
    // Kicking the last admin: 422, nothing changes.
    let (status, body) = m
        .lead_api
        .post(
            &format!("{group}/kick"),
            json!({"account_ids": [m.lead.id.to_string()]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = m
        .lead_api
        .post(
            &format!("{group}/kick"),
            json!({"account_ids": [m.ngo.id.to_string()]}),
        )
        .await;
    assert_eq!((status, body), (200, json!({})));
    assert_eq!(memberships().await, pairs(&[("lead", "owner")]));
    // Leaving when not a member: 422; a member leaves.
    let (status, _) = m.ngo_api.post(&format!("{group}/leave"), json!({})).await;
    assert_eq!(status, 422);
    let (status, _) = m.third_api.post(&format!("{group}/join"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = m
        .lead_api
        .post(
            &format!("{group}/membership_requests/{}/authorize", m.third.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = m.third_api.post(&format!("{group}/leave"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["member"], false);
    assert_eq!(memberships().await, pairs(&[("lead", "owner")]));
}

on_both_databases!(
    pl_api_group_membership_writes,
    pl_api_group_writes_sqlite,
    pl_api_group_writes_postgres
);
