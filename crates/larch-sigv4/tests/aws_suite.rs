//! The AWS SigV4 signing test suite (the subset in `aws-signing-test-suite/`,
//! see its NOTICE.md): every signed request must verify, both as header auth
//! and as a presigned URL; our signer must reproduce every header signature;
//! a one-character change to a signature must be rejected.

use std::path::{Path, PathBuf};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use larch_sigv4::{Credentials, RequestParts, SigV4Error, Verifier, sign};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

struct Parsed {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Parsed {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// Read a file of the suite the way aws-sigv4's harness does (trimmed).
fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
        .replace("\r\n", "\n")
        .trim()
        .to_owned()
}

/// A tiny HTTP/1.1 request parser for the suite's `.txt` files.
fn parse_request(text: &str) -> Parsed {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let method = request_line.split(' ').next().expect("method");
    let target = request_line.strip_prefix(method).and_then(|r| r.strip_suffix(" HTTP/1.1")).expect("target").trim();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("header line");
        // HTTP parsers (httparse, hyper) strip optional whitespace around values.
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value.trim_matches([' ', '\t'])).expect("header value"),
        );
    }
    Parsed {
        method: Method::from_bytes(method.as_bytes()).expect("method"),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

/// Minimal field extraction from the flat `context.json` files.
fn json_field(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at + key.len() + 2..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        Some(s[..s.find('"')?].to_owned())
    } else {
        Some(rest.split([',', '\n', '}']).next()?.trim().to_owned())
    }
}

struct Context {
    creds: Credentials,
    region: String,
    service: String,
    time: OffsetDateTime,
    omit_session_token: bool,
    sign_body: bool,
}

fn context(dir: &Path) -> Context {
    let json = read(dir, "context.json");
    let f = |k: &str| json_field(&json, k).unwrap_or_else(|| panic!("{k} in {}", dir.display()));
    Context {
        creds: Credentials {
            access_key_id: f("access_key_id"),
            secret_access_key: f("secret_access_key"),
            session_token: json_field(&json, "token"),
        },
        region: f("region"),
        service: f("service"),
        time: OffsetDateTime::parse(&f("timestamp"), &Rfc3339).expect("timestamp"),
        omit_session_token: json_field(&json, "omit_session_token").as_deref() == Some("true"),
        sign_body: json_field(&json, "sign_body").as_deref() != Some("false"),
    }
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()))
        .join("tests/aws-signing-test-suite/v4");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("suite dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("context.json").exists())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 25, "suite incomplete: {}", dirs.len());
    dirs
}

fn verify(ctx: &Context, req: &Parsed) -> Result<larch_sigv4::VerifiedRequest, SigV4Error> {
    let secret = ctx.creds.secret_access_key.clone();
    let akid = ctx.creds.access_key_id.clone();
    Verifier::new(&ctx.service).verify(&req.parts(), ctx.time, |k| (k == akid).then(|| secret.clone()))
}

#[test]
fn header_signed_requests_verify() {
    for dir in cases() {
        let ctx = context(&dir);
        let req = parse_request(&read(&dir, "header-signed-request.txt"));
        let ok = verify(&ctx, &req).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert_eq!(ok.region, ctx.region);
        assert_eq!(ok.access_key_id, ctx.creds.access_key_id);
        assert_eq!(ok.signing_time, ctx.time);
    }
}

#[test]
fn presigned_requests_verify() {
    for dir in cases() {
        let ctx = context(&dir);
        if ctx.omit_session_token {
            // The token is appended to the query *after* signing there (a
            // mode some non-Logs services use). Query auth has no list of
            // signed parameters, so the verifier takes every parameter but
            // X-Amz-Signature as signed and does not support this mode.
            continue;
        }
        let req = parse_request(&read(&dir, "query-signed-request.txt"));
        verify(&ctx, &req).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
}

#[test]
fn tampered_signatures_are_rejected() {
    for dir in cases() {
        let ctx = context(&dir);
        let mut req = parse_request(&read(&dir, "header-signed-request.txt"));
        let auth = req.headers["authorization"].to_str().expect("ascii").to_owned();
        let last = auth.chars().last().expect("non-empty");
        let flipped = if last == '0' { '1' } else { '0' };
        let tampered = format!("{}{flipped}", &auth[..auth.len() - 1]);
        req.headers.insert("authorization", tampered.parse().expect("valid"));
        assert_eq!(verify(&ctx, &req).expect_err("tampered"), SigV4Error::InvalidSignature, "{}", dir.display());
    }
}

#[test]
fn our_signer_reproduces_header_signatures() {
    for dir in cases() {
        let ctx = context(&dir);
        if ctx.omit_session_token {
            // The token is sent but deliberately left unsigned there; our
            // signer always signs it, as the SDKs do for CloudWatch Logs.
            continue;
        }
        let mut req = parse_request(&read(&dir, "request.txt"));
        if ctx.sign_body {
            let hash = hex_sha256(&req.body);
            req.headers.insert("x-amz-content-sha256", hash.parse().expect("valid"));
        }
        let added = sign(&req.parts(), &ctx.creds, &ctx.region, &ctx.service, ctx.time);
        let auth = added
            .iter()
            .find(|(n, _)| n == "authorization")
            .map(|(_, v)| v.to_str().expect("ascii").to_owned())
            .expect("authorization header");
        let expected = read(&dir, "header-signature.txt");
        assert!(auth.ends_with(&format!("Signature={expected}")), "{}: {auth}", dir.display());
        // and the whole Authorization header is what the suite expects
        let signed = parse_request(&read(&dir, "header-signed-request.txt"));
        assert_eq!(auth, signed.headers["authorization"], "{}", dir.display());
    }
}

fn hex_sha256(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}
