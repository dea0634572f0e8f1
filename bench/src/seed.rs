//! Loading a benchmark database: organisations, remote actors on the sink
//! hosts, follows, a staff login and supporters with tokens, and up to a
//! million remote statuses. Everything goes through the service and storage
//! layers, so the rows are the ones kuvend itself would write.

use super::harness::SigningActor;
use anyhow::Context;
use kuvend::model::FollowState;
use kuvend::{
    context::Kuvend,
    federation::signatures::{self, Keypair},
    service::{
        auth, coalitions,
        orgs::{self, NewOrganization},
    },
    storage::{
        coalitions::NewCoalitionMember,
        models::{NewActor, NewFollow, PostRow},
        now,
    },
};
use std::{net::SocketAddr, path::Path, sync::Arc, time::Instant};

/// Where the remote actors live and how many there are.
pub struct Layout {
    /// Remote actors that sign inbox requests, on `INBOX_INSTANCES` hosts.
    pub signing_actors: usize,
    /// Followers of each fan-out organisation.
    pub followers: usize,
    /// Instances the followers are spread over (shared inboxes).
    pub follower_instances: usize,
    /// Remote statuses for the timeline.
    pub statuses: usize,
    pub healthy: SocketAddr,
    pub hanging: SocketAddr,
    pub failing: SocketAddr,
}

/// Authors of the timeline's statuses; supporters follow the first 10, 200
/// and 1,000 of them.
pub const TIMELINE_AUTHORS: usize = 5_000;
pub const FOLLOW_BUCKETS: [usize; 3] = [10, 200, 1_000];
/// Hanging and failing instances among an organisation's followers.
pub const BAD_INSTANCES: usize = 10;
const INBOX_INSTANCES: usize = 100;
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const BATCH: usize = 500;

/// A coalition the relay part posts to: its name, id and inbox.
pub struct RelayCoalition {
    pub name: &'static str,
    pub ap_id: String,
    pub inbox: String,
}

/// The relay part's coalitions: `relayshared`, followed by the fan-out's
/// shared-inbox followers, and `relaymany`, followed by those without one.
pub const RELAY_COALITIONS: [&str; 2] = ["relayshared", "relaymany"];

/// What the benchmark needs from the loaded database.
pub struct Seeded {
    /// The remote member of both relay coalitions, signed by the bench.
    pub relay_member: SigningActor,
    pub relay_coalitions: Vec<RelayCoalition>,
    pub signing_actors: Vec<SigningActor>,
    /// Tokens acting as `fanshared`, `fanmany` and `fanbad`.
    pub org_tokens: Vec<(String, String)>,
    /// A supporter's token for each of [`FOLLOW_BUCKETS`].
    pub supporter_tokens: Vec<(usize, String)>,
    /// Database bytes before and after the statuses (and their home
    /// timeline rows) were stored.
    pub bytes_before_statuses: i64,
    pub bytes_after_statuses: i64,
    pub statuses_per_second: f64,
}

/// Host names the server must resolve to loopback (its `host_overrides`).
pub fn sink_hosts(layout: &Layout) -> Vec<String> {
    let mut hosts: Vec<String> = (0..layout.follower_instances)
        .map(|i| format!("h{i}.bench"))
        .collect();
    hosts.extend((0..BAD_INSTANCES).map(|i| format!("hang{i}.bench")));
    hosts.extend((0..BAD_INSTANCES).map(|i| format!("fail{i}.bench")));
    hosts
}

/// RSA key pairs for the signing actors, generated once and kept in `path`
/// (generating a thousand takes about a minute).
pub fn signing_keys(path: &Path, count: usize) -> anyhow::Result<Vec<Keypair>> {
    let mut pairs: Vec<(String, String)> = std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    if pairs.len() < count {
        eprintln!(
            "generating {} RSA keys (kept in {})",
            count - pairs.len(),
            path.display()
        );
        let missing = count - pairs.len();
        let generated: std::sync::Mutex<Vec<(String, String)>> = Default::default();
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        std::thread::scope(|scope| {
            for t in 0..threads {
                let generated = &generated;
                scope.spawn(move || {
                    for _ in (t..missing).step_by(threads) {
                        if let Ok(pair) = signatures::generate_keypair() {
                            if let Ok(mut g) = generated.lock() {
                                g.push((pair.private_key, pair.public_key));
                            }
                        }
                    }
                });
            }
        });
        pairs.extend(
            generated
                .into_inner()
                .map_err(|_| anyhow::anyhow!("a key thread panicked"))?,
        );
        std::fs::write(path, serde_json::to_vec(&pairs)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(pairs
        .into_iter()
        .take(count)
        .map(|(private_key, public_key)| Keypair {
            private_key,
            public_key,
        })
        .collect())
}

fn remote_actor(
    ap_id: &str,
    inbox: String,
    shared_inbox: Option<String>,
    public_key: &str,
) -> NewActor {
    let url = url::Url::parse(ap_id).ok();
    let domain = url
        .as_ref()
        .map(kuvend::federation::actors::authority)
        .unwrap_or_default();
    let username = ap_id.rsplit('/').next().unwrap_or("x").to_string();
    let now = now();
    NewActor {
        ap_id: ap_id.to_string(),
        kind: "person".into(),
        ap_type: "Person".into(),
        username_key: username.to_lowercase(),
        username,
        domain,
        local: false,
        display_name: String::new(),
        summary: String::new(),
        profile_url: Some(ap_id.to_string()),
        icon_url: None,
        inbox_url: inbox,
        shared_inbox_url: shared_inbox,
        outbox_url: None,
        followers_url: Some(format!("{ap_id}/followers")),
        following_url: None,
        public_key_id: format!("{ap_id}#main-key"),
        public_key_pem: public_key.to_string(),
        private_key_pem: None,
        manually_approves_followers: false,
        discoverable: true,
        published_at: now,
        fetched_at: Some(now),
        created_at: now,
        updated_at: now,
        image_url: None,
        fields_json: "[]".into(),
    }
}

/// Inserts actors in batches; returns their row ids in order.
async fn insert_actors(ctx: &Kuvend, actors: Vec<NewActor>) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(actors.len());
    for batch in actors.chunks(BATCH) {
        let rows = kuvend::transaction!(ctx.db, |q| q.insert_actors(batch).await)?;
        ids.extend(rows.into_iter().map(|r| r.id));
    }
    Ok(ids)
}

/// Accepted follows from each of `followers` to each of `followees`.
async fn insert_follows(ctx: &Kuvend, pairs: &[(i64, i64)]) -> anyhow::Result<()> {
    let now = now();
    let rows: Vec<NewFollow> = pairs
        .iter()
        .map(|(follower_id, followee_id)| NewFollow {
            follower_id: *follower_id,
            followee_id: *followee_id,
            state: FollowState::Accepted.as_str().into(),
            follow_ap_id: format!("urn:kuvend-bench:follow:{follower_id}:{followee_id}"),
            created_at: now,
            updated_at: now,
        })
        .collect();
    for batch in rows.chunks(BATCH) {
        kuvend::transaction!(ctx.db, |q| q.insert_follows(batch).await)?;
    }
    Ok(())
}

async fn organization(ctx: &Kuvend, username: &str) -> anyhow::Result<i64> {
    Ok(orgs::create_organization(
        ctx,
        NewOrganization {
            username: username.into(),
            display_name: format!("Bench {username}"),
            summary: "An organisation the benchmark posts as.".into(),
            manually_approves_followers: false,
        },
    )
    .await?
    .id)
}

async fn token(ctx: &Kuvend, app_id: i64, user_id: i64, actor_id: i64) -> anyhow::Result<String> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .insert_token(
            &auth::secret_hash(&token),
            app_id,
            Some(user_id),
            Some(actor_id),
            "read write",
        )
        .await?;
    Ok(token)
}

pub async fn seed(ctx: &Kuvend, layout: &Layout, keys: &[Keypair]) -> anyhow::Result<Seeded> {
    let dummy_key = &keys.first().context("no keys")?.public_key;

    // Remote actors that sign inbox requests, followed by `inbox`.
    let inbox_org = organization(ctx, "inbox").await?;
    let signing: Vec<(String, &Keypair)> = keys
        .iter()
        .take(layout.signing_actors)
        .enumerate()
        .map(|(i, k)| {
            (
                format!("http://i{}.inbox.bench/users/a{i}", i % INBOX_INSTANCES),
                k,
            )
        })
        .collect();
    let ids = insert_actors(
        ctx,
        signing
            .iter()
            .map(|(id, k)| remote_actor(id, format!("{id}/inbox"), None, &k.public_key))
            .collect(),
    )
    .await?;
    insert_follows(
        ctx,
        &ids.iter().map(|id| (inbox_org, *id)).collect::<Vec<_>>(),
    )
    .await?;
    let signing_actors = signing
        .iter()
        .map(|(ap_id, k)| {
            Ok(SigningActor {
                ap_id: ap_id.clone(),
                key_id: format!("{ap_id}#main-key"),
                key: Arc::new(signatures::parse_private_key(&k.private_key)?),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Followers of the fan-out organisations, on the sink hosts.
    let healthy_port = layout.healthy.port();
    let host = |i: usize| {
        format!(
            "http://h{}.bench:{healthy_port}",
            i % layout.follower_instances
        )
    };
    let fanshared = organization(ctx, "fanshared").await?;
    let fanmany = organization(ctx, "fanmany").await?;
    let fanbad = organization(ctx, "fanbad").await?;
    let mut actors = Vec::new();
    for j in 0..layout.followers {
        let base = host(j);
        let id = format!("{base}/users/s{j}");
        actors.push(remote_actor(
            &id,
            format!("{id}/inbox"),
            Some(format!("{base}/inbox")),
            dummy_key,
        ));
    }
    let shared_followers = insert_actors(ctx, actors).await?;
    let actors = (0..layout.followers)
        .map(|j| {
            let id = format!("{}/users/m{j}", host(j));
            remote_actor(&id, format!("{id}/inbox"), None, dummy_key)
        })
        .collect();
    let separate_followers = insert_actors(ctx, actors).await?;
    let mut actors: Vec<NewActor> = (0..layout.follower_instances)
        .map(|i| {
            let base = host(i);
            let id = format!("{base}/users/b{i}");
            remote_actor(
                &id,
                format!("{id}/inbox"),
                Some(format!("{base}/inbox")),
                dummy_key,
            )
        })
        .collect();
    for (name, addr) in [("hang", layout.hanging), ("fail", layout.failing)] {
        for i in 0..BAD_INSTANCES {
            let base = format!("http://{name}{i}.bench:{}", addr.port());
            let id = format!("{base}/users/b{i}");
            actors.push(remote_actor(
                &id,
                format!("{id}/inbox"),
                Some(format!("{base}/inbox")),
                dummy_key,
            ));
        }
    }
    let mixed_followers = insert_actors(ctx, actors).await?;
    let mut follows: Vec<(i64, i64)> = shared_followers.iter().map(|f| (*f, fanshared)).collect();
    follows.extend(separate_followers.iter().map(|f| (*f, fanmany)));
    follows.extend(mixed_followers.iter().map(|f| (*f, fanbad)));
    insert_follows(ctx, &follows).await?;

    let (relay_member, relay_coalitions) =
        relay_coalitions(ctx, layout, keys, &shared_followers, &separate_followers).await?;

    // A staff login for the organisations, and an app for every token.
    let staff = auth::create_user(
        ctx,
        "staff@bench.invalid",
        "bench-password",
        Some(("fanshared", "owner")),
    )
    .await?;
    for org in ["fanmany", "fanbad"] {
        auth::add_membership(ctx, "staff@bench.invalid", org, "owner").await?;
    }
    let (app, _) = auth::register_app(
        ctx,
        "kuvend bench",
        "urn:ietf:wg:oauth:2.0:oob",
        Some("read write"),
        None,
    )
    .await?;
    let mut org_tokens = Vec::new();
    for (name, id) in [
        ("fanshared", fanshared),
        ("fanmany", fanmany),
        ("fanbad", fanbad),
    ] {
        org_tokens.push((name.to_string(), token(ctx, app.id, staff.id, id).await?));
    }

    // Timeline: authors, supporters following some of them, and statuses.
    let authors = (0..TIMELINE_AUTHORS)
        .map(|i| {
            let id = format!("http://t{}.bench/users/t{i}", i % 50);
            remote_actor(&id, format!("{id}/inbox"), None, dummy_key)
        })
        .collect();
    let authors = insert_actors(ctx, authors).await?;
    let mut supporter_tokens = Vec::new();
    for follows in FOLLOW_BUCKETS {
        let name = format!("follows{follows}");
        let email = format!("{name}@bench.invalid");
        let user = auth::register(
            ctx,
            auth::Registration {
                username: &name,
                email: &email,
                password: "bench-password",
                agreement: true,
                from: None,
            },
        )
        .await?;
        let person = user.actor_id.context("a supporter without an actor")?;
        let pairs: Vec<(i64, i64)> = authors.iter().take(follows).map(|a| (person, *a)).collect();
        insert_follows(ctx, &pairs).await?;
        supporter_tokens.push((follows, token(ctx, app.id, user.id, person).await?));
    }

    let bytes_before_statuses = database_bytes(ctx).await?;
    let started = Instant::now();
    insert_statuses(ctx, &authors, layout.statuses).await?;
    kuvend::transaction!(ctx.db, |q| q.rebuild_home_feeds().await)?;
    let statuses_per_second = layout.statuses as f64 / started.elapsed().as_secs_f64();
    let bytes_after_statuses = database_bytes(ctx).await?;
    Ok(Seeded {
        relay_member,
        relay_coalitions,
        signing_actors,
        org_tokens,
        supporter_tokens,
        bytes_before_statuses,
        bytes_after_statuses,
        statuses_per_second,
    })
}

/// The relay part's coalitions (founded by a local organisation of their
/// own), their followers (the fan-out's remote followers again), the
/// followers' instances' software as NodeInfo would have told it, and one
/// remote member of both, who signs with the first bench key. Even-numbered
/// instances run `mastodon` (sent `Announce{"<object id>"}`), odd-numbered
/// ones `lemmy` (sent `Announce{<the Create>}`), so that each inbox gets
/// one delivery of one of the two shapes, as with known software.
async fn relay_coalitions(
    ctx: &Kuvend,
    layout: &Layout,
    keys: &[Keypair],
    shared_followers: &[i64],
    separate_followers: &[i64],
) -> anyhow::Result<(SigningActor, Vec<RelayCoalition>)> {
    let key = keys.first().context("no keys")?;
    let member_id = "http://member.relay.bench/users/ngo";
    let member_row = insert_actors(
        ctx,
        vec![remote_actor(
            member_id,
            format!("{member_id}/inbox"),
            None,
            &key.public_key,
        )],
    )
    .await?;
    let member_row = *member_row.first().context("member not stored")?;
    organization(ctx, "relaylead").await?;
    let mut coalitions = Vec::new();
    for (name, followers) in RELAY_COALITIONS
        .into_iter()
        .zip([shared_followers, separate_followers])
    {
        let coalition = coalitions::create(
            ctx,
            coalitions::NewCoalition {
                username: name.into(),
                display_name: format!("Bench {name}"),
                summary: "A coalition the benchmark relays through.".into(),
                manually_approves_followers: false,
                members_visible: "public".into(),
                relay: None,
                relay_cap: None,
                by: "relaylead".into(),
            },
        )
        .await?
        .actor;
        let stamp = now();
        let member = NewCoalitionMember {
            coalition_id: coalition.id,
            member_id: member_row,
            role: "member".into(),
            ap_id: format!("{}/members/bench", coalition.ap_id),
            created_at: stamp,
            updated_at: stamp,
        };
        kuvend::transaction!(ctx.db, |q| q.insert_coalition_member(&member).await)?;
        let pairs: Vec<(i64, i64)> = followers.iter().map(|f| (*f, coalition.id)).collect();
        insert_follows(ctx, &pairs).await?;
        coalitions.push(RelayCoalition {
            name,
            ap_id: coalition.ap_id,
            inbox: coalition.inbox_url,
        });
    }
    let healthy_port = layout.healthy.port();
    let stamp = now();
    for i in 0..layout.follower_instances {
        let domain = format!("h{i}.bench:{healthy_port}");
        let software = if i % 2 == 0 { "mastodon" } else { "lemmy" };
        kuvend::transaction!(ctx.db, |q| q
            .record_instance_software(&domain, Some(software), Some("bench"), stamp)
            .await)?;
    }
    let member = SigningActor {
        ap_id: member_id.to_string(),
        key_id: format!("{member_id}#main-key"),
        key: Arc::new(signatures::parse_private_key(&key.private_key)?),
    };
    Ok((member, coalitions))
}

/// Settles the database (statistics; SQLite's WAL folded in) and measures it.
async fn database_bytes(ctx: &Kuvend) -> anyhow::Result<i64> {
    let mut conn = ctx.db.conn().await?;
    conn.q().analyze().await?;
    Ok(conn.q().database_bytes().await?)
}

/// `count` public statuses by the authors in turn, one every few seconds
/// over the last months, each about 500 bytes of HTML as Mastodon sends it.
async fn insert_statuses(ctx: &Kuvend, authors: &[i64], count: usize) -> anyhow::Result<()> {
    let step_ms = 3_000i64;
    let first_ms = chrono::Utc::now().timestamp_millis() - step_ms * count as i64 - 60_000;
    let text = "<p>Community meeting on water rights this Thursday: bring your questions \
                about the new licensing rules, and read the briefing first. \
                <a href=\"https://example.org/briefing\" rel=\"nofollow noopener\">example.org/briefing</a> \
                <a href=\"https://example.org/tags/water\" class=\"mention hashtag\" rel=\"tag\">#<span>water</span></a></p>";
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..count {
        let author = authors[i % authors.len()];
        let author_index = i % authors.len();
        let base = format!("http://t{}.bench/users/t{author_index}", author_index % 50);
        let millis = first_ms + step_ms * i as i64;
        let at = chrono::DateTime::from_timestamp_millis(millis)
            .context("timestamp out of range")?
            .naive_utc();
        batch.push(PostRow {
            id: (millis << 16) | (i as i64 & 0xffff),
            ap_id: format!("{base}/statuses/{i}"),
            ap_type: "Note".into(),
            author_id: author,
            local: false,
            visibility: "public".into(),
            content: format!("{text}<p>Update {i}.</p>"),
            source: None,
            summary: None,
            sensitive: false,
            language: Some("en".into()),
            url: Some(format!("{base}/statuses/{i}")),
            in_reply_to_ap_id: None,
            in_reply_to_id: None,
            to_json: format!("[\"{PUBLIC}\"]"),
            cc_json: format!("[\"{base}/followers\"]"),
            replies_count: 0,
            likes_count: 0,
            boosts_count: 0,
            published_at: at,
            edited_at: None,
            deleted_at: None,
            created_at: at,
            updated_at: at,
            written_by_user_id: None,
            reblog_of_id: None,
            audience: None,
        });
        if batch.len() == BATCH || i + 1 == count {
            kuvend::transaction!(ctx.db, |q| q.insert_posts(&batch).await)?;
            batch.clear();
        }
    }
    Ok(())
}
