//! Incoming RFC 9421 HTTP Message Signatures, as Mastodon sends them: a
//! `Create` signed that way is stored, and the attacks the draft-cavage path
//! refuses are refused here too (a tampered digest or body, a signature for
//! another host, an old signature, another actor's key). Signed GETs of a
//! followers-only post work as with draft-cavage.
//!
//! The test signs by hand, with its own signature base, so that it checks
//! kuvend's verifier against the RFC rather than against itself.

use crate::common::{Backend, TestInstance, client, temp_dir};
use crate::on_both_databases;
use aws_lc_rs::{rand::SystemRandom, signature::RSA_PKCS1_SHA256};
use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use kuvend::{federation::signatures, storage::models::ActorRow};
use std::time::{Duration, SystemTime};
use url::Url;

fn fixture() -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/mastodon/rfc9421_create_note.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unix(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn sha256(body: &[u8]) -> String {
    BASE64.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body))
}

/// What to sign and how; the defaults are Mastodon's.
struct Signing<'a> {
    signer: &'a ActorRow,
    method: &'static str,
    /// The URL the signer meant the request for (its host may be another's).
    url: Url,
    components: &'static [&'static str],
    created: i64,
    expires: Option<i64>,
    /// The `Content-Digest` value signed and sent; `None`: the body's.
    content_digest: Option<String>,
}

impl<'a> Signing<'a> {
    fn mastodon(signer: &'a ActorRow, method: &'static str, url: &Url) -> Self {
        Signing {
            signer,
            method,
            url: url.clone(),
            components: if method == "POST" {
                &["@method", "@target-uri", "content-digest"]
            } else {
                &["@method", "@target-uri"]
            },
            created: unix(SystemTime::now()),
            expires: None,
            content_digest: None,
        }
    }

    /// `Signature-Input`, `Signature` and, with a body, `Content-Digest`.
    fn headers(&self, body: Option<&[u8]>) -> Vec<(String, String)> {
        let digest = body.map(|b| {
            self.content_digest
                .clone()
                .unwrap_or_else(|| format!("sha-256=:{}:", sha256(b)))
        });
        let authority = match self.url.port() {
            Some(port) => format!("{}:{port}", self.url.host_str().unwrap()),
            None => self.url.host_str().unwrap().to_string(),
        };
        let mut base = String::new();
        for component in self.components {
            let value = match *component {
                "@method" => self.method.to_string(),
                "@target-uri" => self.url.to_string(),
                "@authority" => authority.clone(),
                "@path" => self.url.path().to_string(),
                "content-digest" => digest.clone().unwrap(),
                other => panic!("the test does not sign {other}"),
            };
            base.push_str(&format!("\"{component}\": {value}\n"));
        }
        let list: Vec<String> = self.components.iter().map(|c| format!("\"{c}\"")).collect();
        let mut params = format!("({});created={}", list.join(" "), self.created);
        if let Some(expires) = self.expires {
            params.push_str(&format!(";expires={expires}"));
        }
        params.push_str(&format!(";keyid=\"{}\"", self.signer.public_key_id));
        base.push_str(&format!("\"@signature-params\": {params}"));
        let key =
            signatures::parse_private_key(self.signer.private_key_pem.as_deref().unwrap()).unwrap();
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            base.as_bytes(),
            &mut signature,
        )
        .unwrap();
        let mut headers = vec![
            ("signature-input".to_string(), format!("sig1={params}")),
            (
                "signature".to_string(),
                format!("sig1=:{}:", BASE64.encode(signature)),
            ),
        ];
        if let Some(digest) = digest {
            headers.push(("content-digest".to_string(), digest));
        }
        headers
    }
}

/// The fixture's body with the test's actors in it.
fn create_body(sender: &ActorRow, target: &ActorRow) -> Vec<u8> {
    let text = serde_json::to_string(&fixture()["body"])
        .unwrap()
        .replace("{actor}", &sender.ap_id)
        .replace("{target}", &target.ap_id);
    text.into_bytes()
}

/// Sends `body` to `inbox` with the fixture's headers, the signature ones
/// replaced by `signed` (and `extra` added).
async fn deliver(
    inbox: &Url,
    body: &[u8],
    signed: Vec<(String, String)>,
    extra: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let fixture = fixture();
    let mut request = client().post(inbox.clone()).body(body.to_vec());
    for (name, value) in fixture["request"]["headers"].as_object().unwrap() {
        let name = name.to_ascii_lowercase();
        if signed.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let value = value
            .as_str()
            .unwrap()
            .replace("{date}", &httpdate::fmt_http_date(SystemTime::now()));
        request = request.header(name, value);
    }
    for (name, value) in signed {
        request = request.header(name, value);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// The fixture's headers really are the shape the test signs: the same
/// covered components and parameters, in Mastodon's order.
#[test]
fn fixture_headers_match_what_the_test_signs() {
    let fixture = fixture();
    let headers = &fixture["request"]["headers"];
    assert_eq!(
        headers["Signature-Input"],
        r#"sig1=("@method" "@target-uri" "content-digest");created={created};keyid="{keyid}""#
    );
    assert_eq!(headers["Content-Digest"], "sha-256=:{digest}:");
    assert_eq!(headers["Signature"], "sig1=:{signature}:");
    assert!(headers.get("Digest").is_none());
}

/// An attack: its name, the reason it must be refused for, the body sent,
/// the signature headers, and headers added after signing.
type Case<'a> = (
    &'a str,
    &'a str,
    Vec<u8>,
    Vec<(String, String)>,
    Vec<(&'a str, &'a str)>,
);

/// Two instances: alpha (on the backend under test) with a local `target`
/// (mentioned by the note, so that it concerns alpha),
/// and beta, whose `sender` and `other` play the remote Mastodon actors.
struct Setup {
    _dir: tempfile::TempDir,
    alpha: TestInstance,
    _beta: TestInstance,
    sender: ActorRow,
    other: ActorRow,
    inbox: Url,
    body: Vec<u8>,
    note_id: String,
}

impl Setup {
    async fn start(target_db: Backend) -> Setup {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", target_db, dir.path()).await;
        let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
        let target = alpha.create_org("target", false).await;
        let sender = beta.create_org("sender", false).await;
        let other = beta.create_org("other", false).await;
        let inbox = Url::parse(&target.inbox_url).unwrap();
        let body = create_body(&sender, &target);
        let note_id = format!("{}/statuses/115550000000000001", sender.ap_id);
        Setup {
            _dir: dir,
            alpha,
            _beta: beta,
            sender,
            other,
            inbox,
            body,
            note_id,
        }
    }

    fn mastodon(&self) -> Signing<'_> {
        Signing::mastodon(&self.sender, "POST", &self.inbox)
    }

    /// The inbox URL as it would be on another server.
    fn elsewhere(&self) -> Url {
        let mut url = self.inbox.clone();
        url.set_host(Some("elsewhere.test")).unwrap();
        url
    }

    /// Each case is answered 401 with a JSON reason, and changes nothing.
    async fn all_refused(&self, cases: Vec<Case<'_>>) {
        let before = self.alpha.counts().await;
        for (name, reason, sent, signed, extra) in cases {
            let (status, reply) = deliver(&self.inbox, &sent, signed, &extra).await;
            assert_eq!(status, 401, "{name}: {reply}");
            assert!(
                reply["error"].as_str().is_some_and(|e| e.contains(reason)),
                "{name}: refused for another reason than {reason:?}: {reply}"
            );
            assert_eq!(
                self.alpha.counts().await,
                before,
                "{name} changed the database"
            );
            assert!(
                self.alpha.post(&self.note_id).await.is_none(),
                "{name} stored the note"
            );
        }
        // The same activity signed properly is accepted: the refusals were
        // for the attack, not for the key or the body.
        let (status, reply) = deliver(
            &self.inbox,
            &self.body,
            self.mastodon().headers(Some(&self.body)),
            &[],
        )
        .await;
        assert_eq!(status, 202, "{reply}");
        assert!(self.alpha.post(&self.note_id).await.is_some());
    }
}

async fn accepted_scenario(target_db: Backend) {
    let setup = Setup::start(target_db).await;
    let before = setup.alpha.counts().await;
    let (status, reply) = deliver(
        &setup.inbox,
        &setup.body,
        setup.mastodon().headers(Some(&setup.body)),
        &[],
    )
    .await;
    assert_eq!(status, 202, "{reply}");
    let stored = setup
        .alpha
        .post(&setup.note_id)
        .await
        .expect("the note is stored");
    assert!(
        stored.content.contains("Signed the RFC 9421 way"),
        "{stored:?}"
    );
    let after = setup.alpha.counts().await;
    assert_eq!(after.actors, before.actors + 1, "the sender is stored");
    // Sent again (a retry): acknowledged, nothing new.
    let (status, _) = deliver(
        &setup.inbox,
        &setup.body,
        setup.mastodon().headers(Some(&setup.body)),
        &[],
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(setup.alpha.counts().await, after);
}

async fn tampered_digest_scenario(target_db: Backend) {
    let setup = Setup::start(target_db).await;
    let body = &setup.body;
    let mut tampered_body = body.clone();
    let at = tampered_body.iter().position(|b| *b == b'S').unwrap();
    tampered_body[at] = b's';
    setup
        .all_refused(vec![
            (
                "Content-Digest of another body, signed",
                "Content-Digest does not match the body",
                body.clone(),
                Signing {
                    content_digest: Some(format!("sha-256=:{}:", sha256(b"{}"))),
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![],
            ),
            (
                "a second Content-Digest added after signing",
                "Content-Digest does not match the body",
                body.clone(),
                setup.mastodon().headers(Some(body)),
                vec![(
                    "content-digest",
                    "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:",
                )],
            ),
            (
                "body changed after signing",
                "Content-Digest does not match the body",
                tampered_body.clone(),
                setup.mastodon().headers(Some(body)),
                vec![],
            ),
            (
                "content-digest not covered",
                "must cover content-digest",
                body.clone(),
                Signing {
                    components: &["@method", "@target-uri"],
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![("content-digest", "sha-256=:AAAA:")],
            ),
        ])
        .await;
}

async fn another_host_scenario(target_db: Backend) {
    let setup = Setup::start(target_db).await;
    let body = &setup.body;
    setup
        .all_refused(vec![
            (
                "@target-uri of another host",
                "signature does not verify",
                body.clone(),
                Signing {
                    url: setup.elsewhere(),
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![],
            ),
            (
                "@authority of another host",
                "signature does not verify",
                body.clone(),
                Signing {
                    url: setup.elsewhere(),
                    components: &["@method", "@authority", "@path", "content-digest"],
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![],
            ),
            (
                "captured on its way to another host, replayed with its Host",
                "signed for host",
                body.clone(),
                Signing {
                    url: setup.elsewhere(),
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![("host", "elsewhere.test")],
            ),
            (
                "neither @target-uri nor @authority covered",
                "must cover @target-uri",
                body.clone(),
                Signing {
                    components: &["@method", "@path", "content-digest"],
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![],
            ),
            (
                "signed with another actor's key",
                "is not the key of actor",
                body.clone(),
                Signing::mastodon(&setup.other, "POST", &setup.inbox).headers(Some(body)),
                vec![],
            ),
        ])
        .await;
}

async fn old_signature_scenario(target_db: Backend) {
    let setup = Setup::start(target_db).await;
    let body = &setup.body;
    let now = SystemTime::now();
    setup
        .all_refused(vec![
            (
                "created two hours ago",
                "more than an hour from now",
                body.clone(),
                Signing {
                    created: unix(now - Duration::from_secs(7200)),
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![],
            ),
            (
                "created two hours ahead",
                "more than an hour from now",
                body.clone(),
                Signing {
                    created: unix(now + Duration::from_secs(7200)),
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![],
            ),
            (
                "expired a minute ago",
                "signature has expired",
                body.clone(),
                Signing {
                    created: unix(now - Duration::from_secs(120)),
                    expires: Some(unix(now - Duration::from_secs(60))),
                    ..setup.mastodon()
                }
                .headers(Some(body)),
                vec![],
            ),
        ])
        .await;
}

on_both_databases!(
    accepted_scenario,
    rfc9421_signed_create_as_mastodon_sends_it_is_stored_sqlite,
    rfc9421_signed_create_as_mastodon_sends_it_is_stored_postgres
);
on_both_databases!(
    tampered_digest_scenario,
    rfc9421_tampered_content_digest_or_body_is_refused_sqlite,
    rfc9421_tampered_content_digest_or_body_is_refused_postgres
);
on_both_databases!(
    another_host_scenario,
    rfc9421_signature_for_another_host_is_refused_sqlite,
    rfc9421_signature_for_another_host_is_refused_postgres
);
on_both_databases!(
    old_signature_scenario,
    rfc9421_too_old_or_expired_signature_is_refused_sqlite,
    rfc9421_too_old_or_expired_signature_is_refused_postgres
);

/// A follower's RFC 9421-signed GET of a followers-only post is served, as
/// with draft-cavage; a stranger's is not (404), and a signature that does
/// not hold (too old, or for another host) is 401.
async fn signed_get_scenario(target_db: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", target_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    alpha.create_org("target", false).await;
    let reader = beta.create_org("reader", false).await;
    let stranger = beta.create_org("stranger", false).await;
    beta.follow_and_wait("reader", &alpha, "target").await;
    let post = kuvend::service::posts::create_post(
        &alpha.data(),
        "target",
        kuvend::service::posts::NewPost {
            text: "For our followers".into(),
            visibility: kuvend::model::Visibility::Followers,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .unwrap();
    let url = Url::parse(&post.ap_id).unwrap();
    let get = |signing: Signing<'_>| {
        let mut request = client()
            .get(url.clone())
            .header("accept", "application/activity+json");
        for (name, value) in signing.headers(None) {
            request = request.header(name, value);
        }
        async move { request.send().await.unwrap() }
    };

    let follower = get(Signing::mastodon(&reader, "GET", &url)).await;
    assert_eq!(follower.status().as_u16(), 200, "a follower's signed fetch");
    let note: serde_json::Value = follower.json().await.unwrap();
    assert_eq!(note["id"], post.ap_id);

    let other = get(Signing::mastodon(&stranger, "GET", &url)).await;
    assert_eq!(
        other.status().as_u16(),
        404,
        "a non-follower's signed fetch"
    );

    let old = get(Signing {
        created: unix(SystemTime::now() - Duration::from_secs(7200)),
        ..Signing::mastodon(&reader, "GET", &url)
    })
    .await;
    assert_eq!(old.status().as_u16(), 401, "created two hours ago");

    let mut elsewhere = url.clone();
    elsewhere.set_host(Some("elsewhere.test")).unwrap();
    let replayed = get(Signing {
        url: elsewhere,
        ..Signing::mastodon(&reader, "GET", &url)
    })
    .await;
    assert_eq!(replayed.status().as_u16(), 401, "signed for another host");
}

on_both_databases!(
    signed_get_scenario,
    rfc9421_signed_get_of_followers_only_post_works_like_draft_cavage_sqlite,
    rfc9421_signed_get_of_followers_only_post_works_like_draft_cavage_postgres
);
