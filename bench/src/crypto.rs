//! The signature crypto on its own, one core: the aws-lc-rs path kuvend uses
//! against the pure-Rust `rsa` crate that activitypub_federation uses,
//! measured in the same run.

use aws_lc_rs::signature::RsaKeyPair;
use kuvend::federation::signatures;
use rsa::{
    Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey,
    pkcs8::{DecodePrivateKey, DecodePublicKey},
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant, SystemTime};

/// One measured rate.
#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub name: String,
    pub per_second: f64,
    pub iterations: u64,
}

/// Runs `op` for about `budget` and returns operations per second.
fn rate(name: &str, budget: Duration, mut op: impl FnMut()) -> Rate {
    // Warm up caches and lazy initialisation outside the measured time.
    for _ in 0..3 {
        op();
    }
    let start = Instant::now();
    let mut iterations = 0u64;
    // At least one run, so that a zero budget still measures something.
    loop {
        op();
        iterations += 1;
        if start.elapsed() >= budget {
            break;
        }
    }
    Rate {
        name: name.into(),
        per_second: iterations as f64 / start.elapsed().as_secs_f64(),
        iterations,
    }
}

/// Signs and verifies draft-cavage signing strings with both libraries, one core.
pub fn crypto(budget: Duration) -> anyhow::Result<Vec<Rate>> {
    let keys = activitypub_federation::http_signatures::generate_actor_keypair()?;
    let signing_string = "(request-target): post /users/ngo/inbox\nhost: cso.example\n\
                          date: Sat, 28 Nov 2026 10:00:00 GMT\n\
                          digest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let aws_key: RsaKeyPair = signatures::parse_private_key(&keys.private_key)?;
    let aws_public = signatures::parse_public_key(&keys.public_key)?;
    let rsa_key = RsaPrivateKey::from_pkcs8_pem(&keys.private_key)?;
    let rsa_public = RsaPublicKey::from_public_key_pem(&keys.public_key)?;
    let url = url::Url::parse("https://cso.example/users/ngo/inbox")?;
    let signed = signatures::sign(
        &aws_key,
        "https://a.example/users/x#main-key",
        "POST",
        &url,
        Some(b"{}"),
        SystemTime::now(),
    )?;
    let signature = signed
        .signature
        .rsplit("signature=\"")
        .next()
        .map(|s| s.trim_end_matches('"'))
        .and_then(|b64| {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).ok()
        })
        .ok_or_else(|| anyhow::anyhow!("no signature"))?;
    let mut headers = http::HeaderMap::new();
    headers.insert("host", signed.host.parse()?);
    headers.insert("date", signed.date.parse()?);
    headers.insert("digest", signed.digest.clone().unwrap_or_default().parse()?);
    headers.insert("signature", signed.signature.parse()?);
    let (_, real_string) = inbox_check(&headers)?;
    let rsa_signature = rsa_key.sign(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(real_string.as_bytes()),
    )?;
    let cache = kuvend::federation::keys::KeyCache::default();

    Ok(vec![
        rate("sign, aws-lc-rs (kuvend)", budget, || {
            let _ = signatures::sign(
                &aws_key,
                "k",
                "POST",
                &url,
                Some(signing_string.as_bytes()),
                SystemTime::now(),
            );
        }),
        rate("sign, rsa crate (baseline)", budget, || {
            let _ = rsa_key.sign(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(signing_string.as_bytes()),
            );
        }),
        rate("verify, aws-lc-rs parsed key (kuvend)", budget, || {
            let _ = signatures::verify(&aws_public, &real_string, &signature);
        }),
        rate(
            "verify, rsa crate, key parsed per request (baseline)",
            budget,
            || {
                let key = RsaPublicKey::from_public_key_pem(&keys.public_key);
                if let Ok(key) = key {
                    let _ = key.verify(
                        Pkcs1v15Sign::new::<Sha256>(),
                        &Sha256::digest(real_string.as_bytes()),
                        &rsa_signature,
                    );
                }
            },
        ),
        rate("verify, rsa crate, key parsed once", budget, || {
            let _ = rsa_public.verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(real_string.as_bytes()),
                &rsa_signature,
            );
        }),
        rate(
            "inbox check: parse header + Date + Digest + verify (kuvend)",
            budget,
            || {
                if let Ok((parsed, s)) = inbox_check(&headers) {
                    if let Ok(key) = cache.public_key(&keys.public_key) {
                        let _ = signatures::verify(&key, &s, &parsed.signature);
                    }
                }
            },
        ),
    ])
}

/// kuvend's inbox check before the signature itself: the Signature header
/// parsed, Date and Digest checked, the signing string built.
fn inbox_check(
    headers: &http::HeaderMap,
) -> anyhow::Result<(signatures::IncomingSignature, String)> {
    let parsed = signatures::parse_signature_header(headers)?;
    let signing_string = signatures::check_request(
        &parsed,
        "POST",
        "/users/ngo/inbox",
        headers,
        Some(b"{}"),
        SystemTime::now(),
    )?;
    Ok((parsed, signing_string))
}

/// Prints rates as a table, with each one's ratio to the baseline of its kind.
pub fn print_table(rates: &[Rate]) {
    println!(
        "{:<62} {:>12} {:>10}",
        "measurement (one core)", "per second", "vs rsa"
    );
    let baseline = |name: &str| {
        let kind = if name.starts_with("sign") {
            "sign, rsa crate"
        } else {
            "verify, rsa crate, key parsed per request"
        };
        rates
            .iter()
            .find(|r| r.name.starts_with(kind))
            .map(|r| r.per_second)
    };
    for r in rates {
        let ratio = baseline(&r.name)
            .map(|b| format!("{:.1}x", r.per_second / b))
            .unwrap_or_default();
        println!("{:<62} {:>12.0} {:>10}", r.name, r.per_second, ratio);
    }
}
