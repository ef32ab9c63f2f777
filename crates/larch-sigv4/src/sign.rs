//! Client side: sign a request the way the AWS SDKs do, for larch's own CLI
//! talking to larch or to real AWS.

use http::{HeaderName, HeaderValue};
use time::OffsetDateTime;

use crate::canonical::{
    CanonicalInput, canonical_query, canonical_request, canonical_uri, parse_query, sha256_hex, string_to_sign,
};
use crate::datetime::format_amz_date;
use crate::signing_key::{derive_signing_key, signature_hex};
use crate::{Credentials, RequestParts};

/// Headers the SDKs never sign: they are computed by signing itself or are
/// routinely rewritten by proxies (same list as `aws-sigv4`'s default).
const UNSIGNED_HEADERS: [&str; 4] = ["authorization", "user-agent", "x-amzn-trace-id", "transfer-encoding"];

/// Why [`try_sign`] could not produce headers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// An access key id, session token or host contains bytes that cannot
    /// appear in an HTTP header.
    #[error("{0} contains characters not allowed in an HTTP header")]
    InvalidHeaderValue(&'static str),
}

/// Sign `req` and return the headers to add to it: `authorization`,
/// `x-amz-date`, `x-amz-security-token` when `creds` has a session token,
/// and `host` when `req.headers` has none and `req.path` is in absolute form
/// (`https://host:port/path`). Use `insert` (not `append`) when applying
/// them: they replace any earlier values.
///
/// Every header in `req.headers` is signed, except `authorization`,
/// `user-agent`, `x-amzn-trace-id` and `transfer-encoding`. `host` must be
/// in `req.headers` or derivable from an absolute `req.path`, and must be
/// exactly what the HTTP client will send (default ports omitted), or the
/// server will reject the signature.
///
/// The body is hashed unless `req.headers` has `x-amz-content-sha256`, whose
/// value is then used as the payload hash.
///
/// Returns an empty list if a credential or the host contains bytes that
/// are invalid in a header; [`try_sign`] says which.
pub fn sign(
    req: &RequestParts<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    now: OffsetDateTime,
) -> Vec<(HeaderName, HeaderValue)> {
    try_sign(req, creds, region, service, now).unwrap_or_default()
}

/// [`sign`], reporting invalid credentials instead of returning nothing.
pub fn try_sign(
    req: &RequestParts<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    now: OffsetDateTime,
) -> Result<Vec<(HeaderName, HeaderValue)>, SignError> {
    let (path, host_from_uri) = split_absolute_form(req.path);
    let amz_date = format_amz_date(now);
    let date = amz_date.get(..8).unwrap_or_default();

    // Headers the signature adds on top of the request's own.
    let mut added: Vec<(HeaderName, HeaderValue)> = Vec::new();
    if !req.headers.contains_key(http::header::HOST)
        && let Some(host) = host_from_uri
    {
        added.push((
            http::header::HOST,
            HeaderValue::from_str(&host).map_err(|_| SignError::InvalidHeaderValue("host"))?,
        ));
    }
    added.push((
        HeaderName::from_static("x-amz-date"),
        HeaderValue::from_str(&amz_date).map_err(|_| SignError::InvalidHeaderValue("date"))?,
    ));
    if let Some(token) = &creds.session_token {
        let mut v = HeaderValue::from_str(token).map_err(|_| SignError::InvalidHeaderValue("session token"))?;
        v.set_sensitive(true);
        added.push((HeaderName::from_static("x-amz-security-token"), v));
    }

    // Signed header names: the request's (minus the never-signed ones and
    // those we replace) plus ours, sorted and deduplicated.
    let mut names: Vec<String> = req
        .headers
        .keys()
        .map(|n| n.as_str().to_owned())
        .filter(|n| !UNSIGNED_HEADERS.contains(&n.as_str()))
        .filter(|n| !added.iter().any(|(a, _)| a.as_str() == n))
        .chain(added.iter().map(|(n, _)| n.as_str().to_owned()))
        .collect();
    names.sort();
    names.dedup();

    // The request's values for the headers we replace must not be mixed in:
    // hand the canonicaliser a map without them.
    let mut headers = req.headers.clone();
    for (name, _) in &added {
        headers.remove(name);
    }
    let extra: Vec<(&str, &[u8])> = added.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();

    let body_hash;
    let payload_hash = match req.headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok()) {
        Some(h) => h,
        None => {
            body_hash = sha256_hex(req.body);
            body_hash.as_str()
        }
    };

    let creq = canonical_request(&CanonicalInput {
        method: req.method.as_str(),
        canonical_uri: &canonical_uri(path),
        canonical_query: &canonical_query(&parse_query(req.query), None),
        headers: &headers,
        signed_headers: &names,
        extra_headers: &extra,
        payload_hash,
    });
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sts = string_to_sign(&amz_date, &scope, &creq);
    let key = derive_signing_key(&creds.secret_access_key, date, region, service);
    let signature = signature_hex(&key, &sts);

    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        creds.access_key_id,
        names.join(";")
    );
    let mut authorization =
        HeaderValue::from_str(&authorization).map_err(|_| SignError::InvalidHeaderValue("access key id"))?;
    authorization.set_sensitive(true);

    let mut out = Vec::with_capacity(added.len() + 1);
    out.push((http::header::AUTHORIZATION, authorization));
    out.extend(added);
    Ok(out)
}

/// `https://host:443/p?q` → (`/p`, Some(`host`)); a plain path is returned
/// as is. The query part is dropped: it is passed separately. Default ports
/// are left out of the host, as HTTP clients do when they write `Host`.
fn split_absolute_form(path: &str) -> (&str, Option<String>) {
    let (rest, default_port) = if let Some(r) = path.strip_prefix("https://") {
        (r, ":443")
    } else if let Some(r) = path.strip_prefix("http://") {
        (r, ":80")
    } else {
        return (path, None);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // userinfo is never part of Host
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = authority.strip_suffix(default_port).unwrap_or(authority);
    let tail_end = tail.find(['?', '#']).unwrap_or(tail.len());
    (&tail[..tail_end], Some(host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_form() {
        assert_eq!(
            split_absolute_form("https://logs.us-east-1.amazonaws.com/"),
            ("/", Some("logs.us-east-1.amazonaws.com".to_owned()))
        );
        assert_eq!(split_absolute_form("http://localhost:4588"), ("", Some("localhost:4588".to_owned())));
        assert_eq!(split_absolute_form("http://h:80/a/b?x=1"), ("/a/b", Some("h".to_owned())));
        assert_eq!(split_absolute_form("https://u:p@h:8443/"), ("/", Some("h:8443".to_owned())));
        assert_eq!(split_absolute_form("/x"), ("/x", None));
    }
}
