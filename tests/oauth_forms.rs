//! The login and consent form (`/oauth/authorize`) as an attacker would use
//! it: a login ticket taken from one app's flow must not finish another's.

use crate::common::{Backend, TestInstance, available, client, register_app, temp_dir};
use kuvend::service::auth;

/// The ticket and the first account choice on the page shown after a login
/// with two organisations to choose from.
fn ticket_and_choice(page: &str) -> (String, String) {
    let find = |pattern: &str| {
        regex::Regex::new(pattern)
            .unwrap()
            .captures(page)
            .map(|c| c[1].to_string())
            .unwrap_or_else(|| panic!("{pattern} not on the page: {page}"))
    };
    (
        find(r#"name="ticket" value="([^"]+)""#),
        find(r#"name="actor_id" value="(\d+)""#),
    )
}

async fn ticket_binding(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("ngo", false).await;
    alpha.create_org("network", false).await;
    auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "correct horse",
        Some(("ngo", "owner")),
    )
    .await
    .unwrap();
    auth::add_membership(alpha.ctx(), "staff@ngo.example", "network", "editor")
        .await
        .unwrap();
    let base = alpha.base_url();
    let (victim_app, _) = register_app(&base, "read").await;
    let (other_app, _) = register_app(&base, "read write follow").await;
    let flow = |client_id: &str, scope: &str, challenge: &str| {
        vec![
            ("client_id".to_string(), client_id.to_string()),
            ("redirect_uri".into(), "urn:ietf:wg:oauth:2.0:oob".into()),
            ("scope".into(), scope.into()),
            ("response_type".into(), "code".into()),
            ("code_challenge".into(), challenge.into()),
            ("code_challenge_method".into(), "S256".into()),
        ]
    };
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let submit = |mut form: Vec<(String, String)>, extra: &[(&str, &str)]| {
        for (k, v) in extra {
            form.push((k.to_string(), v.to_string()));
        }
        let base = base.clone();
        async move {
            client()
                .post(format!("{base}/oauth/authorize"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };

    // The victim logs in for a read-only app and is shown the choice.
    let victim_flow = flow(&victim_app, "read", challenge);
    let page = submit(
        victim_flow.clone(),
        &[
            ("email", "staff@ngo.example"),
            ("password", "correct horse"),
        ],
    )
    .await;
    assert_eq!(page.status().as_u16(), 200);
    let (ticket, actor_id) = ticket_and_choice(&page.text().await.unwrap());
    let with_ticket = [("ticket", ticket.as_str()), ("actor_id", actor_id.as_str())];

    // The ticket, taken, fails in another app's flow, in the same app's flow
    // asking for more scopes, and with another PKCE challenge.
    for (what, attack) in [
        ("another app", flow(&other_app, "read", challenge)),
        (
            "wider scopes",
            flow(&victim_app, "read write follow", challenge),
        ),
        (
            "another challenge",
            flow(&victim_app, "read", "attacker-challenge-0123456789"),
        ),
    ] {
        let refused = submit(attack, &with_ticket).await;
        assert_eq!(refused.status().as_u16(), 401, "{what}: {backend:?}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("log in again"),
            "{what}: {body}"
        );
    }
    // Another redirect URI is refused too (the app did not register it).
    let mut elsewhere = victim_flow.clone();
    elsewhere[1].1 = "https://attacker.example/cb".into();
    assert_eq!(submit(elsewhere, &with_ticket).await.status().as_u16(), 401);
    // A forged or truncated ticket fails.
    let forged = format!("{}x", &ticket[..ticket.len() - 1]);
    let refused = submit(
        victim_flow.clone(),
        &[("ticket", &forged), ("actor_id", &actor_id)],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 401);

    // In its own flow the ticket works: the code is shown.
    let granted = submit(victim_flow, &with_ticket).await;
    assert_eq!(granted.status().as_u16(), 200, "{backend:?}");
    assert!(
        granted.text().await.unwrap().contains("<code"),
        "the code page"
    );
}

#[tokio::test]
async fn login_ticket_from_one_apps_flow_fails_in_another() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if available(
            "login_ticket_from_one_apps_flow_fails_in_another",
            &[backend],
        ) {
            ticket_binding(backend).await;
        }
    }
}
