//! The HTTP client for every outgoing request (fetches and deliveries). Its DNS
//! resolver refuses non-public addresses unless the operator allows them, and
//! it checks the addresses it actually connects to, so a name that resolves to
//! a public address once and to 127.0.0.1 the next time (DNS rebinding) is
//! still refused.

use crate::config::FederationSettings;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::{
    collections::BTreeMap,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

/// An error of an outgoing request with its causes, `a: b: c`: reqwest's
/// own message ("error sending request") names none of them.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The `User-Agent` of every request kuvend makes.
pub fn user_agent(base_url: &str) -> String {
    format!("kuvend/{} (+{base_url})", env!("CARGO_PKG_VERSION"))
}

struct CheckedResolver {
    overrides: BTreeMap<String, IpAddr>,
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let fixed = self.overrides.get(&host).copied();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match fixed {
                Some(ip) => vec![SocketAddr::new(ip, 0)],
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            if !allow_private {
                if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                    return Err(
                        format!("{host} resolves to non-public address {}", bad.ip()).into(),
                    );
                }
            }
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Checks a URL whose host is an IP address literal, which never reaches the
/// resolver: it must be public unless private addresses are allowed.
pub fn check_literal_address(url: &url::Url, allow_private: bool) -> Result<(), String> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(format!("{ip} is not a public address"))
    }
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local, CGNAT (100.64/10), NAT64 (64:ff9b::/96), site-local
/// (fec0::/10), unspecified, multicast, documentation or reserved, and not an
/// IPv6 form that embeds a non-public IPv4 address (IPv4-mapped
/// `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, 6to4 `2002:aabb:ccdd::`).
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_multicast()
        || v4.is_documentation()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || a == 0
        || (a == 100 && (b & 0xc0) == 64)
        || (a == 192 && b == 0 && v4.octets()[2] == 0)
        || (a == 198 && (b & 0xfe) == 18)
        || a >= 240)
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    if s[0] == 0x64 && s[1] == 0xff9b {
        // NAT64 reaches IPv4 space through a gateway: never a public peer of ours.
        return false;
    }
    let embedded = |high: u16, low: u16| {
        Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
    };
    // The deprecated IPv4-compatible form (`::a.b.c.d`, not `::` or `::1`)
    // reaches the IPv4 address it embeds on some stacks.
    if s[..6].iter().all(|&x| x == 0) && !(v6.is_loopback() || v6.is_unspecified()) {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // 6to4 (2002::/16) tunnels to the IPv4 address in its next 32 bits.
    if s[0] == 0x2002 && !is_public_v4(embedded(s[1], s[2])) {
        return false;
    }
    !(v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed privately)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || s[0] == 0x0100) // discard prefix
}

/// Builds the client. It follows no redirects by itself: a delivery that is
/// redirected has failed, and fetches follow a redirect explicitly (checked
/// again like any URL).
pub fn build(settings: &FederationSettings, base_url: &str) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(user_agent(base_url))
        .timeout(Duration::from_secs(settings.request_timeout_secs))
        .connect_timeout(Duration::from_secs(settings.request_timeout_secs.min(5)))
        .redirect(reqwest::redirect::Policy::none())
        // HTTP_PROXY and friends would send every request, checked or not, to
        // whatever the environment names: kuvend connects directly.
        .no_proxy()
        // A fan-out opens connections to many instances at once; idle ones
        // (each with its buffers) are not kept long, or a burst's memory
        // stays for minutes (`kuvend-bench`, memory).
        .pool_idle_timeout(Duration::from_secs(15))
        .pool_max_idle_per_host(4)
        .dns_resolver(Arc::new(CheckedResolver {
            overrides: settings.host_overrides.clone(),
            allow_private: settings.allow_private_addresses,
        }))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for addr in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "64:ff9b::7f00:1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::192.168.1.1",
            "fec0::1",
            "fed0:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2002:a00:1::",
            "64:ff9b::10.0.0.1",
        ] {
            assert!(
                !is_public(addr.parse().unwrap()),
                "{addr} counted as public"
            );
        }
        for addr in [
            "93.184.215.14",
            "2606:4700::1111",
            "1.1.1.1",
            "::1.1.1.1",
            "2002:101:101::1",
        ] {
            assert!(
                is_public(addr.parse().unwrap()),
                "{addr} counted as private"
            );
        }
    }
}
