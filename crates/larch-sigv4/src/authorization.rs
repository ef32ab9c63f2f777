//! Parsing the signature parameters out of a request: the `Authorization`
//! header (`AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`)
//! or, for presigned URLs, the `X-Amz-*` query parameters.
//!
//! Error messages follow the wording AWS services use, so that people who
//! search for them find the usual explanations.

use crate::SigV4Error;

/// The only algorithm larch accepts (SigV4a's `AWS4-ECDSA-P256-SHA256` is
/// for multi-region endpoints, which a single server does not have).
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Longest Authorization value echoed back in an error message; the rest is
/// cut so a huge header cannot make a huge error body.
const ECHO_LIMIT: usize = 512;

/// `AKID/YYYYMMDD/region/service/aws4_request`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CredentialScope {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

impl CredentialScope {
    /// Split and check the shape of the credential. The date is compared to
    /// the signing time and the service to the expected one by the caller.
    pub(crate) fn parse(credential: &str) -> Result<Self, SigV4Error> {
        let parts: Vec<&str> = credential.split('/').collect();
        let [akid, date, region, service, terminator] = parts[..] else {
            return Err(SigV4Error::Incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, \
                 e.g. keyid/date/region/service/term, got '{}'",
                echo(credential)
            )));
        };
        if terminator != "aws4_request" {
            return Err(SigV4Error::Incomplete(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                echo(terminator)
            )));
        }
        if akid.is_empty() {
            return Err(SigV4Error::Incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, \
                 e.g. keyid/date/region/service/term, got '{}'",
                echo(credential)
            )));
        }
        // Regions are short DNS-label-like names; anything else is a typo or
        // an attempt to stuff the signing-key cache with junk.
        let region_ok = !region.is_empty()
            && region.len() <= 64
            && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !region_ok {
            return Err(SigV4Error::Invalid(format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                echo(region)
            )));
        }
        Ok(CredentialScope {
            access_key_id: akid.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        })
    }

    /// `YYYYMMDD/region/service/aws4_request`, the scope in the string to sign.
    pub(crate) fn scope_string(&self) -> String {
        format!("{}/{}/{}/aws4_request", self.date, self.region, self.service)
    }
}

/// What the `Authorization` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderAuth {
    pub credential: CredentialScope,
    /// As sent, in the order sent: the canonical request is built from this
    /// list, never from the headers we happen to see (proxies add headers).
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parse the value of an `Authorization` header.
///
/// `has_date` says whether the request carries `X-Amz-Date` or `Date`; AWS
/// reports its absence together with the header's own missing parts.
pub(crate) fn parse_authorization(value: &str, has_date: bool) -> Result<HeaderAuth, SigV4Error> {
    let value = value.trim();
    let (algorithm, rest) = match value.split_once(|c: char| c.is_ascii_whitespace()) {
        Some((a, r)) => (a, r),
        None => (value, ""),
    };
    if algorithm != ALGORITHM && rest.contains('=') {
        return Err(SigV4Error::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{}'. Only '{ALGORITHM}' is supported.",
            echo(algorithm)
        )));
    }

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    if algorithm == ALGORITHM {
        for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, val)) = part.split_once('=') else {
                return Err(SigV4Error::Incomplete(format!(
                    "'{}' not a valid key=value pair (missing equal-sign) in Authorization header: '{}'.",
                    echo(part),
                    echo(value)
                )));
            };
            let slot = match key.trim() {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                // Unknown parameters are ignored, as AWS does.
                _ => continue,
            };
            if slot.is_some() {
                return Err(SigV4Error::Incomplete(format!(
                    "Authorization header has a duplicate '{}' parameter: '{}'.",
                    echo(key.trim()),
                    echo(value)
                )));
            }
            *slot = Some(val.trim());
        }
    }

    // Like AWS, list everything that is missing in one message.
    let mut missing = String::new();
    for (name, present) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !present {
            missing.push_str(&format!("Authorization header requires '{name}' parameter. "));
        }
    }
    if !has_date {
        missing.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature), true) =
        (credential, signed_headers, signature, missing.is_empty())
    else {
        return Err(SigV4Error::Incomplete(format!("{missing}Authorization={}", echo(value))));
    };

    Ok(HeaderAuth {
        credential: CredentialScope::parse(credential)?,
        signed_headers: parse_signed_headers(signed_headers)?,
        signature: signature.to_owned(),
    })
}

/// Split `host;x-amz-date;...`. Empty entries mean a broken signer.
pub(crate) fn parse_signed_headers(list: &str) -> Result<Vec<String>, SigV4Error> {
    let names: Vec<String> = list.split(';').map(str::to_owned).collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(SigV4Error::Incomplete(format!(
            "SignedHeaders must be a non-empty ';'-separated list of header names, got '{}'.",
            echo(list)
        )));
    }
    Ok(names)
}

/// What the presigned-URL query parameters say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryAuth {
    pub credential: CredentialScope,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `X-Amz-Date`, as sent.
    pub date: String,
    /// `X-Amz-Expires`, seconds (1..=604800).
    pub expires_secs: u32,
}

/// Longest validity AWS allows for a presigned URL: 7 days.
const MAX_EXPIRES: u32 = 604_800;

/// Parse presigned-URL parameters from already percent-decoded query pairs.
pub(crate) fn parse_query_auth(pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<QueryAuth, SigV4Error> {
    let get = |name: &str| -> Option<&str> {
        pairs.iter().find(|(k, _)| k.as_slice() == name.as_bytes()).and_then(|(_, v)| std::str::from_utf8(v).ok())
    };
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers), Some(expires)) = (
        get("X-Amz-Algorithm"),
        get("X-Amz-Credential"),
        get("X-Amz-Signature"),
        get("X-Amz-Date"),
        get("X-Amz-SignedHeaders"),
        get("X-Amz-Expires"),
    ) else {
        return Err(SigV4Error::Incomplete(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', \
             'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. \
             Re-examine the query-string parameters."
                .to_owned(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(SigV4Error::Incomplete(format!(
            "Unsupported AWS 'algorithm': '{}'. Only '{ALGORITHM}' is supported.",
            echo(algorithm)
        )));
    }
    let expires_secs = match expires.parse::<u32>() {
        Ok(n) if (1..=MAX_EXPIRES).contains(&n) => n,
        _ => {
            return Err(SigV4Error::Incomplete(format!(
                "X-Amz-Expires must be a whole number of seconds between 1 and {MAX_EXPIRES}, got '{}'.",
                echo(expires)
            )));
        }
    };
    Ok(QueryAuth {
        credential: CredentialScope::parse(credential)?,
        signed_headers: parse_signed_headers(signed_headers)?,
        signature: signature.to_owned(),
        date: date.to_owned(),
        expires_secs,
    })
}

/// Cut a request-supplied string for inclusion in an error message.
pub(crate) fn echo(s: &str) -> &str {
    if s.len() <= ECHO_LIMIT {
        return s;
    }
    let mut end = ECHO_LIMIT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/logs/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    #[test]
    fn parses_sdk_header() {
        let a = parse_authorization(GOOD, true).expect("parses");
        assert_eq!(a.credential.access_key_id, "AKIDEXAMPLE");
        assert_eq!(a.credential.date, "20150830");
        assert_eq!(a.credential.region, "us-east-1");
        assert_eq!(a.credential.service, "logs");
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(a.signature.len(), 64);
        assert_eq!(a.credential.scope_string(), "20150830/us-east-1/logs/aws4_request");
    }

    #[test]
    fn tolerates_no_spaces_after_commas() {
        let v = GOOD.replace(", ", ",");
        assert!(parse_authorization(&v, true).is_ok());
    }

    #[test]
    fn lists_every_missing_part() {
        let err =
            parse_authorization("AWS4-HMAC-SHA256 Credential=A/B/C/D/aws4_request", false).expect_err("incomplete");
        let msg = err.to_string();
        assert!(msg.contains("requires 'Signature' parameter"), "{msg}");
        assert!(msg.contains("requires 'SignedHeaders' parameter"), "{msg}");
        assert!(msg.contains("'X-Amz-Date' or a 'Date' header"), "{msg}");
        assert!(!msg.contains("requires 'Credential'"), "{msg}");
        assert_eq!(err.aws_error_code(), "IncompleteSignatureException");
    }

    #[test]
    fn bearer_token_is_incomplete() {
        let err = parse_authorization("Bearer abc.def", true).expect_err("no sigv4");
        assert!(err.to_string().starts_with("Authorization header requires 'Credential'"));
    }

    #[test]
    fn missing_equal_sign() {
        let err = parse_authorization("AWS4-HMAC-SHA256 Credential, SignedHeaders=host", true).expect_err("missing =");
        assert!(err.to_string().contains("missing equal-sign"), "{err}");
    }

    #[test]
    fn other_algorithm() {
        let err = parse_authorization(
            "AWS4-ECDSA-P256-SHA256 Credential=a/b/logs/aws4_request, SignedHeaders=host, Signature=00",
            true,
        )
        .expect_err("sigv4a");
        assert!(err.to_string().contains("Unsupported AWS 'algorithm'"), "{err}");
    }

    #[test]
    fn duplicate_parameter() {
        let v = format!("{GOOD}, Signature=00");
        assert!(parse_authorization(&v, true).is_err());
    }

    #[test]
    fn credential_shape() {
        for bad in [
            "AKID/20150830/us-east-1/aws4_request",
            "AKID/20150830/us-east-1/logs/aws4_request/x",
            "/20150830/us-east-1/logs/aws4_request",
            "AKID/20150830/us-east-1/logs/aws5_request",
            "AKID/20150830//logs/aws4_request",
            "AKID/20150830/us east/logs/aws4_request",
        ] {
            assert!(CredentialScope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_signed_header_entry() {
        assert!(parse_signed_headers("host;;x-amz-date").is_err());
        assert!(parse_signed_headers("").is_err());
    }

    #[test]
    fn echo_cuts_on_char_boundary() {
        let s = "é".repeat(600);
        let cut = echo(&s);
        assert!(cut.len() <= ECHO_LIMIT);
        assert!(s.starts_with(cut));
    }

    #[test]
    fn query_auth() {
        let p = |k: &str, v: &str| (k.as_bytes().to_vec(), v.as_bytes().to_vec());
        let mut pairs = vec![
            p("X-Amz-Algorithm", ALGORITHM),
            p("X-Amz-Credential", "AKID/20150830/us-east-1/logs/aws4_request"),
            p("X-Amz-Date", "20150830T123600Z"),
            p("X-Amz-Expires", "3600"),
            p("X-Amz-SignedHeaders", "host"),
            p("X-Amz-Signature", "00"),
        ];
        let q = parse_query_auth(&pairs).expect("parses");
        assert_eq!(q.expires_secs, 3600);
        pairs[3] = p("X-Amz-Expires", "604801");
        assert!(parse_query_auth(&pairs).is_err());
        pairs[3] = p("X-Amz-Expires", "-1");
        assert!(parse_query_auth(&pairs).is_err());
        pairs.remove(3);
        assert!(parse_query_auth(&pairs).is_err());
    }
}
