//! Incoming RFC 9421 HTTP Message Signatures (`Signature-Input`, `Signature`)
//! with RFC 9530 `Content-Digest`, as Mastodon (4.4 and later) verifies them
//! and Fedify, WordPress and Mastodon itself send them.
//!
//! Only what the fediverse uses is accepted: one signature, RSASSA-PKCS1-v1_5
//! with SHA-256 (`alg="rsa-v1_5-sha256"` or no `alg`), a required `created`,
//! and covered components that bind the signature to this request: `@method`,
//! `@target-uri` (or `@authority` with `@path`, and `@query` when there is a
//! query), and `content-digest` for a request with a body. The result is the
//! same [`IncomingSignature`] and string to verify as for draft-cavage, so the
//! inbox checks the key and its owner the same way for both.
//!
//! Structured fields (RFC 8941) are parsed by the `sfv` crate, and the
//! `@signature-params` line is its canonical serialisation of the parsed
//! inner list, as RFC 9421 §2.3 defines it.

use super::{IncomingSignature, SignatureError};
use aws_lc_rs::digest;
use http::HeaderMap;
use sfv::{BareItem, Dictionary, InnerList, ListEntry, ListSerializer, Parser, Version};
use std::time::SystemTime;

/// The only algorithm accepted: the one every fediverse RSA key is used with.
pub const ALGORITHM: &str = "rsa-v1_5-sha256";

/// An incoming request, as far as its signature is concerned.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Path and query as received.
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    /// The body of a POST; `None` for a GET.
    pub body: Option<&'a [u8]>,
    /// `https` or `http`: how clients reach this instance (`instance.https`).
    /// TLS usually ends at a reverse proxy in front of kuvend, so the
    /// configured scheme, not the connection's, is the one a sender signed
    /// in `@target-uri`.
    pub scheme: &'a str,
}

/// Whether the request carries an RFC 9421 signature rather than a
/// draft-cavage one: only RFC 9421 has `Signature-Input` (Mastodon decides
/// the same way).
pub fn is_signed(headers: &HeaderMap) -> bool {
    headers.contains_key("signature-input")
}

/// Parses and checks an RFC 9421 signature: its parameters, that it covers
/// what it must, its time, and (for a body) that `Content-Digest` matches.
/// Returns the signature and its signature base, to verify with the key of
/// its `keyid`.
///
/// The `@authority` and `@target-uri` a signature covers are those of this
/// request, whose `Host` the caller requires to be our own domain: a
/// signature made for another host does not verify here.
pub fn check_request(
    request: &SignedRequest<'_>,
    now: SystemTime,
) -> Result<(IncomingSignature, String), SignatureError> {
    let (label, input, signature) = select_signature(request.headers)?;
    let components = covered_components(&input)?;
    let params = Params::read(&input)?;
    if let Some(alg) = &params.alg {
        if alg != ALGORITHM {
            return Err(SignatureError::Algorithm(alg.clone()));
        }
    }
    require_coverage(&components, request)?;
    check_time(&params, now)?;
    if let Some(body) = request.body {
        check_content_digest(request.headers, body)?;
    }
    let base = signature_base(request, &components, input)?;
    tracing::trace!(%label, "RFC 9421 signature base built");
    Ok((
        IncomingSignature {
            key_id: params.keyid,
            algorithm: params.alg,
            headers: components,
            signature,
            created: Some(params.created),
            expires: params.expires,
        },
        base,
    ))
}

/// All lines of a field, as one value (RFC 9110 §5.3).
fn combined(headers: &HeaderMap, name: &str) -> Result<Option<String>, SignatureError> {
    let mut values = Vec::new();
    for value in headers.get_all(name) {
        values.push(
            value
                .to_str()
                .map_err(|_| SignatureError::Malformed("a signature header is not ASCII"))?,
        );
    }
    Ok((!values.is_empty()).then(|| values.join(", ")))
}

fn dictionary(value: &str, what: &'static str) -> Result<Dictionary, SignatureError> {
    Parser::new(value)
        .with_version(Version::Rfc8941)
        .parse_dictionary()
        .map_err(|_| SignatureError::Malformed(what))
}

/// The signature to check: the first label of `Signature-Input` that
/// `Signature` has too. Like Mastodon, one signature is checked; a second
/// one (a proxy's, say) is not needed to accept the request.
fn select_signature(headers: &HeaderMap) -> Result<(String, InnerList, Vec<u8>), SignatureError> {
    let input = combined(headers, "signature-input")?
        .ok_or(SignatureError::Malformed("no Signature-Input"))?;
    let inputs = dictionary(&input, "Signature-Input is not a structured dictionary")?;
    // Each `Signature` line on its own: a draft-cavage line beside the RFC
    // 9421 one (not a dictionary) is left aside rather than spoiling both.
    let mut signatures = Dictionary::new();
    for line in headers.get_all("signature") {
        if let Some(parsed) = line
            .to_str()
            .ok()
            .and_then(|l| dictionary(l, "Signature").ok())
        {
            signatures.extend(parsed);
        }
    }
    for (label, entry) in &inputs {
        let Some(signature) = signatures.get(label) else {
            continue;
        };
        let ListEntry::InnerList(list) = entry else {
            return Err(SignatureError::Malformed(
                "a Signature-Input member is not an inner list",
            ));
        };
        let bytes = match signature {
            ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            ListEntry::InnerList(_) => None,
        }
        .ok_or(SignatureError::Malformed(
            "a Signature member is not a byte sequence",
        ))?;
        return Ok((label.as_str().to_string(), list.clone(), bytes.to_vec()));
    }
    Err(SignatureError::Malformed(
        "no Signature member has a label of Signature-Input",
    ))
}

/// The covered component names, in order. Components with parameters
/// (`;sf`, `;key`, `;bs`, `;req`, `;name`) are not used by fediverse
/// software and are refused rather than half understood.
fn covered_components(input: &InnerList) -> Result<Vec<String>, SignatureError> {
    let mut names: Vec<String> = Vec::with_capacity(input.items.len());
    for item in &input.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or(SignatureError::Malformed(
                "a covered component is not a string",
            ))?
            .as_str();
        if !item.params.is_empty() {
            return Err(SignatureError::Malformed(
                "component parameters are not supported",
            ));
        }
        if name.is_empty() || name != name.to_ascii_lowercase() {
            return Err(SignatureError::Malformed(
                "a covered component name is empty or not lower case",
            ));
        }
        if names.iter().any(|n| n == name) {
            return Err(SignatureError::Malformed("a component is covered twice"));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// The signature parameters kuvend reads; `nonce`, `tag` and any others are
/// covered by the signature and otherwise ignored.
struct Params {
    created: i64,
    expires: Option<i64>,
    keyid: String,
    alg: Option<String>,
}

impl Params {
    fn read(input: &InnerList) -> Result<Params, SignatureError> {
        let integer =
            |name: &str| -> Result<Option<i64>, SignatureError> {
                match input.params.get(name) {
                    None => Ok(None),
                    Some(value) => value.as_integer().map(|i| Some(i64::from(i))).ok_or(
                        SignatureError::Malformed("created and expires must be integers"),
                    ),
                }
            };
        let string = |name: &str| -> Result<Option<String>, SignatureError> {
            match input.params.get(name) {
                None => Ok(None),
                Some(BareItem::String(s)) => Ok(Some(s.as_str().to_string())),
                Some(_) => Err(SignatureError::Malformed("keyid and alg must be strings")),
            }
        };
        Ok(Params {
            created: integer("created")?.ok_or(SignatureError::Malformed("no created"))?,
            expires: integer("expires")?,
            keyid: string("keyid")?.ok_or(SignatureError::Malformed("no keyid"))?,
            alg: string("alg")?,
        })
    }
}

/// The components that tie a signature to this very request, as Mastodon
/// requires them: the method, where it was sent (scheme, host, path and
/// query) and, with a body, the body's digest.
fn require_coverage(
    components: &[String],
    request: &SignedRequest<'_>,
) -> Result<(), SignatureError> {
    let covers = |name: &str| components.iter().any(|c| c == name);
    if !covers("@method") {
        return Err(SignatureError::HeaderNotSigned("@method"));
    }
    let target = covers("@target-uri");
    let path = covers("@path") || covers("@request-target");
    let bound_to_us = target || (covers("@authority") && path);
    if !bound_to_us {
        return Err(SignatureError::HeaderNotSigned(
            "@target-uri, or @authority and @path",
        ));
    }
    let has_query = request.path_and_query.contains('?');
    if has_query && !target && !covers("@query") && !covers("@request-target") {
        return Err(SignatureError::HeaderNotSigned("@query"));
    }
    if request.body.is_some() && !covers("content-digest") {
        return Err(SignatureError::HeaderNotSigned("content-digest"));
    }
    Ok(())
}

/// `created` within [`super::MAX_CLOCK_SKEW`] of our clock either way, like a
/// draft-cavage `Date`; an `expires` in the past is refused.
fn check_time(params: &Params, now: SystemTime) -> Result<(), SignatureError> {
    super::within_clock_skew(params.created, now)?;
    if params
        .expires
        .is_some_and(|expires| expires < super::unix_secs(now))
    {
        return Err(SignatureError::Expired);
    }
    Ok(())
}

/// `Content-Digest` (RFC 9530) must carry a `sha-256` or `sha-512` of the
/// body, and every one of those it carries must match.
fn check_content_digest(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let value = combined(headers, "content-digest")?.ok_or(SignatureError::ContentDigestMissing)?;
    let digests = dictionary(&value, "Content-Digest is not a structured dictionary")?;
    let mut checked = false;
    for (name, algorithm) in [("sha-256", &digest::SHA256), ("sha-512", &digest::SHA512)] {
        let Some(entry) = digests.get(name) else {
            continue;
        };
        let expected = match entry {
            ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            ListEntry::InnerList(_) => None,
        }
        .ok_or(SignatureError::Malformed(
            "a Content-Digest member is not a byte sequence",
        ))?;
        if expected != digest::digest(algorithm, body).as_ref() {
            return Err(SignatureError::ContentDigestMismatch);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::ContentDigestMissing)
    }
}

/// The signature base (RFC 9421 §2.5): one line per covered component, then
/// the `@signature-params` line.
fn signature_base(
    request: &SignedRequest<'_>,
    components: &[String],
    input: InnerList,
) -> Result<String, SignatureError> {
    let mut base = String::new();
    for name in components {
        let value = component_value(request, name)?;
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    let mut params = ListSerializer::new();
    params.members([&ListEntry::InnerList(input)]);
    let params = params
        .finish()
        .ok_or(SignatureError::Malformed("empty Signature-Input"))?;
    base.push_str(&format!("\"@signature-params\": {params}"));
    Ok(base)
}

/// The value of one covered component in this request (RFC 9421 §2.1, §2.2).
fn component_value(request: &SignedRequest<'_>, name: &str) -> Result<String, SignatureError> {
    let (path, query) = match request.path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path_and_query, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    let authority = || -> Result<String, SignatureError> {
        request
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| SignatureError::HeaderMissing("host".into()))
    };
    Ok(match name {
        "@method" => request.method.to_string(),
        "@target-uri" => format!(
            "{}://{}{path}{}",
            request.scheme,
            authority()?,
            query.map(|q| format!("?{q}")).unwrap_or_default()
        ),
        "@authority" => authority()?,
        "@scheme" => request.scheme.to_string(),
        "@request-target" => request.path_and_query.to_string(),
        "@path" => path.to_string(),
        "@query" => format!("?{}", query.unwrap_or_default()),
        derived if derived.starts_with('@') => {
            return Err(SignatureError::Malformed(
                "unsupported derived component (only @method, @target-uri, @authority, @scheme, @request-target, @path and @query)",
            ));
        }
        field => {
            let mut values = Vec::new();
            for value in request.headers.get_all(field) {
                let value = value
                    .to_str()
                    .map_err(|_| SignatureError::Malformed("a covered field is not ASCII"))?;
                values.push(value.trim());
            }
            if values.is_empty() {
                return Err(SignatureError::HeaderMissing(field.to_string()));
            }
            values.join(", ")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use std::time::Duration;

    /// The request of RFC 9421 Appendix B.2, to example.com.
    const B2_DIGEST: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
    const B2_BODY: &[u8] = br#"{"hello": "world"}"#;
    /// `created` of the Appendix B.2 examples.
    const B2_CREATED: u64 = 1_618_884_473;

    fn b2_headers(input: &str, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in [
            ("host", "example.com"),
            ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            ("content-type", "application/json"),
            ("content-digest", B2_DIGEST),
            ("content-length", "18"),
            ("signature-input", input),
            ("signature", signature),
        ] {
            h.append(name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn b2_request(headers: &HeaderMap) -> SignedRequest<'_> {
        SignedRequest {
            method: "POST",
            path_and_query: "/foo?param=Value&Pet=dog",
            headers,
            body: Some(B2_BODY),
            scheme: "https",
        }
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    const B23_SIGNATURE: &str = "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:";

    /// Appendix B.2.3 (full coverage): the parameters, the components and
    /// the signature base exactly as the RFC prints them. (Its algorithm is
    /// RSA-PSS, which kuvend does not accept, so the example has no `alg`
    /// and only the parsing and the base are checked here.)
    #[test]
    fn rfc_9421_b_2_3_signature_base() {
        let headers = b2_headers(
            r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            B23_SIGNATURE,
        );
        let (sig, base) = check_request(&b2_request(&headers), at(B2_CREATED + 10)).unwrap();
        assert_eq!(sig.key_id, "test-key-rsa-pss");
        assert_eq!(sig.created, Some(1_618_884_473));
        assert_eq!(sig.algorithm, None);
        assert_eq!(sig.signature.len(), 256);
        assert_eq!(
            sig.headers,
            [
                "date",
                "@method",
                "@path",
                "@query",
                "@authority",
                "content-type",
                "content-digest",
                "content-length"
            ]
        );
        assert_eq!(
            base,
            [
                r#""date": Tue, 20 Apr 2021 02:07:55 GMT"#,
                r#""@method": POST"#,
                r#""@path": /foo"#,
                r#""@query": ?param=Value&Pet=dog"#,
                r#""@authority": example.com"#,
                r#""content-type": application/json"#,
                &format!(r#""content-digest": {B2_DIGEST}"#),
                r#""content-length": 18"#,
                r#""@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
            ]
            .join("\n")
        );
    }

    /// Appendix B.2.1 covers no component at all: parsed, and then refused,
    /// as it does not bind the signature to any request.
    #[test]
    fn rfc_9421_b_2_1_minimal_signature_is_refused() {
        let headers = b2_headers(
            r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
            "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
        );
        assert_eq!(
            check_request(&b2_request(&headers), at(B2_CREATED)).unwrap_err(),
            SignatureError::HeaderNotSigned("@method")
        );
    }

    /// Appendix B.2.2 covers `@query-param`, which kuvend does not support.
    #[test]
    fn rfc_9421_b_2_2_component_parameters_are_refused() {
        let headers = b2_headers(
            r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#,
            "sig-b22=:AAAA:",
        );
        assert_eq!(
            check_request(&b2_request(&headers), at(B2_CREATED)).unwrap_err(),
            SignatureError::Malformed("component parameters are not supported")
        );
    }

    /// A Mastodon-shaped signature: `@target-uri` built from the configured
    /// scheme and the request's host; `alg` optional; the B.2 body's
    /// `sha-512` Content-Digest accepted.
    #[test]
    fn target_uri_and_the_checks_on_a_mastodon_shaped_signature() {
        let input = r#"sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="https://mastodon.example/users/a#main-key";alg="rsa-v1_5-sha256""#;
        let headers = b2_headers(input, "sig1=:AAAA:");
        let (sig, base) = check_request(&b2_request(&headers), at(B2_CREATED)).unwrap();
        assert_eq!(
            sig.key_owner().unwrap().as_str(),
            "https://mastodon.example/users/a"
        );
        assert_eq!(sig.algorithm.as_deref(), Some(ALGORITHM));
        assert_eq!(
            base,
            format!(
                "\"@method\": POST\n\"@target-uri\": https://example.com/foo?param=Value&Pet=dog\n\"content-digest\": {B2_DIGEST}\n\"@signature-params\": {}",
                input.trim_start_matches("sig1=")
            )
        );
        // Too old, too far ahead, expired.
        for now in [B2_CREATED + 3601, B2_CREATED - 3601] {
            assert_eq!(
                check_request(&b2_request(&headers), at(now)).unwrap_err(),
                SignatureError::DateOutOfRange
            );
        }
        let expiring = b2_headers(
            &input.replace(";alg=", ";expires=1618884483;alg="),
            "sig1=:AAAA:",
        );
        assert!(check_request(&b2_request(&expiring), at(B2_CREATED + 5)).is_ok());
        assert_eq!(
            check_request(&b2_request(&expiring), at(B2_CREATED + 11)).unwrap_err(),
            SignatureError::Expired
        );
        // Another algorithm.
        let pss = b2_headers(
            &input.replace("rsa-v1_5-sha256", "rsa-pss-sha512"),
            "sig1=:AAAA:",
        );
        assert_eq!(
            check_request(&b2_request(&pss), at(B2_CREATED)).unwrap_err(),
            SignatureError::Algorithm("rsa-pss-sha512".into())
        );
        // A body that does not match its digest.
        let mut tampered = b2_request(&headers);
        tampered.body = Some(br#"{"hello": "World"}"#);
        assert_eq!(
            check_request(&tampered, at(B2_CREATED)).unwrap_err(),
            SignatureError::ContentDigestMismatch
        );
    }

    #[test]
    fn what_a_signature_must_cover() {
        let cases = [
            (r#"("@target-uri" "content-digest")"#, "@method"),
            (
                r#"("@method" "@path" "content-digest")"#,
                "@target-uri, or @authority and @path",
            ),
            (
                r#"("@method" "@authority" "@path" "content-digest")"#,
                "@query",
            ),
            (r#"("@method" "@target-uri")"#, "content-digest"),
        ];
        for (components, missing) in cases {
            let headers = b2_headers(
                &format!(r#"sig1={components};created=1618884473;keyid="k""#),
                "sig1=:AAAA:",
            );
            assert_eq!(
                check_request(&b2_request(&headers), at(B2_CREATED)).unwrap_err(),
                SignatureError::HeaderNotSigned(missing),
                "{components}"
            );
        }
        // With @query as well, @authority and @path do.
        let headers = b2_headers(
            r#"sig1=("@method" "@authority" "@path" "@query" "content-digest");created=1618884473;keyid="k""#,
            "sig1=:AAAA:",
        );
        assert!(check_request(&b2_request(&headers), at(B2_CREATED)).is_ok());
    }

    #[test]
    fn malformed_inputs_are_refused() {
        let good =
            r#"sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k""#;
        let cases = [
            (
                good.replace(";created=1618884473", ""),
                "sig1=:AAAA:",
                "no created",
            ),
            (good.replace(r#";keyid="k""#, ""), "sig1=:AAAA:", "no keyid"),
            (
                good.replace("created=1618884473", r#"created="1618884473""#),
                "sig1=:AAAA:",
                "created and expires must be integers",
            ),
            (
                good.replace(r#""@method""#, r#""@method" "@method""#),
                "sig1=:AAAA:",
                "a component is covered twice",
            ),
            (
                good.replace(r#""@method""#, "@method"),
                "sig1=:AAAA:",
                "Signature-Input is not a structured dictionary",
            ),
            (
                good.to_string(),
                "sig2=:AAAA:",
                "no Signature member has a label of Signature-Input",
            ),
            (
                good.to_string(),
                r#"sig1="AAAA""#,
                "a Signature member is not a byte sequence",
            ),
            (
                good.replace(r#""content-digest""#, r#""content-digest" "@status""#),
                "sig1=:AAAA:",
                "unsupported derived component (only @method, @target-uri, @authority, @scheme, @request-target, @path and @query)",
            ),
            (
                good.replace(r#""@method""#, r#""@Method""#),
                "sig1=:AAAA:",
                "a covered component name is empty or not lower case",
            ),
        ];
        for (input, signature, reason) in cases {
            let headers = b2_headers(&input, signature);
            assert_eq!(
                check_request(&b2_request(&headers), at(B2_CREATED)).unwrap_err(),
                SignatureError::Malformed(reason),
                "{input} {signature}"
            );
        }
        // A covered field the request does not have.
        let headers = b2_headers(
            &good.replace(r#""content-digest""#, r#""content-digest" "x-missing""#),
            "sig1=:AAAA:",
        );
        assert_eq!(
            check_request(&b2_request(&headers), at(B2_CREATED)).unwrap_err(),
            SignatureError::HeaderMissing("x-missing".into())
        );
        // No Content-Digest, or only a digest kuvend does not compute.
        let mut headers = b2_headers(good, "sig1=:AAAA:");
        headers.insert("content-digest", HeaderValue::from_static("md5=:AAAA:"));
        assert_eq!(
            check_request(&b2_request(&headers), at(B2_CREATED)).unwrap_err(),
            SignatureError::ContentDigestMissing
        );
    }

    /// A draft-cavage `Signature` line beside the RFC 9421 one is set aside,
    /// and the first label present in both fields is the one checked.
    #[test]
    fn picks_the_rfc_9421_signature_among_others() {
        let mut headers = b2_headers(
            r#"proxy=("@method");created=1618884473;keyid="p", sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k""#,
            "sig1=:AAAA:",
        );
        headers.append(
            "signature",
            HeaderValue::from_static(r#"keyId="k",headers="(request-target)",signature="AAAA""#),
        );
        let (sig, _) = check_request(&b2_request(&headers), at(B2_CREATED)).unwrap();
        assert_eq!(sig.key_id, "k");
    }
}
