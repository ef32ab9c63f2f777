//! Arbitrary junk in every input the verifier reads must produce an error,
//! never a panic.

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use larch_sigv4::{RequestParts, Verifier};
use proptest::prelude::*;
use time::OffsetDateTime;

/// Header values: any bytes `http` accepts (visible ASCII, space, tab, obs-text).
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff], 0..120)
}

fn auth_like() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        header_value(),
        // near-valid shapes reach deeper code paths
        ("[A-Za-z0-9/ _-]{0,40}", "[a-z;-]{0,30}", "[0-9a-fA-F]{0,70}")
            .prop_map(
                |(c, s, g)| format!("AWS4-HMAC-SHA256 Credential={c}, SignedHeaders={s}, Signature={g}").into_bytes()
            ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn verify_never_panics(
        auth in prop::option::of(auth_like()),
        date in prop::option::of(prop_oneof![header_value(), "[0-9]{8}T[0-9]{6}Z".prop_map(String::into_bytes)]),
        host in prop::option::of(header_value()),
        extra in prop::collection::vec(("[a-z-]{1,12}", header_value()), 0..4),
        path in ".{0,40}",
        query in ".{0,60}",
        body in prop::collection::vec(any::<u8>(), 0..32),
        now_secs in -377_705_116_800i64..253_402_300_799i64,
        skew_secs in prop_oneof![Just(u64::MAX), 0u64..10_000_000],
    ) {
        let mut h = HeaderMap::new();
        let mut put = |name: &str, v: &[u8]| {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(v)) {
                h.append(n, v);
            }
        };
        if let Some(a) = &auth { put("authorization", a); }
        if let Some(d) = &date { put("x-amz-date", d); }
        if let Some(x) = &host { put("host", x); }
        for (n, v) in &extra { put(n, v); }
        let now = OffsetDateTime::from_unix_timestamp(now_secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let v = Verifier::new("logs").with_clock_skew(std::time::Duration::from_secs(skew_secs));
        let _ = v.verify(
            &RequestParts { method: &Method::POST, path: &path, query: &query, headers: &h, body: &body },
            now,
            |_| Some("secret".to_owned()),
        );
    }
}
