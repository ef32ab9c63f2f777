//! Verifier behaviour on requests signed by our own signer, and every
//! rejection path. (Agreement with the official signer is tested in
//! `tests/oracle.rs` and `tests/aws_suite.rs`.)

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::{Credentials, RequestParts, SigV4Error, VerifiedRequest, Verifier, sign};

const NOW: OffsetDateTime = datetime!(2026-11-25 12:00:00 UTC);
const BODY: &[u8] = br#"{"logGroupName":"app"}"#;

fn creds() -> Credentials {
    Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    }
}

fn lookup(akid: &str) -> Option<String> {
    (akid == "AKIDEXAMPLE").then(|| creds().secret_access_key)
}

fn base_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("localhost:4588"));
    h.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
    h.insert("x-amz-target", HeaderValue::from_static("Logs_20140328.CreateLogGroup"));
    h
}

/// Headers of a request to `logs` signed at `at`.
fn signed_headers_at(at: OffsetDateTime, service: &str, creds: &Credentials) -> HeaderMap {
    let mut h = base_headers();
    let req = RequestParts { method: &Method::POST, path: "/", query: "", headers: &h, body: BODY };
    let added = sign(&req, creds, "eu-west-1", service, at);
    for (n, v) in added {
        h.insert(n, v);
    }
    h
}

fn signed() -> HeaderMap {
    signed_headers_at(NOW, "logs", &creds())
}

fn verify_with(v: &Verifier, h: &HeaderMap, body: &[u8], now: OffsetDateTime) -> Result<VerifiedRequest, SigV4Error> {
    v.verify(&RequestParts { method: &Method::POST, path: "/", query: "", headers: h, body }, now, lookup)
}

fn verify(h: &HeaderMap) -> Result<VerifiedRequest, SigV4Error> {
    verify_with(&Verifier::new("logs"), h, BODY, NOW)
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    h.insert(name, HeaderValue::from_str(value).expect("valid"));
}

fn auth(h: &HeaderMap) -> String {
    h["authorization"].to_str().expect("ascii").to_owned()
}

#[test]
fn accepts_own_signature_and_reports_scope() {
    let ok = verify(&signed()).expect("verifies");
    assert_eq!(ok.access_key_id, "AKIDEXAMPLE");
    assert_eq!(ok.region, "eu-west-1");
    assert_eq!(ok.service, "logs");
    assert_eq!(ok.signing_time, NOW);
}

#[test]
fn signs_session_token_and_verifies() {
    let mut c = creds();
    c.session_token = Some("FwoGZXIvYXdzEJr//////////wEaDH".into());
    let h = signed_headers_at(NOW, "logs", &c);
    assert!(auth(&h).contains("x-amz-security-token"));
    verify(&h).expect("verifies");
}

#[test]
fn second_verification_uses_the_cache() {
    let v = Verifier::new("logs");
    let h = signed();
    verify_with(&v, &h, BODY, NOW).expect("first");
    verify_with(&v, &h, BODY, NOW).expect("second, cached key");
    // a wrong signature with a cached key still fails
    let mut bad = h.clone();
    set(&mut bad, "x-amz-target", "Logs_20140328.DeleteLogGroup");
    assert_eq!(verify_with(&v, &bad, BODY, NOW), Err(SigV4Error::InvalidSignature));
}

#[test]
fn missing_authentication() {
    let mut h = signed();
    h.remove("authorization");
    let e = verify(&h).expect_err("no auth");
    assert_eq!(e, SigV4Error::MissingAuthentication);
    assert_eq!(e.aws_error_code(), "MissingAuthenticationTokenException");
}

#[test]
fn tampered_body_header_or_secret() {
    let h = signed();
    assert_eq!(verify_with(&Verifier::new("logs"), &h, b"{}", NOW), Err(SigV4Error::InvalidSignature));
    let mut h2 = h.clone();
    set(&mut h2, "content-type", "application/json");
    assert_eq!(verify(&h2), Err(SigV4Error::InvalidSignature));

    let mut other = creds();
    other.secret_access_key = "another-secret".into();
    let h3 = signed_headers_at(NOW, "logs", &other);
    assert_eq!(verify(&h3), Err(SigV4Error::InvalidSignature));
}

#[test]
fn unknown_access_key() {
    let mut c = creds();
    c.access_key_id = "AKIDUNKNOWN".into();
    let e = verify(&signed_headers_at(NOW, "logs", &c)).expect_err("unknown");
    assert_eq!(e, SigV4Error::UnknownAccessKey);
    assert_eq!(e.aws_error_code(), "UnrecognizedClientException");
}

#[test]
fn expired_and_future() {
    let old = signed_headers_at(NOW - Duration::from_secs(16 * 60), "logs", &creds());
    let e = verify(&old).expect_err("expired");
    assert_eq!(
        e.to_string(),
        "Signature expired: 20261125T114400Z is now earlier than 20261125T114500Z \
         (20261125T120000Z - 15 min.)"
    );
    assert_eq!(e.aws_error_code(), "InvalidSignatureException");

    let future = signed_headers_at(NOW + Duration::from_secs(16 * 60), "logs", &creds());
    let e = verify(&future).expect_err("future");
    assert_eq!(
        e.to_string(),
        "Signature not yet current: 20261125T121600Z is still later than 20261125T121500Z \
         (20261125T120000Z + 15 min.)"
    );

    // inside the window either way
    verify(&signed_headers_at(NOW - Duration::from_secs(14 * 60), "logs", &creds())).expect("ok");
    verify(&signed_headers_at(NOW + Duration::from_secs(14 * 60), "logs", &creds())).expect("ok");

    // a tighter window
    let v = Verifier::new("logs").with_clock_skew(Duration::from_secs(5 * 60));
    let e = verify_with(&v, &signed_headers_at(NOW - Duration::from_secs(6 * 60), "logs", &creds()), BODY, NOW)
        .expect_err("expired");
    assert!(e.to_string().ends_with("- 5 min.)"), "{e}");
}

#[test]
fn wrong_service() {
    let e = verify(&signed_headers_at(NOW, "monitoring", &creds())).expect_err("wrong service");
    assert_eq!(e, SigV4Error::WrongService { expected: "logs".into(), got: "monitoring".into() });
    assert_eq!(e.aws_error_code(), "InvalidSignatureException");
}

#[test]
fn scope_date_must_match_signing_date() {
    let mut h = signed();
    let a = auth(&h).replace("/20261125/", "/20261124/");
    set(&mut h, "authorization", &a);
    let e = verify(&h).expect_err("date mismatch");
    assert!(e.to_string().starts_with("Date in Credential scope does not match"), "{e}");
}

#[test]
fn host_date_and_target_must_be_signed() {
    for (drop, msg) in [
        ("host;", "'Host' or ':authority'"),
        (";x-amz-date", "'X-Amz-Date' must be"),
        (";x-amz-target", "'X-Amz-Target' must be"),
    ] {
        let mut h = signed();
        let a = auth(&h).replace(drop, "");
        assert_ne!(a, auth(&h));
        set(&mut h, "authorization", &a);
        let e = verify(&h).expect_err("unsigned required header");
        assert!(e.to_string().contains(msg), "{drop}: {e}");
        assert_eq!(e.aws_error_code(), "IncompleteSignatureException");
    }
}

#[test]
fn missing_date_header() {
    let mut h = signed();
    h.remove("x-amz-date");
    let e = verify(&h).expect_err("no date");
    assert!(e.to_string().contains("'X-Amz-Date' or a 'Date' header"), "{e}");
}

#[test]
fn malformed_authorization() {
    for bad in [
        "",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/logs/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=00",
        "AWS AKIDEXAMPLE:c2lnbmF0dXJl",
        "Bearer eyJhbGciOiJIUzI1NiJ9",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/logs/aws4_request, SignedHeaders=, Signature=00",
    ] {
        let mut h = signed();
        set(&mut h, "authorization", bad);
        let e = verify(&h).expect_err(bad);
        assert_eq!(e.aws_error_code(), "IncompleteSignatureException", "{bad}: {e}");
    }
}

#[test]
fn bad_date_format() {
    let mut h = signed();
    set(&mut h, "x-amz-date", "2026-11-25T12:00:00Z");
    let e = verify(&h).expect_err("bad date");
    assert!(e.to_string().starts_with("Date must be in ISO-8601 'basic format'"), "{e}");
}

#[test]
fn date_header_fallback() {
    // Sign with a `date` header instead of x-amz-date, by hand.
    let mut h = base_headers();
    set(&mut h, "date", "Wed, 25 Nov 2026 12:00:00 GMT");
    let signed_list = "content-type;date;host;x-amz-target";
    let sig = manual_signature(&h, signed_list, "20261125T120000Z", BODY);
    set(
        &mut h,
        "authorization",
        &format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/logs/aws4_request, SignedHeaders={signed_list}, Signature={sig}"
        ),
    );
    let ok = verify(&h).expect("Date header accepted");
    assert_eq!(ok.signing_time, NOW);
}

/// Independent, spelled-out computation of a signature (no crate internals
/// beyond the primitives), for cases our signer does not produce.
fn manual_signature(h: &HeaderMap, signed_list: &str, amz_date: &str, body: &[u8]) -> String {
    use crate::canonical::sha256_hex;
    use crate::signing_key::{derive_signing_key, signature_hex};
    let mut creq = String::from("POST\n/\n\n");
    for name in signed_list.split(';') {
        creq.push_str(&format!("{name}:{}\n", h[name].to_str().expect("ascii")));
    }
    creq.push_str(&format!("\n{signed_list}\n{}", sha256_hex(body)));
    let sts =
        format!("AWS4-HMAC-SHA256\n{amz_date}\n20261125/eu-west-1/logs/aws4_request\n{}", sha256_hex(creq.as_bytes()));
    let key = derive_signing_key(&creds().secret_access_key, "20261125", "eu-west-1", "logs");
    signature_hex(&key, &sts)
}

#[test]
fn content_sha256_header() {
    // Correct hash, signed: accepted.
    let mut h = base_headers();
    let hash = crate::canonical::sha256_hex(BODY);
    set(&mut h, "x-amz-content-sha256", &hash);
    let req = RequestParts { method: &Method::POST, path: "/", query: "", headers: &h, body: BODY };
    let added = sign(&req, &creds(), "eu-west-1", "logs", NOW);
    let mut signed = h.clone();
    for (n, v) in added {
        signed.insert(n, v);
    }
    verify(&signed).expect("matching hash");

    // Same headers, other body: signature still matches (it covers the
    // claimed hash) but the body does not.
    let e = verify_with(&Verifier::new("logs"), &signed, b"{}", NOW).expect_err("mismatch");
    assert!(e.to_string().contains("x-amz-content-sha256"), "{e}");

    // UNSIGNED-PAYLOAD: refused unless enabled.
    let mut h = base_headers();
    set(&mut h, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    let req = RequestParts { method: &Method::POST, path: "/", query: "", headers: &h, body: BODY };
    let added = sign(&req, &creds(), "eu-west-1", "logs", NOW);
    let mut signed = h.clone();
    for (n, v) in added {
        signed.insert(n, v);
    }
    assert!(verify(&signed).is_err());
    let v = Verifier::new("logs").with_unsigned_payload(true);
    verify_with(&v, &signed, b"anything", NOW).expect("unsigned payload allowed");
}

#[test]
fn only_one_mechanism_and_one_header() {
    let mut h = signed();
    let a = h["authorization"].clone();
    h.append("authorization", a);
    assert_eq!(verify(&h).expect_err("two headers").aws_error_code(), "IncompleteSignatureException");

    let h = signed();
    let e = Verifier::new("logs")
        .verify(
            &RequestParts {
                method: &Method::POST,
                path: "/",
                query: "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                headers: &h,
                body: BODY,
            },
            NOW,
            lookup,
        )
        .expect_err("both");
    assert!(e.to_string().starts_with("Only one auth mechanism"), "{e}");
}

#[test]
fn non_utf8_and_huge_inputs_do_not_panic() {
    let mut h = signed();
    h.insert("x-amz-target", HeaderValue::from_bytes(b"Logs\xff\xfe").expect("obs-text allowed"));
    assert_eq!(verify(&h), Err(SigV4Error::InvalidSignature));

    let mut h = signed();
    h.insert("authorization", HeaderValue::from_bytes(b"AWS4-HMAC-SHA256 Credential=\xff/x").expect("obs-text"));
    assert_eq!(verify(&h).expect_err("non-ascii").aws_error_code(), "IncompleteSignatureException");

    let huge = "A".repeat(1 << 20);
    let mut h = signed();
    set(
        &mut h,
        "authorization",
        &format!("AWS4-HMAC-SHA256 Credential={huge}, SignedHeaders={huge}, Signature={huge}"),
    );
    let e = verify(&h).expect_err("huge");
    assert!(e.to_string().len() < 2048, "error message is bounded");

    let mut h = signed();
    set(&mut h, "x-amz-date", &huge);
    assert!(verify(&h).is_err());
}

#[test]
fn signed_header_that_is_absent_counts_as_empty() {
    let mut h = signed();
    let a = auth(&h).replace("SignedHeaders=", "SignedHeaders=a-missing-header;");
    set(&mut h, "authorization", &a);
    assert_eq!(verify(&h), Err(SigV4Error::InvalidSignature));
}

#[test]
fn streaming_host_prefix_is_verified_as_sent() {
    let mut h = base_headers();
    set(&mut h, "host", "streaming-logs.eu-west-1.amazonaws.com");
    let req = RequestParts { method: &Method::POST, path: "/", query: "", headers: &h, body: BODY };
    for (n, v) in sign(&req, &creds(), "eu-west-1", "logs", NOW) {
        h.insert(n, v);
    }
    verify(&h).expect("verifies");
    set(&mut h, "host", "logs.eu-west-1.amazonaws.com");
    assert_eq!(verify(&h), Err(SigV4Error::InvalidSignature));
}

#[test]
fn sign_derives_host_from_absolute_url() {
    let h = HeaderMap::new();
    let req = RequestParts {
        method: &Method::POST,
        path: "https://logs.eu-west-1.amazonaws.com:443/",
        query: "",
        headers: &h,
        body: BODY,
    };
    let added = sign(&req, &creds(), "eu-west-1", "logs", NOW);
    let host = added.iter().find(|(n, _)| n == "host").map(|(_, v)| v.clone()).expect("host added");
    assert_eq!(host, "logs.eu-west-1.amazonaws.com");
    let mut signed = HeaderMap::new();
    for (n, v) in added {
        signed.insert(n, v);
    }
    verify_with(&Verifier::new("logs"), &signed, BODY, NOW).expect("verifies");
}

#[test]
fn sign_rejects_unheaderable_credentials() {
    let mut c = creds();
    c.access_key_id = "AKID\nINJECT".into();
    let h = base_headers();
    let req = RequestParts { method: &Method::POST, path: "/", query: "", headers: &h, body: BODY };
    assert!(sign(&req, &c, "eu-west-1", "logs", NOW).is_empty());
    assert!(crate::try_sign(&req, &c, "eu-west-1", "logs", NOW).is_err());
}

#[test]
fn credentials_debug_redacts() {
    let mut c = creds();
    c.session_token = Some("tok".into());
    let s = format!("{c:?}");
    assert!(!s.contains("EXAMPLEKEY") && !s.contains("tok\""), "{s}");
}

#[test]
fn presigned_own_roundtrip_and_expiry() {
    // Build a presigned query by hand with the crate's primitives.
    use crate::canonical::{canonical_query, parse_query, sha256_hex};
    use crate::signing_key::{derive_signing_key, signature_hex};
    let mut h = HeaderMap::new();
    set(&mut h, "host", "localhost:4588");
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=AKIDEXAMPLE%2F20261125%2Feu-west-1%2Flogs%2Faws4_request\
        &X-Amz-Date=20261125T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
    let creq = format!(
        "GET\n/\n{}\nhost:localhost:4588\n\nhost\n{}",
        canonical_query(&parse_query(base), None),
        sha256_hex(b"")
    );
    let sts = format!(
        "AWS4-HMAC-SHA256\n20261125T120000Z\n20261125/eu-west-1/logs/aws4_request\n{}",
        sha256_hex(creq.as_bytes())
    );
    let key = derive_signing_key(&creds().secret_access_key, "20261125", "eu-west-1", "logs");
    let query = format!("{base}&X-Amz-Signature={}", signature_hex(&key, &sts));
    let run = |now: OffsetDateTime| {
        Verifier::new("logs").verify(
            &RequestParts { method: &Method::GET, path: "/", query: &query, headers: &h, body: b"" },
            now,
            lookup,
        )
    };
    run(NOW + Duration::from_secs(59)).expect("valid within X-Amz-Expires");
    let e = run(NOW + Duration::from_secs(61)).expect_err("expired");
    assert!(e.to_string().ends_with("- 60 sec.)"), "{e}");
}
