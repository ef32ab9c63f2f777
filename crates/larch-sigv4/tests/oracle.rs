//! Property tests with the official `aws-sigv4` signer as the oracle:
//! whatever it signs, we verify; any single change is rejected with the
//! right error; our own signer produces byte-identical signatures.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use larch_sigv4::{Credentials, RequestParts, SigV4Error, Verifier, sign};
use proptest::prelude::*;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
struct Input {
    method: Method,
    host: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    region: String,
    secs: u64,
    /// Server clock minus signing time, within the allowed skew.
    offset: i64,
    creds: Credentials,
}

fn input() -> impl Strategy<Value = Input> {
    let method = prop_oneof![Just(Method::POST), Just(Method::GET), Just(Method::PUT), Just(Method::DELETE)];
    let host = "(streaming-)?[a-z]{1,10}(\\.[a-z0-9]{1,5}){0,2}(:[0-9]{2,5})?";
    // Path segments mix unreserved characters, ASCII escapes (non-ASCII
    // escapes decode to invalid UTF-8, where aws-sigv4 substitutes U+FFFD
    // and we keep the bytes), characters that must be encoded, dot segments
    // and empty segments.
    let segment = "([A-Za-z0-9_~-]|%[0-7][0-9A-F]|[@:!$'()*+,;=]|\\.){0,8}";
    let path = prop::collection::vec(segment, 0..5).prop_map(|s| format!("/{}", s.join("/")));
    let part = "([A-Za-z0-9_~.-]|%[0-7][0-9A-F]|\\+|[:@/!$'()*,;]){0,6}";
    let pair =
        (part, part, any::<bool>()).prop_map(|(k, v, eq)| if eq || k.is_empty() { format!("{k}={v}") } else { k });
    let query = prop::collection::vec(pair, 0..4).prop_map(|p| p.join("&"));
    let header_name = prop_oneof![
        Just("content-type".to_owned()),
        Just("x-amz-target".to_owned()),
        Just("user-agent".to_owned()),
        Just("x-amzn-trace-id".to_owned()),
        "x-test-[a-c]",
    ];
    let header_value = "[ -~]{0,20}";
    let headers = prop::collection::vec((header_name, header_value), 0..5);
    let body = prop::collection::vec(any::<u8>(), 0..64);
    let region = "[a-z]{2}-[a-z]{4,9}-[1-9]";
    // 2001 .. 2099
    let secs = 978_307_200u64..4_102_444_800u64;
    let offset = -14 * 60i64..14 * 60;
    let creds = ("AKID[A-Z0-9]{4,16}", "[A-Za-z0-9/+]{10,40}", prop::option::of("[A-Za-z0-9/+=]{10,40}"))
        .prop_map(|(a, s, t)| Credentials { access_key_id: a, secret_access_key: s, session_token: t });
    (method, host, path, query, headers, body, region, secs, offset, creds).prop_map(
        |(method, host, path, query, headers, body, region, secs, offset, creds)| Input {
            method,
            host,
            path,
            query,
            headers,
            body,
            region,
            secs,
            offset,
            creds,
        },
    )
}

impl Input {
    /// The request before signing: `host` plus the random headers.
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_str(&self.host).expect("host"));
        for (n, v) in &self.headers {
            h.append(HeaderName::from_bytes(n.as_bytes()).expect("name"), HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    fn signing_time(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.secs as i64).expect("in range")
    }

    fn now(&self) -> OffsetDateTime {
        self.signing_time() + time::Duration::seconds(self.offset)
    }

    /// Sign with aws-sigv4; return the signed headers and the signature.
    fn oracle_sign(&self) -> (HeaderMap, String) {
        let identity: Identity = aws_credential_types::Credentials::new(
            &self.creds.access_key_id,
            &self.creds.secret_access_key,
            self.creds.session_token.clone(),
            None,
            "proptest",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("logs")
            .time(SystemTime::UNIX_EPOCH + Duration::from_secs(self.secs))
            .settings(SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let uri = if self.query.is_empty() {
            format!("https://{}{}", self.host, self.path)
        } else {
            format!("https://{}{}?{}", self.host, self.path, self.query)
        };
        let header_list: Vec<(&str, &str)> = std::iter::once(("host", self.host.as_str()))
            .chain(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .collect();
        let signable =
            SignableRequest::new(self.method.as_str(), uri, header_list.into_iter(), SignableBody::Bytes(&self.body))
                .expect("signable");
        let (instructions, signature) = aws_sigv4::http_request::sign(signable, &params).expect("signs").into_parts();
        let mut h = self.headers();
        for (n, v) in instructions.headers() {
            h.insert(HeaderName::from_bytes(n.as_bytes()).expect("name"), HeaderValue::from_str(v).expect("value"));
        }
        (h, signature)
    }

    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &str,
    ) -> Result<larch_sigv4::VerifiedRequest, SigV4Error> {
        let akid = self.creds.access_key_id.clone();
        Verifier::new("logs").verify(
            &RequestParts { method: &self.method, path: &self.path, query: &self.query, headers, body },
            self.now(),
            |k| (k == akid).then(|| secret.to_owned()),
        )
    }
}

fn signature_of(h: &HeaderMap) -> String {
    let auth = h["authorization"].to_str().expect("ascii");
    auth.rsplit("Signature=").next().expect("signature").to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn oracle_signed_requests_verify(inp in input()) {
        let (h, _) = inp.oracle_sign();
        let ok = inp.verify(&h, &inp.body, &inp.creds.secret_access_key);
        let ok = ok.map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(ok.region, inp.region.clone());
        prop_assert_eq!(ok.access_key_id, inp.creds.access_key_id.clone());
        prop_assert_eq!(ok.signing_time, inp.signing_time());
    }

    #[test]
    fn any_single_change_is_rejected(inp in input(), which in 0u8..5, pick in any::<prop::sample::Index>()) {
        let (mut h, _) = inp.oracle_sign();
        let mut body = inp.body.clone();
        let mut secret = inp.creds.secret_access_key.clone();
        match which {
            // one character of the signature
            0 => {
                let auth = h["authorization"].to_str().expect("ascii").to_owned();
                let sig_start = auth.len() - 64;
                let i = sig_start + pick.index(64);
                let old = auth.as_bytes()[i];
                let new = if old == b'0' { '1' } else { '0' };
                let mut tampered = auth.clone();
                tampered.replace_range(i..=i, &new.to_string());
                h.insert("authorization", tampered.parse().expect("valid"));
            }
            // one byte of the body (or one byte more)
            1 => {
                if body.is_empty() {
                    body.push(b'x');
                } else {
                    let i = pick.index(body.len());
                    body[i] ^= 0x01;
                }
            }
            // the host (always signed)
            2 => {
                h.insert("host", format!("{}x", inp.host).parse().expect("valid"));
            }
            // another secret
            3 => secret.push('x'),
            // the signing date
            _ => {
                let d = h["x-amz-date"].to_str().expect("ascii").to_owned();
                // shift seconds by one, staying a valid time of the same day
                let secs: u32 = d[13..15].parse().expect("digits");
                let new = if secs == 0 { 1 } else { secs - 1 };
                let shifted = format!("{}{:02}Z", &d[..13], new);
                h.insert("x-amz-date", shifted.parse().expect("valid"));
            }
        }
        prop_assert_eq!(inp.verify(&h, &body, &secret), Err(SigV4Error::InvalidSignature));
    }

    #[test]
    fn changing_a_signed_random_header_is_rejected(inp in input(), pick in any::<prop::sample::Index>()) {
        let mut inp = inp;
        let is_signed = |n: &str| n != "user-agent" && n != "x-amzn-trace-id";
        if !inp.headers.iter().any(|(n, _)| is_signed(n)) {
            inp.headers.push(("x-test-z".to_owned(), "v".to_owned()));
        }
        let signable: Vec<&(String, String)> =
            inp.headers.iter().filter(|(n, _)| is_signed(n)).collect();
        let (mut h, _) = inp.oracle_sign();
        let (name, _) = signable[pick.index(signable.len())];
        let name = HeaderName::from_bytes(name.as_bytes()).expect("name");
        let joined: Vec<u8> = h.get_all(&name).iter().flat_map(|v| v.as_bytes().to_vec()).collect();
        let mut changed = joined.clone();
        changed.extend_from_slice(b"!");
        h.insert(name, HeaderValue::from_bytes(&changed).expect("valid"));
        prop_assert_eq!(
            inp.verify(&h, &inp.body, &inp.creds.secret_access_key),
            Err(SigV4Error::InvalidSignature)
        );
    }

    #[test]
    fn unsigned_headers_may_change(inp in input()) {
        let (mut h, _) = inp.oracle_sign();
        h.insert("user-agent", HeaderValue::from_static("proxy-rewritten/1.0"));
        h.insert("x-amzn-trace-id", HeaderValue::from_static("Root=1-abc"));
        let r = inp.verify(&h, &inp.body, &inp.creds.secret_access_key);
        prop_assert!(r.is_ok(), "{:?}", r);
    }

    #[test]
    fn our_signer_matches_the_oracle(inp in input()) {
        let (oracle_headers, oracle_signature) = inp.oracle_sign();
        let headers = inp.headers();
        let req = RequestParts {
            method: &inp.method,
            path: &inp.path,
            query: &inp.query,
            headers: &headers,
            body: &inp.body,
        };
        let added = sign(&req, &inp.creds, &inp.region, "logs", inp.signing_time());
        let mut ours = headers.clone();
        for (n, v) in added {
            ours.insert(n, v);
        }
        prop_assert_eq!(signature_of(&ours), oracle_signature);
        prop_assert_eq!(&ours["authorization"], &oracle_headers["authorization"]);
        prop_assert_eq!(&ours["x-amz-date"], &oracle_headers["x-amz-date"]);
        prop_assert_eq!(
            ours.get("x-amz-security-token"),
            oracle_headers.get("x-amz-security-token")
        );
        let r = inp.verify(&ours, &inp.body, &inp.creds.secret_access_key);
        prop_assert!(r.is_ok(), "{:?}", r);
    }
}
