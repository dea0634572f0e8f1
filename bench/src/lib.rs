//! `kuvend-bench`: the performance measurements, printed as a table and
//! written as JSON. It starts everything it measures on loopback and cleans
//! up: a `kuvend serve` child process per database, sink servers standing in
//! for remote instances, and the load generator, all from this binary. It is
//! its own crate so that the server carries none of it (nor the `rsa` crate
//! it measures against).
//!
//! Parts: the signature crypto alone (`crypto`), signed `Create{Note}`s into
//! the shared inbox (`inbox`), one post to many followers (`fanout`), a
//! member's post relayed by a coalition to its followers (`relay`), and the
//! home timeline on a million statuses with inbox traffic alongside
//! (`timeline`). Every server start measures cold start and memory; seeding
//! measures storage. Each part runs on SQLite and, when a PostgreSQL server is
//! given, on PostgreSQL, and every figure is reported next to its target.
//!
//! The sinks are axum servers: they are test infrastructure, not kuvend's
//! HTTP layer.

pub mod crypto;
mod harness;
mod seed;

use anyhow::{Context, bail};
use harness::{LoadResult, ServerProcess, SigningActor, Sinks};
use kuvend::{app, config::Settings};
use serde::Serialize;
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

pub use crypto::{Rate, crypto, print_table};

/// What to measure and how big: `kuvend-bench`'s command line.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "kuvend-bench",
    about = "Measure kuvend and print a table (also written as JSON)"
)]
pub struct Options {
    /// Parts to run, comma-separated: crypto, inbox, fanout, relay,
    /// timeline, or all.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "all",
        value_parser = ["crypto", "inbox", "fanout", "relay", "timeline", "all"]
    )]
    pub parts: Vec<String>,
    /// Seconds per crypto measurement and per timed load phase.
    #[arg(long, default_value_t = 3)]
    pub seconds: u64,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench.json")]
    pub json: PathBuf,
    /// Working directory for databases, server configs, logs and cached keys.
    #[arg(long, default_value = "target/bench")]
    pub dir: PathBuf,
    /// Admin URL of a PostgreSQL server to measure on too (a new database is
    /// created on it). `scripts/with-postgres` sets KUVEND_TEST_POSTGRES_URL.
    #[arg(long, env = "KUVEND_TEST_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// The kuvend binary to measure (default: `kuvend` beside this binary).
    #[arg(long, value_name = "FILE")]
    pub server: Option<PathBuf>,
    /// Remote statuses stored for the timeline, cold-start and storage figures.
    #[arg(long, default_value_t = 1_000_000)]
    pub statuses: usize,
    /// Distinct remote actors signing inbox requests.
    #[arg(long = "actors", default_value_t = 1_000)]
    pub signing_actors: usize,
    /// Followers of each fan-out organisation.
    #[arg(long, default_value_t = 10_000)]
    pub followers: usize,
    /// Inbox requests sent as fast as the server takes them.
    #[arg(long, default_value_t = 20_000)]
    pub inbox_requests: usize,
    /// Inbox activities a second sent while the home timeline is measured.
    #[arg(long, default_value_t = 500.0)]
    pub timeline_inbox_rate: f64,
    /// Seconds to wait after the load before measuring memory again.
    #[arg(long, default_value_t = 60)]
    pub settle_seconds: u64,
}

/// The kuvend binary to measure: `--server`, or `kuvend` beside this binary
/// (both are built into the same target folder; a test binary sits one
/// folder below, in `deps/`).
fn server_binary(options: &Options) -> anyhow::Result<PathBuf> {
    if let Some(path) = &options.server {
        return Ok(path.clone());
    }
    let exe = std::env::current_exe().context("cannot find this binary")?;
    let name = format!("kuvend{}", std::env::consts::EXE_SUFFIX);
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
        .with_context(|| {
            format!(
                "no kuvend binary beside {}: build it (cargo build --release) or pass --server",
                exe.display()
            )
        })
}

impl Options {
    fn wants(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part || p == "all")
    }
}

/// A target from the performance issue.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
}

impl Target {
    fn met(self, value: f64) -> bool {
        match self {
            Target::AtMost(limit) => value <= limit,
            Target::AtLeast(floor) => value >= floor,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtMost(limit) => format!("<= {}", figure(limit)),
            Target::AtLeast(floor) => format!(">= {}", figure(floor)),
        }
    }
}

/// One figure measured on one database.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub part: &'static str,
    pub name: String,
    pub unit: &'static str,
    pub value: f64,
    pub target: Option<Target>,
    pub met: Option<bool>,
}

/// Everything measured on one database.
#[derive(Debug, Clone, Serialize)]
pub struct BackendReport {
    pub backend: &'static str,
    pub measures: Vec<Measure>,
    /// Notes worth reading beside the figures (failures, skipped parts).
    pub notes: Vec<String>,
}

impl BackendReport {
    fn add(
        &mut self,
        part: &'static str,
        name: impl Into<String>,
        unit: &'static str,
        value: f64,
        target: Option<Target>,
    ) {
        self.measures.push(Measure {
            part,
            name: name.into(),
            unit,
            value,
            target,
            met: target.map(|t| t.met(value)),
        });
    }
}

#[derive(Debug, Serialize)]
struct Report {
    machine: String,
    crypto: Vec<Rate>,
    backends: Vec<BackendReport>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.dir)
        .with_context(|| format!("cannot create {}", options.dir.display()))?;
    let budget = Duration::from_secs(options.seconds);
    let rates = if options.wants("crypto") || options.wants("inbox") {
        let rates = tokio::task::spawn_blocking(move || crypto::crypto(budget)).await??;
        print_table(&rates);
        println!();
        rates
    } else {
        Vec::new()
    };
    let verify_rate = rates
        .iter()
        .find(|r| r.name.starts_with("verify, aws-lc-rs"))
        .map(|r| r.per_second);

    let mut backends = Vec::new();
    if ["inbox", "fanout", "relay", "timeline"]
        .iter()
        .any(|p| options.wants(p))
    {
        let sinks = Sinks::start().await?;
        let keys = seed::signing_keys(
            &options.dir.join("signing-keys.json"),
            options.signing_actors.max(1),
        )?;
        let mut databases = vec![Backend::Sqlite];
        match &options.postgres {
            Some(_) => databases.push(Backend::Postgres),
            None => eprintln!(
                "NOTICE: no PostgreSQL given (--postgres or KUVEND_TEST_POSTGRES_URL): \
                 measuring SQLite only; scripts/with-postgres starts a throwaway one"
            ),
        }
        for backend in databases {
            eprintln!("== {}", backend.name());
            let report = run_backend(backend, &options, &sinks, &keys, verify_rate).await?;
            backends.push(report);
        }
        print_backends(&backends);
    }
    let report = Report {
        machine: machine(),
        crypto: rates,
        backends,
    };
    std::fs::write(&options.json, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("cannot write {}", options.json.display()))?;
    eprintln!("wrote {}", options.json.display());
    Ok(())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_default();
    format!("{cpus} CPUs, {model}")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The `[limits]` the bench's server runs with: its load comes from one
/// address at rates far above what one client may do, so every rate limit
/// is off (0); the bounds on notes stay as configured by default, as the
/// bench's notes are well within them.
const LIMITS_OFF: &str = "login_attempts_per_ip_per_minute = 0\n\
    login_attempts_per_account_per_hour = 0\n\
    registrations_per_ip_per_hour = 0\n\
    fetches_per_host_per_minute = 0\n";

/// The server's configuration file for one database.
fn write_config(
    path: &Path,
    port: u16,
    database_url: &str,
    hosts: &[String],
) -> anyhow::Result<()> {
    let mut text = format!(
        "[instance]\ndomain = \"localhost:{port}\"\nhttps = false\nregistrations = \"open\"\n\
         [http]\nbind = \"127.0.0.1:{port}\"\n\
         [database]\nurl = \"{database_url}\"\n\
         [federation]\nallow_private_addresses = true\n\
         [limits]\n{LIMITS_OFF}\
         [federation.host_overrides]\n"
    );
    for host in hosts {
        text.push_str(&format!("\"{host}\" = \"127.0.0.1\"\n"));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

async fn run_backend(
    backend: Backend,
    options: &Options,
    sinks: &Sinks,
    keys: &[kuvend::federation::signatures::Keypair],
    verify_rate: Option<f64>,
) -> anyhow::Result<BackendReport> {
    let mut report = BackendReport {
        backend: backend.name(),
        measures: Vec::new(),
        notes: Vec::new(),
    };
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    let database_url = match backend {
        Backend::Sqlite => {
            let path = std::fs::canonicalize(&options.dir)?.join(format!("bench-{stamp}.db"));
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            let admin = options.postgres.as_deref().context("no PostgreSQL")?;
            kuvend::storage::bulk::create_postgres_database(admin, &format!("kuvend_bench_{stamp}"))
                .await?
        }
    };
    let port = free_port()?;
    let base = format!("http://localhost:{port}");
    let layout = seed::Layout {
        signing_actors: options.signing_actors.max(1),
        followers: options.followers,
        follower_instances: 100.min(options.followers.max(1)),
        statuses: options.statuses,
        healthy: sinks.healthy,
        hanging: sinks.hanging,
        failing: sinks.failing,
    };
    let config = options
        .dir
        .join(format!("bench-{}.toml", backend.name().to_lowercase()));
    write_config(&config, port, &database_url, &seed::sink_hosts(&layout))?;

    eprintln!("seeding ({} statuses)", options.statuses);
    // The bench's own file only: KUVEND_* variables meant for the invoking
    // shell must not redirect the measured server (they are removed from its
    // environment too).
    let settings = Settings::load_with_env(Some(&config), std::iter::empty())?;
    let seeded = {
        let prepared = app::prepare(settings).await?;
        seed::seed(&prepared.ctx, &layout, keys).await?
    };
    if options.statuses > 0 {
        let per_100k = (seeded.bytes_after_statuses - seeded.bytes_before_statuses) as f64
            * 100_000.0
            / options.statuses as f64;
        report.add(
            "storage",
            "database MB per 100,000 stored notes",
            "MB",
            per_100k / 1e6,
            Some(Target::AtMost(250.0)),
        );
        report.add(
            "storage",
            "statuses loaded per second (bulk, for reference)",
            "/s",
            seeded.statuses_per_second,
            None,
        );
    }

    let log = options
        .dir
        .join(format!("bench-{}.log", backend.name().to_lowercase()));
    let ready = format!("/.well-known/webfinger?resource=acct:inbox@localhost:{port}");
    let (server, cold_start) =
        ServerProcess::start(&server_binary(options)?, &config, &base, &ready, &log).await?;
    report.add(
        "cold start",
        format!("process start to first 200, {} statuses", options.statuses),
        "ms",
        cold_start.as_secs_f64() * 1000.0,
        (backend == Backend::Sqlite).then_some(Target::AtMost(100.0)),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle, _) = server.memory_mib()?;
    report.add("memory", "RSS idle", "MB", idle, Some(Target::AtMost(30.0)));

    let client = harness::load_client()?;
    if options.wants("inbox") {
        inbox(
            &mut report,
            options,
            &server,
            &client,
            &seeded,
            backend,
            verify_rate,
        )
        .await?;
    }
    if options.wants("fanout") {
        fanout(&mut report, &server, &client, sinks, &seeded, &layout).await?;
    }
    if options.wants("relay") {
        relay(&mut report, &server, &client, sinks, &seeded, &layout).await?;
    }
    if options.wants("inbox") || options.wants("fanout") || options.wants("relay") {
        let (_, peak) = server.memory_mib()?;
        report.add(
            "memory",
            "RSS peak during inbox, fan-out and relay",
            "MB",
            peak,
            Some(Target::AtMost(150.0)),
        );
        tokio::time::sleep(Duration::from_secs(options.settle_seconds)).await;
        let (after, _) = server.memory_mib()?;
        report.add(
            "memory",
            format!("RSS {} s after the load", options.settle_seconds),
            "MB",
            after,
            Some(Target::AtMost(idle + 20.0)),
        );
    }
    if options.wants("timeline") {
        timeline(&mut report, options, &server, &client, &seeded).await?;
    }
    server.stop().await;
    Ok(report)
}

/// A signed `Create{Note}` of about 2 KiB, as Mastodon sends one.
fn create_note(actor: &SigningActor, tag: &str, n: usize) -> String {
    let note = format!("{}/statuses/{tag}{n}", actor.ap_id);
    let mut body = serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": actor.ap_id,
        "published": "2026-11-28T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{}/followers", actor.ap_id)],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": actor.ap_id,
            "published": "2026-11-28T10:00:00Z",
            "url": note,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{}/followers", actor.ap_id)],
            "sensitive": false,
            "content": "",
        }
    });
    let size = body.to_string().len();
    let filler = "<p>Regional networks share their monitoring of the coastal \
                  wetlands; the next coalition call is open to all members.</p>";
    let content = filler.repeat((2048usize.saturating_sub(size)) / filler.len() + 1);
    body["object"]["content"] = serde_json::Value::String(content);
    body.to_string()
}

async fn sign(
    base: &str,
    actors: &[SigningActor],
    tag: &'static str,
    count: usize,
) -> anyhow::Result<Vec<harness::SignedRequest>> {
    let inbox = format!("{base}/inbox");
    let actors = actors.to_vec();
    tokio::task::spawn_blocking(move || {
        harness::sign_requests(&inbox, count, &|i| {
            let actor = &actors[i % actors.len()];
            (actor.clone(), create_note(actor, tag, i))
        })
    })
    .await?
}

fn note_failures(report: &mut BackendReport, what: &str, result: &LoadResult) {
    if result.failed > 0 {
        report.notes.push(format!(
            "{what}: {} of {} requests failed, first: {}",
            result.failed,
            result.failed + result.accepted,
            result.first_failure.as_deref().unwrap_or("?")
        ));
    }
}

async fn inbox(
    report: &mut BackendReport,
    options: &Options,
    server: &ServerProcess,
    client: &reqwest::Client,
    seeded: &seed::Seeded,
    backend: Backend,
    verify_rate: Option<f64>,
) -> anyhow::Result<()> {
    eprintln!("inbox: signing {} requests", options.inbox_requests);
    let requests = sign(
        &server.base,
        &seeded.signing_actors,
        "c",
        options.inbox_requests,
    )
    .await?;
    eprintln!("inbox: sending, 64 at a time");
    let result = harness::closed_loop(client, requests, 64).await;
    note_failures(report, "inbox, closed loop", &result);
    let rate = result.per_second();
    let target = match backend {
        Backend::Sqlite => 5_000.0,
        Backend::Postgres => 3_000.0,
    };
    report.add(
        "a. inbox",
        format!(
            "Create{{Note}} 2 KiB from {} actors, accepted/s",
            seeded.signing_actors.len()
        ),
        "/s",
        rate,
        Some(Target::AtLeast(target)),
    );
    report.add(
        "a. inbox",
        "p50 at full load",
        "ms",
        result.percentile_ms(0.5),
        None,
    );
    report.add(
        "a. inbox",
        "p99 at full load",
        "ms",
        result.percentile_ms(0.99),
        None,
    );
    if let Some(verify) = verify_rate {
        report.add(
            "a. inbox",
            "accepted/s as a share of raw verify/s (one core)",
            "x",
            rate / verify,
            None,
        );
    }
    let paced = rate * 0.8;
    let count = (paced * options.seconds as f64) as usize;
    eprintln!("inbox: signing {count} requests for {paced:.0}/s");
    let requests = sign(&server.base, &seeded.signing_actors, "o", count).await?;
    let result = harness::open_loop(client, requests, paced).await;
    note_failures(report, "inbox, 80 % rate", &result);
    report.add(
        "a. inbox",
        "p50 at 80 % of that rate",
        "ms",
        result.percentile_ms(0.5),
        None,
    );
    report.add(
        "a. inbox",
        "p99 at 80 % of that rate",
        "ms",
        result.percentile_ms(0.99),
        Some(Target::AtMost(50.0)),
    );
    Ok(())
}

async fn post_status(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    text: &str,
) -> anyhow::Result<()> {
    let response = client
        .post(format!("{base}/api/v1/statuses"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "status": text, "visibility": "public" }))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!(
            "posting failed: {} {}",
            response.status(),
            response.text().await?
        );
    }
    Ok(())
}

async fn fanout(
    report: &mut BackendReport,
    server: &ServerProcess,
    client: &reqwest::Client,
    sinks: &Sinks,
    seeded: &seed::Seeded,
    layout: &seed::Layout,
) -> anyhow::Result<()> {
    let scenarios = [
        (
            "fanshared",
            layout.follower_instances,
            format!(
                "{} followers on {} instances (shared inboxes)",
                layout.followers, layout.follower_instances
            ),
            0.5,
        ),
        (
            "fanmany",
            layout.followers,
            format!("{} separate inboxes", layout.followers),
            5.0,
        ),
        (
            "fanbad",
            layout.follower_instances,
            format!(
                "{} healthy shared inboxes + {} hanging + {} answering 500",
                layout.follower_instances,
                seed::BAD_INSTANCES,
                seed::BAD_INSTANCES
            ),
            0.5,
        ),
    ];
    for (org, expected, label, target) in scenarios {
        let token = seeded
            .org_tokens
            .iter()
            .find(|(name, _)| name == org)
            .map(|(_, t)| t.clone())
            .context("no token")?;
        sinks.clear();
        eprintln!("fan-out: {label}");
        let cpu_before = server.cpu_seconds()?;
        let started = Instant::now();
        post_status(
            client,
            &server.base,
            &token,
            "A statement from the coalition on the new NGO law.",
        )
        .await?;
        let (count, last) = sinks.wait_for(expected, Duration::from_secs(120)).await;
        let cpu = server.cpu_seconds()? - cpu_before;
        let wall = last.map_or(f64::NAN, |l| l.duration_since(started).as_secs_f64());
        if count < expected || sinks.distinct() < expected {
            report.notes.push(format!(
                "fan-out {label}: {count} of {expected} inboxes reached ({} distinct) within 120 s",
                sinks.distinct()
            ));
        }
        report.add(
            "b. fan-out",
            format!("{label}: wall time to last 2xx"),
            "s",
            wall,
            Some(Target::AtMost(target)),
        );
        report.add("b. fan-out", format!("{label}: server CPU"), "s", cpu, None);
        report.add(
            "b. fan-out",
            format!("{label}: deliveries/s"),
            "/s",
            count as f64 / wall,
            None,
        );
        // Let the worker record the last outcomes before the next scenario.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

/// The member's public `Create{Note}` of about 2 KiB addressed to a
/// coalition (in `cc` and `audience`, as Mastodon and Lemmy address a
/// group), as the coalition tests send it.
fn member_create(member: &SigningActor, coalition: &str, tag: &str) -> String {
    let note = format!("{}/statuses/{tag}", member.ap_id);
    let mut body = serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": member.ap_id,
        "published": "2026-11-28T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [coalition, format!("{}/followers", member.ap_id)],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": member.ap_id,
            "published": "2026-11-28T10:00:00Z",
            "url": note,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [coalition, format!("{}/followers", member.ap_id)],
            "audience": coalition,
            "sensitive": false,
            "content": "",
        }
    });
    let size = body.to_string().len();
    let filler = "<p>The coalition's members publish a joint statement on the \
                  new law on associations, and invite their supporters.</p>";
    let content = filler.repeat((2048usize.saturating_sub(size)) / filler.len() + 1);
    body["object"]["content"] = serde_json::Value::String(content);
    body.to_string()
}

/// Issue 14 "Measured": a remote member's post addressed to a coalition,
/// POSTed signed to the coalition's inbox, relayed by the server to the
/// coalition's 10,000 followers: on 100 shared inboxes, and on 10,000
/// separate ones. Wall time from the POST to the last 2xx at the sink,
/// beside the floor that signing once per inbox sets, measured in the same
/// run: the same number of signatures by the server's signing path, on as
/// many threads as the server's runtime has workers (one per core, tokio's
/// default; the delivery worker signs on them), while the server is idle.
async fn relay(
    report: &mut BackendReport,
    server: &ServerProcess,
    client: &reqwest::Client,
    sinks: &Sinks,
    seeded: &seed::Seeded,
    layout: &seed::Layout,
) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let scenarios = [
        (
            "relayshared",
            layout.follower_instances,
            format!(
                "{} followers on {} instances (shared inboxes)",
                layout.followers, layout.follower_instances
            ),
            0.5,
        ),
        (
            "relaymany",
            layout.followers,
            format!("{} separate inboxes", layout.followers),
            5.0,
        ),
    ];
    let member = &seeded.relay_member;
    for (name, expected, label, target) in scenarios {
        let coalition = seeded
            .relay_coalitions
            .iter()
            .find(|c| c.name == name)
            .context("no relay coalition")?;
        let body = member_create(member, &coalition.ap_id, name);
        let floor = {
            let (key, key_id, body) = (member.key.clone(), member.key_id.clone(), body.clone());
            tokio::task::spawn_blocking(move || {
                harness::signing_floor(&key, &key_id, body.as_bytes(), expected, cores)
            })
            .await??
            .as_secs_f64()
        };
        let request = {
            let (inbox, member, body) = (coalition.inbox.clone(), member.clone(), body.clone());
            tokio::task::spawn_blocking(move || {
                harness::sign_requests(&inbox, 1, &|_| (member.clone(), body.clone()))
            })
            .await??
        };
        let request = request.first().context("no signed request")?;
        sinks.clear();
        eprintln!("relay: {label}");
        let cpu_before = server.cpu_seconds()?;
        let started = Instant::now();
        harness::send(client, request)
            .await
            .map_err(|e| anyhow::anyhow!("the member's post was refused: {e}"))?;
        let (count, last) = sinks.wait_for(expected, Duration::from_secs(120)).await;
        let cpu = server.cpu_seconds()? - cpu_before;
        let wall = last.map_or(f64::NAN, |l| l.duration_since(started).as_secs_f64());
        if count < expected || sinks.distinct() < expected {
            report.notes.push(format!(
                "relay {label}: {count} of {expected} inboxes reached ({} distinct) within 120 s",
                sinks.distinct()
            ));
        }
        report.add(
            "b. relay",
            format!("{label}: member's post to last relay 2xx"),
            "s",
            wall,
            Some(Target::AtMost(target)),
        );
        report.add("b. relay", format!("{label}: server CPU"), "s", cpu, None);
        report.add(
            "b. relay",
            format!("{label}: deliveries/s"),
            "/s",
            count as f64 / wall,
            None,
        );
        report.add(
            "b. relay",
            format!("{label}: floor, {expected} signatures on {cores} cores"),
            "s",
            floor,
            None,
        );
        report.add(
            "b. relay",
            format!("{label}: wall time / floor"),
            "x",
            wall / floor,
            None,
        );
        // Let the worker record the last outcomes before the next scenario.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

/// Reads the home timeline one request after another for `duration`:
/// sorted latencies, and how many statuses the first page had.
async fn read_home(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    duration: Duration,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut latencies = Vec::new();
    let mut first_len = None;
    let ends = Instant::now() + duration;
    while Instant::now() < ends {
        let sent = Instant::now();
        let response = client.get(url).bearer_auth(token).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("home timeline answered {status}");
        }
        let statuses: Vec<serde_json::Value> = response.json().await?;
        latencies.push(sent.elapsed());
        first_len.get_or_insert(statuses.len());
    }
    latencies.sort();
    Ok((latencies, first_len.unwrap_or(0)))
}

async fn timeline(
    report: &mut BackendReport,
    options: &Options,
    server: &ServerProcess,
    client: &reqwest::Client,
    seeded: &seed::Seeded,
) -> anyhow::Result<()> {
    let per_bucket = Duration::from_secs(options.seconds);
    let url = format!("{}/api/v1/timelines/home?limit=20", server.base);
    // First alone, to separate the query's own cost from queueing under load.
    for (follows, token) in &seeded.supporter_tokens {
        let (latencies, _) = read_home(client, &url, token, per_bucket).await?;
        report.add(
            "c. timeline",
            format!("home, following {follows}, no other load: p50"),
            "ms",
            harness::percentile_ms(&latencies, 0.5),
            None,
        );
    }
    let background_rate = options.timeline_inbox_rate;
    let count = (background_rate * (per_bucket.as_secs_f64() * 3.0 + 3.0)) as usize;
    eprintln!("timeline: signing {count} background inbox requests");
    let requests = sign(&server.base, &seeded.signing_actors, "t", count).await?;
    let background = {
        let client = client.clone();
        tokio::spawn(async move { harness::open_loop(&client, requests, background_rate).await })
    };
    for (follows, token) in &seeded.supporter_tokens {
        let (latencies, first_len) = read_home(client, &url, token, per_bucket).await?;
        let label =
            format!("home, following {follows}, {background_rate} inbox activities/s alongside");
        // Statuses are spread evenly over the authors.
        let stored = (options.statuses * follows / seed::TIMELINE_AUTHORS).min(20);
        if first_len < stored {
            report.notes.push(format!(
                "{label}: a page had {first_len} statuses, not {stored}"
            ));
        }
        report.add(
            "c. timeline",
            format!("{label}: p50"),
            "ms",
            harness::percentile_ms(&latencies, 0.5),
            Some(Target::AtMost(5.0)),
        );
        report.add(
            "c. timeline",
            format!("{label}: p99"),
            "ms",
            harness::percentile_ms(&latencies, 0.99),
            Some(Target::AtMost(20.0)),
        );
    }
    let background = background.await?;
    note_failures(report, "timeline background inbox load", &background);
    report.add(
        "c. timeline",
        "background inbox load achieved",
        "/s",
        background.per_second(),
        None,
    );
    Ok(())
}

fn figure(value: f64) -> String {
    if !value.is_finite() {
        "-".into()
    } else if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// One row per figure, one column per database, with the target and whether
/// each database met it.
fn print_backends(backends: &[BackendReport]) {
    let Some(first) = backends.first() else {
        return;
    };
    print!("{:<74} {:>5}", "measurement", "unit");
    for b in backends {
        print!(" {:>11}", b.backend);
    }
    println!(" {:>10}  met", "target");
    let mut part = "";
    for (i, measure) in first.measures.iter().enumerate() {
        if measure.part != part {
            part = measure.part;
            println!("[{part}]");
        }
        print!("  {:<72} {:>5}", measure.name, measure.unit);
        let mut met = Vec::new();
        for b in backends {
            let m = b.measures.get(i).filter(|m| m.name == measure.name);
            print!(" {:>11}", m.map_or("-".into(), |m| figure(m.value)));
            if let Some(ok) = m.and_then(|m| m.met) {
                met.push(if ok { "yes" } else { "NO" });
            }
        }
        let target = measure.target.map(Target::text).unwrap_or_default();
        println!(" {target:>10}  {}", met.join("/"));
    }
    for b in backends {
        for note in &b.notes {
            println!("note ({}): {note}", b.backend);
        }
    }
}
