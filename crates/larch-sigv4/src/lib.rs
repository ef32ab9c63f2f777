//! AWS Signature Version 4 for larch: **verification** of every incoming
//! request, and **signing** for larch's own CLI.
//!
//! larch speaks the CloudWatch Logs protocol (AWS JSON 1.1: `POST /`,
//! `X-Amz-Target: Logs_20140328.<Op>`), so its clients — boto3, the AWS CLI,
//! the SDKs — sign with service `logs`, an `Authorization` header, an
//! `X-Amz-Date` header, optionally `X-Amz-Security-Token`, and usually no
//! `x-amz-content-sha256` (the body hash is computed here).
//!
//! ```
//! use larch_sigv4::{Credentials, RequestParts, Verifier, sign};
//! use http::{HeaderMap, Method};
//! use time::macros::datetime;
//!
//! let now = datetime!(2026-11-25 12:00:00 UTC);
//! let creds = Credentials {
//!     access_key_id: "AKIDEXAMPLE".into(),
//!     secret_access_key: "secret".into(),
//!     session_token: None,
//! };
//! let mut headers = HeaderMap::new();
//! headers.insert("host", "localhost:4588".parse().unwrap());
//! headers.insert("x-amz-target", "Logs_20140328.DescribeLogGroups".parse().unwrap());
//! let body = br#"{}"#;
//! let req = RequestParts { method: &Method::POST, path: "/", query: "", headers: &headers, body };
//! for (name, value) in sign(&req, &creds, "us-east-1", "logs", now) {
//!     headers.insert(name, value);
//! }
//!
//! let verifier = Verifier::new("logs");
//! let req = RequestParts { method: &Method::POST, path: "/", query: "", headers: &headers, body };
//! let ok = verifier
//!     .verify(&req, now, |akid| (akid == "AKIDEXAMPLE").then(|| "secret".to_string()))
//!     .unwrap();
//! assert_eq!(ok.region, "us-east-1");
//! ```
//!
//! # What is verified
//!
//! The canonical request is rebuilt exactly as the SDKs build it for a
//! non-S3 service: method; the path with dot-segments and `//` removed, then
//! percent-encoded *again* (double encoding); the query decoded
//! form-urlencoded style, re-encoded strictly, sorted; the headers named in
//! `SignedHeaders` **as sent** (never the headers we see: proxies add some),
//! values trimmed and inner runs of spaces collapsed, repeated headers joined
//! with `,`; the signed-header list; and the body's SHA-256 (or the
//! `x-amz-content-sha256` value, which must then match the body;
//! `UNSIGNED-PAYLOAD` only with [`Verifier::with_unsigned_payload`]).
//!
//! Also required: `host` and the date header (`X-Amz-Date`, else `Date`)
//! among the signed headers, and `x-amz-target` when the request has one (it
//! names the operation); the credential scope's date equal to the signing
//! date; its service equal to the verifier's; the signing time within the
//! clock skew (default 15 min) of `now`. The signature is compared in
//! constant time ([`subtle`]). Presigned URLs (`X-Amz-Algorithm=...` in the
//! query) are accepted too, valid from the signing time minus the skew to
//! the signing time plus `X-Amz-Expires` (at most 7 days).
//!
//! The `Host` header is verified as sent: StartLiveTail clients prefix the
//! host with `streaming-`, and the signature covers that. Over HTTP/2 the
//! host arrives as `:authority` in the URI, not in the header map: the
//! server must copy it into a `host` header before calling
//! [`Verifier::verify`].
//!
//! Session tokens (`X-Amz-Security-Token`) are covered by the signature
//! when signed, but not validated: larch has no STS. Region is taken from
//! the credential scope (any well-formed region is accepted) and returned.
//!
//! # Errors
//!
//! [`SigV4Error`] maps each failure to the code and message AWS JSON-protocol
//! services return, with status 400 throughout (see
//! [`SigV4Error::http_status`] for why):
//!
//! | failure | `__type` | message |
//! |---|---|---|
//! | no Authorization, no presigned query | `MissingAuthenticationTokenException` | `Missing Authentication Token` |
//! | malformed header / query, missing parts, bad date format, required header unsigned | `IncompleteSignatureException` | e.g. `Authorization header requires 'Signature' parameter. ... Authorization=...` |
//! | signature mismatch | `InvalidSignatureException` | `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.` |
//! | too old / too new | `InvalidSignatureException` | `Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T002000Z - 15 min.)` / `Signature not yet current: ... is still later than ... (... + 15 min.)` |
//! | wrong service | `InvalidSignatureException` | `Credential should be scoped to correct service: 'logs'. ` |
//! | bad region, scope date ≠ signing date, body hash mismatch | `InvalidSignatureException` | AWS's wording for each |
//! | unknown access key | `UnrecognizedClientException` | `The security token included in the request is invalid.` |
//!
//! Messages echo request-supplied values (cut to 512 bytes) as AWS does, but
//! never a secret or the expected signature.
//!
//! # Layout
//!
//! - `lib.rs` — public types and these docs.
//! - `error.rs` — [`SigV4Error`], AWS codes, messages and statuses.
//! - `authorization.rs` — parsing `Authorization` and presigned query parameters.
//! - `datetime.rs` — the `X-Amz-Date` and HTTP `Date` formats.
//! - `canonical.rs` — canonical URI, query, headers, request, string to sign.
//! - `signing_key.rs` — key derivation, HMAC, and the signing-key cache.
//! - `verify.rs` — [`Verifier`].
//! - `sign.rs` — [`sign`] / [`try_sign`].

mod authorization;
mod canonical;
mod datetime;
mod error;
mod sign;
mod signing_key;
mod verify;

pub use error::SigV4Error;
pub use sign::{SignError, sign, try_sign};
pub use verify::Verifier;

/// The parts of an HTTP request that SigV4 covers.
///
/// `path` and `query` are as received on the wire, still percent-encoded
/// (what `http::Uri::path()` / `query()` return; `query` is `""` when there
/// is none). For [`sign`], `path` may also be an absolute URL
/// (`https://host/path`), from which a missing `host` header is derived.
/// `body` is the complete body: the server must buffer it (with a size cap)
/// before verifying.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method.
    pub method: &'a http::Method,
    /// Raw path.
    pub path: &'a str,
    /// Raw query string without the `?`.
    pub query: &'a str,
    /// All request headers.
    pub headers: &'a http::HeaderMap,
    /// The whole body.
    pub body: &'a [u8],
}

/// An access key pair, as used for signing.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id (`AKIA...`).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
}

/// Hand-written so that logging credentials never prints the secrets.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.session_token.as_ref().map(|_| "** redacted **"))
            .finish()
    }
}

/// Who signed a request that verified, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The region from the credential scope.
    pub region: String,
    /// The service from the credential scope (always the verifier's).
    pub service: String,
    /// When the request was signed (from `X-Amz-Date` or `Date`).
    pub signing_time: time::OffsetDateTime,
}

#[cfg(test)]
mod tests;
