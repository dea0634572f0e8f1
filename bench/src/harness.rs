//! The moving parts of the benchmark: a kuvend server in its own process
//! (so that its memory and CPU time are its own), sink servers that stand in
//! for remote instances, and a load generator that sends pre-signed inbox
//! requests, closed-loop or at a fixed rate.

use anyhow::{Context, bail};
use axum::{Router, extract::State, http::StatusCode};
use kuvend::federation::signatures;
use std::{
    net::SocketAddr,
    path::Path,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};
use tokio::{net::TcpListener, process::Child};

/// A `kuvend serve` child process.
pub struct ServerProcess {
    child: Child,
    pid: u32,
    pub base: String,
}

impl ServerProcess {
    /// Starts `kuvend --config CONFIG serve` and waits for the first 200 on
    /// `ready_path`; returns the process and the time from spawn to that 200.
    pub async fn start(
        exe: &Path,
        config: &Path,
        base: &str,
        ready_path: &str,
        log: &Path,
    ) -> anyhow::Result<(ServerProcess, Duration)> {
        let log = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let client = reqwest::Client::new();
        let url = format!("{base}{ready_path}");
        let started = Instant::now();
        let mut command = tokio::process::Command::new(exe);
        // Its configuration is the file alone (see bench::run_backend).
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("KUVEND_")) {
            command.env_remove(name);
        }
        let mut child = command
            .arg("--config")
            .arg(config)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("cannot start kuvend serve")?;
        let pid = child.id().context("the server exited at once")?;
        loop {
            if let Ok(response) = client.get(&url).send().await {
                if response.status() == reqwest::StatusCode::OK {
                    break;
                }
            }
            if let Some(status) = child.try_wait()? {
                bail!("the server exited with {status}; see its log");
            }
            if started.elapsed() > Duration::from_secs(120) {
                bail!("the server did not answer {url} within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let elapsed = started.elapsed();
        Ok((
            ServerProcess {
                child,
                pid,
                base: base.to_string(),
            },
            elapsed,
        ))
    }

    /// Resident memory now and its peak so far, in MiB (VmRSS, VmHWM).
    pub fn memory_mib(&self) -> anyhow::Result<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let field = |name: &str| -> anyhow::Result<f64> {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .with_context(|| format!("no {name} in /proc/PID/status"))?;
            let kib: f64 = line
                .split_whitespace()
                .nth(1)
                .context("malformed /proc/PID/status")?
                .parse()?;
            Ok(kib / 1024.0)
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// CPU seconds (user + system) the process has used so far.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // Fields after the command name, which is in parentheses and may
        // contain spaces: state is the first, utime the 12th, stime the 13th.
        let rest = stat
            .rsplit_once(") ")
            .context("malformed /proc/PID/stat")?
            .1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = fields.get(11).context("no utime")?.parse::<f64>()?
            + fields.get(12).context("no stime")?.parse::<f64>()?;
        // Linux reports in USER_HZ, 100 on every architecture kuvend runs on.
        Ok(ticks / 100.0)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// What the healthy sink received: when, on which host, at which path.
pub type Received = Arc<Mutex<Vec<(Instant, String)>>>;

/// Stand-ins for remote instances on loopback: one that answers 202 and
/// records each request, one that accepts connections and never answers, and
/// one that answers 500.
pub struct Sinks {
    pub healthy: SocketAddr,
    pub hanging: SocketAddr,
    pub failing: SocketAddr,
    pub received: Received,
}

impl Sinks {
    pub async fn start() -> anyhow::Result<Sinks> {
        let received: Received = Arc::default();
        let healthy = TcpListener::bind("127.0.0.1:0").await?;
        let healthy_addr = healthy.local_addr()?;
        let app = Router::new()
            .fallback(
                |State(received): State<Received>, request: axum::extract::Request| async move {
                    let host = request
                        .headers()
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let entry = format!("{host}{}", request.uri().path());
                    if let Ok(mut r) = received.lock() {
                        r.push((Instant::now(), entry));
                    }
                    StatusCode::ACCEPTED
                },
            )
            .with_state(received.clone());
        tokio::spawn(async move {
            let _ = axum::serve(healthy, app).await;
        });

        let hanging = TcpListener::bind("127.0.0.1:0").await?;
        let hanging_addr = hanging.local_addr()?;
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = hanging.accept().await {
                held.push(stream);
            }
        });

        let failing = TcpListener::bind("127.0.0.1:0").await?;
        let failing_addr = failing.local_addr()?;
        let app = Router::new().fallback(|| async { StatusCode::INTERNAL_SERVER_ERROR });
        tokio::spawn(async move {
            let _ = axum::serve(failing, app).await;
        });
        Ok(Sinks {
            healthy: healthy_addr,
            hanging: hanging_addr,
            failing: failing_addr,
            received,
        })
    }

    pub fn clear(&self) {
        if let Ok(mut r) = self.received.lock() {
            r.clear();
        }
    }

    /// Waits until `expected` requests have arrived (or `timeout` passes) and
    /// returns how many arrived and when the last of them did.
    pub async fn wait_for(&self, expected: usize, timeout: Duration) -> (usize, Option<Instant>) {
        let deadline = Instant::now() + timeout;
        loop {
            let (count, last) = match self.received.lock() {
                Ok(r) => (r.len(), r.iter().map(|(at, _)| *at).max()),
                Err(_) => (0, None),
            };
            if count >= expected || Instant::now() > deadline {
                return (count, last);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// How many distinct host+path pairs were received.
    pub fn distinct(&self) -> usize {
        self.received
            .lock()
            .map(|r| {
                r.iter()
                    .map(|(_, e)| e.as_str())
                    .collect::<std::collections::HashSet<_>>()
                    .len()
            })
            .unwrap_or(0)
    }
}

/// A remote actor the load generator signs as.
#[derive(Clone)]
pub struct SigningActor {
    pub ap_id: String,
    pub key_id: String,
    pub key: Arc<aws_lc_rs::signature::RsaKeyPair>,
}

/// An inbox POST, signed in advance so that signing does not load the
/// machine while the server is measured.
pub struct SignedRequest {
    url: String,
    date: String,
    digest: String,
    signature: String,
    body: axum::body::Bytes,
}

/// Signs `count` inbox requests on all cores; `body(i)` gives request i's
/// signer and body.
pub fn sign_requests(
    inbox: &str,
    count: usize,
    body: &(dyn Fn(usize) -> (SigningActor, String) + Sync),
) -> anyhow::Result<Vec<SignedRequest>> {
    let url = url::Url::parse(inbox)?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicUsize::new(0);
    let signed: Mutex<Vec<(usize, SignedRequest)>> = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return;
                    }
                    let (actor, text) = body(i);
                    let Ok(headers) = signatures::sign(
                        &actor.key,
                        &actor.key_id,
                        "POST",
                        &url,
                        Some(text.as_bytes()),
                        SystemTime::now(),
                    ) else {
                        continue;
                    };
                    let request = SignedRequest {
                        url: inbox.to_string(),
                        date: headers.date,
                        digest: headers.digest.unwrap_or_default(),
                        signature: headers.signature,
                        body: text.into(),
                    };
                    if let Ok(mut s) = signed.lock() {
                        s.push((i, request));
                    }
                }
            });
        }
    });
    let mut signed = signed
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a signing thread panicked"))?;
    if signed.len() != count {
        bail!("signed {} of {count} requests", signed.len());
    }
    signed.sort_by_key(|(i, _)| *i);
    Ok(signed.into_iter().map(|(_, r)| r).collect())
}

/// The time to sign `count` deliveries on `threads` cores at once, each as
/// kuvend's delivery worker signs one (`signatures::sign` over a POST with
/// a digest of `body`, aws-lc-rs): the least time a fan-out to `count`
/// inboxes can take when each inbox gets its own signature.
pub fn signing_floor(
    key: &aws_lc_rs::signature::RsaKeyPair,
    key_id: &str,
    body: &[u8],
    count: usize,
    threads: usize,
) -> anyhow::Result<Duration> {
    let url = url::Url::parse("http://h0.bench/inbox")?;
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    let signed =
                        signatures::sign(key, key_id, "POST", &url, Some(body), SystemTime::now());
                    if signed.is_err() {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    if failed.load(Ordering::Relaxed) > 0 {
        bail!("signing failed while measuring the floor");
    }
    Ok(elapsed)
}

/// What a load run came to.
#[derive(Debug, Default)]
pub struct LoadResult {
    pub accepted: usize,
    pub failed: usize,
    pub first_failure: Option<String>,
    pub elapsed: Duration,
    /// Sorted.
    pub latencies: Vec<Duration>,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-quantile latency in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies, p)
    }

    fn from_outcomes(outcomes: Vec<(Result<(), String>, Duration)>, elapsed: Duration) -> Self {
        let mut result = LoadResult {
            elapsed,
            ..LoadResult::default()
        };
        for (outcome, latency) in outcomes {
            match outcome {
                Ok(()) => result.accepted += 1,
                Err(reason) => {
                    result.failed += 1;
                    result.first_failure.get_or_insert(reason);
                }
            }
            result.latencies.push(latency);
        }
        result.latencies.sort();
        result
    }
}

/// The `p`-quantile of sorted latencies, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// An HTTP client for load: plain HTTP/1.1 on loopback, many idle connections.
pub fn load_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// Sends one signed request; `Err` says what the server answered.
pub async fn send(client: &reqwest::Client, request: &SignedRequest) -> Result<(), String> {
    let response = client
        .post(&request.url)
        .header("content-type", "application/activity+json")
        .header("date", &request.date)
        .header("digest", &request.digest)
        .header("signature", &request.signature)
        .body(request.body.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
    }
}

/// Sends every request with `concurrency` in flight at all times: the
/// highest rate the server sustains.
pub async fn closed_loop(
    client: &reqwest::Client,
    requests: Vec<SignedRequest>,
    concurrency: usize,
) -> LoadResult {
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, requests, next) = (client.clone(), requests.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = requests.get(i) else {
                    return outcomes;
                };
                let sent = Instant::now();
                let outcome = send(&client, request).await;
                outcomes.push((outcome, sent.elapsed()));
            }
        }));
    }
    let mut outcomes = Vec::new();
    for worker in workers {
        if let Ok(mut done) = worker.await {
            outcomes.append(&mut done);
        }
    }
    LoadResult::from_outcomes(outcomes, started.elapsed())
}

/// Sends the requests at `rate` per second whatever the answers, each timed
/// from when it was due (so a stalled server shows in the latencies instead
/// of slowing the sender).
pub async fn open_loop(
    client: &reqwest::Client,
    requests: Vec<SignedRequest>,
    rate: f64,
) -> LoadResult {
    let started = Instant::now();
    let mut in_flight = Vec::with_capacity(requests.len());
    for (i, request) in requests.into_iter().enumerate() {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let client = client.clone();
        in_flight.push(tokio::spawn(async move {
            let outcome = send(&client, &request).await;
            (outcome, due.elapsed())
        }));
    }
    let mut outcomes = Vec::with_capacity(in_flight.len());
    for request in in_flight {
        if let Ok(done) = request.await {
            outcomes.push(done);
        }
    }
    LoadResult::from_outcomes(outcomes, started.elapsed())
}
