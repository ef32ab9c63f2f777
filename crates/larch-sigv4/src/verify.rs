//! Server side: check the SigV4 signature of an incoming request.

use std::time::Duration;

use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::authorization::{CredentialScope, HeaderAuth, QueryAuth, echo, parse_authorization, parse_query_auth};
use crate::canonical::{
    CanonicalInput, canonical_query, canonical_request, canonical_uri, parse_query, sha256_hex, string_to_sign,
};
use crate::datetime::{format_amz_date, parse_amz_date, parse_http_date};
use crate::signing_key::{SigningKeyCache, signature_hex};
use crate::{RequestParts, SigV4Error, VerifiedRequest};

/// Payload-hash value of requests whose body is not signed.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Verifies SigV4-signed requests for one service. Cheap to share: wrap it
/// in an `Arc` and call [`Verifier::verify`] from any thread.
#[derive(Debug)]
pub struct Verifier {
    service: String,
    clock_skew: Duration,
    allow_unsigned_payload: bool,
    cache: SigningKeyCache,
}

impl Verifier {
    /// A verifier for `service` (`"logs"` for larch) with the default 15
    /// minute clock skew, which is what most AWS services allow.
    pub fn new(service: &str) -> Self {
        Verifier {
            service: service.to_owned(),
            clock_skew: Duration::from_secs(15 * 60),
            allow_unsigned_payload: false,
            cache: SigningKeyCache::default(),
        }
    }

    /// How far the signing time may lie from the server's clock, either way.
    pub fn with_clock_skew(mut self, d: Duration) -> Self {
        self.clock_skew = d;
        self
    }

    /// Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` (body not covered by
    /// the signature). Off by default: CloudWatch Logs clients always sign
    /// the body, and accepting it would let anyone who sees one request
    /// replay it with another body within the skew window.
    pub fn with_unsigned_payload(mut self, allow: bool) -> Self {
        self.allow_unsigned_payload = allow;
        self
    }

    /// The service this verifier expects in credential scopes.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Verify `req` at server time `now`. `lookup_secret(access_key_id)`
    /// returns the secret access key, or `None` for an unknown key.
    ///
    /// Checks, in order: an auth mechanism is present (and only one); it
    /// parses; the credential scope names this service, a sane region and
    /// the same day as the signing time; `host`, the date header and (when
    /// sent) `x-amz-target` are signed; the signing time is within the
    /// allowed window; the access key is known; the signature matches
    /// (constant-time); a sent `x-amz-content-sha256` matches the body.
    pub fn verify(
        &self,
        req: &RequestParts<'_>,
        now: OffsetDateTime,
        lookup_secret: impl Fn(&str) -> Option<String>,
    ) -> Result<VerifiedRequest, SigV4Error> {
        let query_pairs = parse_query(req.query);
        let presigned = query_pairs.iter().any(|(k, _)| k.as_slice() == b"X-Amz-Algorithm");
        let mut auth_headers = req.headers.get_all(http::header::AUTHORIZATION).iter();
        let auth_header = auth_headers.next();
        if auth_headers.next().is_some() {
            return Err(SigV4Error::Incomplete("Only one Authorization header is allowed.".to_owned()));
        }

        let plan = match (auth_header, presigned) {
            (None, false) => return Err(SigV4Error::MissingAuthentication),
            (Some(_), true) => {
                return Err(SigV4Error::Incomplete(
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter \
                     or the Authorization header should be specified."
                        .to_owned(),
                ));
            }
            (Some(value), false) => {
                let value = value.to_str().map_err(|_| {
                    SigV4Error::Incomplete(
                        "Authorization header must contain only visible ASCII characters.".to_owned(),
                    )
                })?;
                self.plan_header_auth(req, value)?
            }
            (None, true) => self.plan_query_auth(&query_pairs)?,
        };

        // The scope must name this service and the signing day.
        let scope = &plan.credential;
        if scope.service != self.service {
            return Err(SigV4Error::WrongService { expected: self.service.clone(), got: scope.service.clone() });
        }
        if scope.date != plan.amz_date.get(..8).unwrap_or_default() {
            return Err(SigV4Error::Invalid(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
                 from HTTP: '{}' != '{}', from '{}'.",
                echo(&scope.date),
                plan.amz_date.get(..8).unwrap_or_default(),
                plan.amz_date
            )));
        }

        // Headers whose alteration would change the meaning of the request
        // must be covered by the signature.
        let signed = |name: &str| plan.signed_headers.iter().any(|s| s.eq_ignore_ascii_case(name));
        if !signed("host") {
            return Err(SigV4Error::Incomplete(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
            ));
        }
        if let Some(date_header) = plan.date_header
            && !signed(date_header)
        {
            return Err(SigV4Error::Incomplete(format!(
                "'{}' must be a 'SignedHeader' in the AWS Authorization.",
                if date_header == "date" { "Date" } else { "X-Amz-Date" }
            )));
        }
        // The operation of an AWS JSON request lives in X-Amz-Target; an
        // unsigned one could be swapped under a captured signature.
        if req.headers.contains_key("x-amz-target") && !signed("x-amz-target") {
            return Err(SigV4Error::Incomplete(
                "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
            ));
        }

        self.check_time(&plan, now)?;

        // Payload hash: the body's own, unless the client sent one.
        let body_hash = sha256_hex(req.body);
        let sent_hash = match req.headers.get("x-amz-content-sha256") {
            None => None,
            Some(v) => {
                Some(v.to_str().map_err(|_| SigV4Error::Invalid("x-amz-content-sha256 must be ASCII.".to_owned()))?)
            }
        };
        let payload_hash = match sent_hash {
            None => body_hash.as_str(),
            Some(UNSIGNED_PAYLOAD) if self.allow_unsigned_payload => UNSIGNED_PAYLOAD,
            Some(h) if is_sha256_hex(h) => h,
            Some(other) => {
                return Err(SigV4Error::Invalid(format!(
                    "x-amz-content-sha256 '{}' is not accepted: send the lowercase hex \
                     SHA-256 of the body.",
                    echo(other)
                )));
            }
        };

        let Some(secret) = lookup_secret(&scope.access_key_id) else {
            return Err(SigV4Error::UnknownAccessKey);
        };

        let creq = canonical_request(&CanonicalInput {
            method: req.method.as_str(),
            canonical_uri: &canonical_uri(req.path),
            canonical_query: &canonical_query(&query_pairs, plan.exclude_query_key),
            headers: req.headers,
            signed_headers: &plan.signed_headers,
            extra_headers: &[],
            payload_hash,
        });
        let sts = string_to_sign(&plan.amz_date, &scope.scope_string(), &creq);
        let (signing_key, cached) = self.cache.get_or_derive(&secret, &scope.date, &scope.region, &scope.service);
        let expected = signature_hex(&signing_key, &sts);
        // Constant time: the comparison must not reveal how many leading
        // characters of a forged signature were right.
        if !bool::from(expected.as_bytes().ct_eq(plan.signature.as_bytes())) {
            return Err(SigV4Error::InvalidSignature);
        }
        if !cached {
            self.cache.remember(&secret, &scope.date, &scope.region, &scope.service, signing_key);
        }

        // The signature covered the *claimed* body hash; make sure it is the
        // body we got.
        if payload_hash != UNSIGNED_PAYLOAD && payload_hash != body_hash {
            return Err(SigV4Error::Invalid(
                "The provided 'x-amz-content-sha256' header does not match what was computed.".to_owned(),
            ));
        }

        Ok(VerifiedRequest {
            access_key_id: scope.access_key_id.clone(),
            region: scope.region.clone(),
            service: scope.service.clone(),
            signing_time: plan.signing_time,
        })
    }

    fn plan_header_auth(&self, req: &RequestParts<'_>, value: &str) -> Result<Plan, SigV4Error> {
        // X-Amz-Date wins over Date when both are present, as in AWS.
        let (date_header, date_value) = match (req.headers.get("x-amz-date"), req.headers.get(http::header::DATE)) {
            (Some(v), _) => ("x-amz-date", Some(v)),
            (None, Some(v)) => ("date", Some(v)),
            (None, None) => ("x-amz-date", None),
        };
        let HeaderAuth { credential, signed_headers, signature } = parse_authorization(value, date_value.is_some())?;
        let raw_date = date_value.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default();
        let parsed = if date_header == "date" { parse_http_date(&raw_date) } else { parse_amz_date(&raw_date) };
        let Some(signing_time) = parsed else {
            return Err(bad_date(&raw_date));
        };
        Ok(Plan {
            credential,
            signed_headers,
            signature,
            amz_date: format_amz_date(signing_time),
            signing_time,
            date_header: Some(date_header),
            presign_expires: None,
            exclude_query_key: None,
        })
    }

    fn plan_query_auth(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Plan, SigV4Error> {
        let QueryAuth { credential, signed_headers, signature, date, expires_secs } = parse_query_auth(pairs)?;
        let Some(signing_time) = parse_amz_date(&date) else {
            return Err(bad_date(&date));
        };
        Ok(Plan {
            credential,
            signed_headers,
            signature,
            amz_date: date,
            signing_time,
            date_header: None,
            presign_expires: Some(expires_secs),
            exclude_query_key: Some("X-Amz-Signature"),
        })
    }

    /// Header auth: |signing time - now| <= skew. Presigned: valid from
    /// (signing time - skew) to (signing time + X-Amz-Expires).
    fn check_time(&self, plan: &Plan, now: OffsetDateTime) -> Result<(), SigV4Error> {
        let skew = time::Duration::try_from(self.clock_skew).unwrap_or(time::Duration::MAX);
        let skew_text = if self.clock_skew.as_secs().is_multiple_of(60) {
            format!("{} min.", self.clock_skew.as_secs() / 60)
        } else {
            format!("{} sec.", self.clock_skew.as_secs())
        };
        let (past_window, past_text) = match plan.presign_expires {
            None => (skew, skew_text.clone()),
            Some(secs) => (time::Duration::seconds(i64::from(secs)), format!("{secs} sec.")),
        };
        let fmt = |t: Option<OffsetDateTime>| t.map(format_amz_date).unwrap_or_default();
        // `checked_*` so that absurd skews or dates saturate instead of
        // overflowing.
        if let Some(earliest) = now.checked_sub(past_window)
            && plan.signing_time < earliest
        {
            return Err(SigV4Error::Expired {
                signed: plan.amz_date.clone(),
                earliest: fmt(Some(earliest)),
                now: fmt(Some(now)),
                window: past_text,
            });
        }
        if let Some(latest) = now.checked_add(skew)
            && plan.signing_time > latest
        {
            return Err(SigV4Error::NotYetCurrent {
                signed: plan.amz_date.clone(),
                latest: fmt(Some(latest)),
                now: fmt(Some(now)),
                window: skew_text,
            });
        }
        Ok(())
    }
}

/// Everything needed to recompute the signature, whichever way it was sent.
struct Plan {
    credential: CredentialScope,
    signed_headers: Vec<String>,
    signature: String,
    /// Signing time in `YYYYMMDDTHHMMSSZ` form, as it enters the string to sign.
    amz_date: String,
    signing_time: OffsetDateTime,
    /// Header the signing time came from (header auth only).
    date_header: Option<&'static str>,
    presign_expires: Option<u32>,
    exclude_query_key: Option<&'static str>,
}

fn bad_date(raw: &str) -> SigV4Error {
    SigV4Error::Incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
        echo(raw)
    ))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
