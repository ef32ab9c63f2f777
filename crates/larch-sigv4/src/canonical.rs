//! The canonical request and the string to sign: the exact bytes both ends
//! hash. Everything here is byte-for-byte what the AWS SDKs produce for a
//! non-S3 service (checked against the AWS signing test suite and, in a
//! property test, against the official `aws-sigv4` crate).

use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

use crate::authorization::ALGORITHM;

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is
/// percent-encoded in query keys and values.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The path keeps its slashes.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// Lowercase hex SHA-256, the form every hash takes in SigV4.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Canonical URI for a non-S3 service, from the path as it appeared on the
/// wire (still percent-encoded).
///
/// Two steps, as in the SDKs (botocore, aws-sigv4, the Java and Go SDKs):
/// 1. remove `.`/`..` segments and empty segments (RFC 3986 §5.2.4 plus
///    collapsing `//`), keeping a trailing slash;
/// 2. percent-encode the result again, so an on-the-wire `%3D` becomes
///    `%253D` ("double encoding"; only S3 skips it). Garage does the same.
///
/// CloudWatch Logs clients always send `/`, so this matters only for stray
/// clients and for the test suite.
pub(crate) fn canonical_uri(path: &str) -> String {
    utf8_percent_encode(&normalize_path(path), PATH_SET).to_string()
}

/// Step 1 of [`canonical_uri`]; a port of the `aws-sigv4` normalisation.
fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    let path: Cow<'_, str> = if path.starts_with('/') { Cow::Borrowed(path) } else { Cow::Owned(format!("/{path}")) };
    if !(path.contains('.') || path.contains("//")) {
        return path;
    }
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            s => kept.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for s in &kept {
        out.push('/');
        out.push_str(s);
    }
    let trailing = ["/", "/.", "/./", "/..", "/../"].iter().any(|t| path.ends_with(t));
    if out.is_empty() || (trailing && !out.ends_with('/')) {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Split a raw query string into percent-decoded `(key, value)` pairs, the
/// way `application/x-www-form-urlencoded` is read (so `+` is a space):
/// that is what the official SDK signer does before re-encoding.
/// A bare `key` yields an empty value; empty pieces (`a&&b`) are dropped.
pub(crate) fn parse_query(raw: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> Vec<u8> {
    let plus_as_space: Cow<'_, str> = if s.contains('+') { Cow::Owned(s.replace('+', " ")) } else { Cow::Borrowed(s) };
    // Malformed escapes (`%zz`) are kept literally, like form_urlencoded.
    percent_decode(plus_as_space.as_bytes()).collect()
}

/// Canonical query string: every pair re-encoded with the strict set,
/// sorted by encoded key then encoded value, joined with `&`. Keys equal to
/// `exclude` (the presigned `X-Amz-Signature`) are left out.
pub(crate) fn canonical_query(pairs: &[(Vec<u8>, Vec<u8>)], exclude: Option<&str>) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| exclude.is_none_or(|x| k.as_slice() != x.as_bytes()))
        .map(|(k, v)| (encode_query_part(k), encode_query_part(v)))
        .collect();
    encoded.sort();
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

fn encode_query_part(b: &[u8]) -> String {
    percent_encoding::percent_encode(b, QUERY_SET).to_string()
}

/// Canonical header value: leading/trailing spaces trimmed, runs of spaces
/// collapsed to one. Only spaces, as the SigV4 spec and the SDKs do; header
/// values are handled as bytes since HTTP allows obs-text.
fn push_normalized_value(out: &mut Vec<u8>, value: &[u8]) {
    let start = value.iter().position(|&b| b != b' ');
    let end = value.iter().rposition(|&b| b != b' ');
    let (Some(start), Some(end)) = (start, end) else {
        return;
    };
    let mut prev_space = false;
    for &b in &value[start..=end] {
        if b == b' ' {
            if prev_space {
                continue;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
        out.push(b);
    }
}

/// The parts of a request that go into the canonical request.
pub(crate) struct CanonicalInput<'a> {
    pub method: &'a str,
    pub canonical_uri: &'a str,
    pub canonical_query: &'a str,
    pub headers: &'a HeaderMap,
    /// Header names in the order of `SignedHeaders`.
    pub signed_headers: &'a [String],
    /// Values that are part of the signature but not (yet) in `headers`:
    /// the signer adds `host`, `x-amz-date`, `x-amz-security-token`.
    pub extra_headers: &'a [(&'a str, &'a [u8])],
    pub payload_hash: &'a str,
}

/// Build the canonical request bytes:
///
/// ```text
/// METHOD \n URI \n QUERY \n (name:values \n)* \n name;name... \n PAYLOAD-HASH
/// ```
///
/// Multiple values of one header are joined with `,` in the order received.
/// A signed header that is absent contributes `name:` with an empty value
/// (it can then only match a signer that signed it empty).
pub(crate) fn canonical_request(input: &CanonicalInput<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(input.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.canonical_uri.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.canonical_query.as_bytes());
    out.push(b'\n');
    for name in input.signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut first = true;
        let extra = input.extra_headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
        // `get_all` with a &str never panics: an invalid name finds nothing.
        let values = input.headers.get_all(name.as_str()).iter().map(http::HeaderValue::as_bytes).chain(extra);
        for v in values {
            if !first {
                out.push(b',');
            }
            first = false;
            push_normalized_value(&mut out, v);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    for (i, name) in input.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(input.payload_hash.as_bytes());
    out
}

/// `AWS4-HMAC-SHA256 \n AMZ-DATE \n SCOPE \n hex(sha256(canonical request))`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_normalisation_and_double_encoding() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/./example"), "/example");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/example/.."), "/");
        assert_eq!(canonical_uri("/example/../.."), "/");
        assert_eq!(canonical_uri("/a/b/../c/."), "/a/c/");
        assert_eq!(canonical_uri("/-._~"), "/-._~");
        assert_eq!(canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"), "/test/%40connections/JBDvjfGEIAMCERw%253D");
        assert_eq!(canonical_uri("/ሴ"), "/%E1%88%B4");
        assert_eq!(canonical_uri("no-slash"), "/no-slash");
    }

    #[test]
    fn query_sorting_and_encoding() {
        let q = |raw: &str| canonical_query(&parse_query(raw), None);
        assert_eq!(q(""), "");
        assert_eq!(q("b=2&a=1"), "a=1&b=2");
        assert_eq!(q("a=2&a=1"), "a=1&a=2");
        assert_eq!(q("Param1=value1&Param1=Value1"), "Param1=Value1&Param1=value1");
        assert_eq!(q("a"), "a=");
        assert_eq!(q("a&&b="), "a=&b=");
        assert_eq!(q("k=a+b%20c"), "k=a%20b%20c");
        assert_eq!(q("k=%2B"), "k=%2B");
        assert_eq!(q("k=x=y"), "k=x%3Dy");
        assert_eq!(q("%zz=1"), "%25zz=1");
        assert_eq!(q("ሴ=bar"), "%E1%88%B4=bar");
        assert_eq!(canonical_query(&parse_query("a=1&X-Amz-Signature=ff"), Some("X-Amz-Signature")), "a=1");
    }

    #[test]
    fn header_value_trimming() {
        let norm = |v: &[u8]| {
            let mut out = Vec::new();
            push_normalized_value(&mut out, v);
            out
        };
        assert_eq!(norm(b"  a   b   c  "), b"a b c");
        assert_eq!(norm(b"\"a   b   c\""), b"\"a b c\"");
        assert_eq!(norm(b"   "), b"");
        assert_eq!(norm(b"a\tb"), b"a\tb");
        assert_eq!(norm(b"\xff  \xfe"), b"\xff \xfe");
    }

    #[test]
    fn canonical_request_layout() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().expect("valid"));
        headers.append("my-header1", "value2".parse().expect("valid"));
        headers.append("my-header1", "value1".parse().expect("valid"));
        let signed = vec!["host".to_owned(), "my-header1".to_owned(), "x-amz-date".to_owned()];
        let creq = canonical_request(&CanonicalInput {
            method: "GET",
            canonical_uri: "/",
            canonical_query: "",
            headers: &headers,
            signed_headers: &signed,
            extra_headers: &[("x-amz-date", b"20150830T123600Z")],
            payload_hash: &sha256_hex(b""),
        });
        assert_eq!(
            String::from_utf8(creq).expect("utf8"),
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value1\n\
             x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
