//! Verification failures, with the error code, message and HTTP status that
//! AWS JSON-protocol services (CloudWatch Logs among them) send back.
//!
//! `Display` is the AWS message text, so the server can put `to_string()`
//! straight into the `message` field of its JSON error body and
//! [`SigV4Error::aws_error_code`] into `__type`.

/// Why a request failed SigV4 verification.
///
/// Variants carry only data that came from the request itself or from the
/// clock; never the secret or the expected signature (echoing either would
/// help an attacker).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// No `Authorization` header and no `X-Amz-Algorithm` query parameter.
    #[error("Missing Authentication Token")]
    MissingAuthentication,

    /// The `Authorization` header (or presigned query) is malformed or lacks
    /// a part AWS requires. The string is the full AWS-style message.
    #[error("{0}")]
    Incomplete(String),

    /// The signature we computed differs from the one sent.
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. \
         Consult the service documentation for details."
    )]
    InvalidSignature,

    /// Any other signature-level rejection (bad region or scope date, a
    /// refused payload hash, ...). The string is the full message.
    #[error("{0}")]
    Invalid(String),

    /// `lookup_secret` did not know the access key id.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,

    /// The signing time lies further in the past than the allowed window.
    /// `window` is e.g. `15 min.` (header auth) or `3600 sec.` (presigned).
    #[error("Signature expired: {signed} is now earlier than {earliest} ({now} - {window})")]
    Expired {
        /// Signing time as sent (`YYYYMMDDTHHMMSSZ`).
        signed: String,
        /// Earliest signing time still accepted.
        earliest: String,
        /// Server time.
        now: String,
        /// Human form of the window.
        window: String,
    },

    /// The signing time lies further in the future than the clock skew allows.
    #[error("Signature not yet current: {signed} is still later than {latest} ({now} + {window})")]
    NotYetCurrent {
        /// Signing time as sent.
        signed: String,
        /// Latest signing time still accepted.
        latest: String,
        /// Server time.
        now: String,
        /// Human form of the allowed skew.
        window: String,
    },

    /// The credential scope names another service than this server's.
    #[error("Credential should be scoped to correct service: '{expected}'. ")]
    WrongService {
        /// The service this verifier serves (`logs`).
        expected: String,
        /// The service named in the credential scope.
        got: String,
    },
}

impl SigV4Error {
    /// The `__type` AWS JSON-protocol services send for this failure.
    pub fn aws_error_code(&self) -> &'static str {
        match self {
            SigV4Error::MissingAuthentication => "MissingAuthenticationTokenException",
            SigV4Error::Incomplete(_) => "IncompleteSignatureException",
            SigV4Error::UnknownAccessKey => "UnrecognizedClientException",
            SigV4Error::InvalidSignature
            | SigV4Error::Invalid(_)
            | SigV4Error::Expired { .. }
            | SigV4Error::NotYetCurrent { .. }
            | SigV4Error::WrongService { .. } => "InvalidSignatureException",
        }
    }

    /// HTTP status to answer with.
    ///
    /// Every authentication failure of an AWS JSON 1.1 service observed in
    /// the wild (CloudWatch Logs, DynamoDB, Kinesis, Cognito, ECR, ...) is a
    /// `400 Bad Request`; the 403s in AWS's "Common Errors" tables belong to
    /// the Query/XML protocol spellings (`SignatureDoesNotMatch`,
    /// `MissingAuthenticationToken`, `InvalidClientTokenId`). SDKs key their
    /// behaviour (e.g. botocore's clock-skew retry on
    /// `InvalidSignatureException`) on the code, not the status.
    pub fn http_status(&self) -> u16 {
        400
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_aws_text() {
        assert_eq!(SigV4Error::MissingAuthentication.to_string(), "Missing Authentication Token");
        assert_eq!(SigV4Error::UnknownAccessKey.to_string(), "The security token included in the request is invalid.");
        assert!(
            SigV4Error::InvalidSignature.to_string().starts_with("The request signature we calculated does not match")
        );
        let e = SigV4Error::Expired {
            signed: "20260101T000000Z".into(),
            earliest: "20260101T000500Z".into(),
            now: "20260101T002000Z".into(),
            window: "15 min.".into(),
        };
        assert_eq!(
            e.to_string(),
            "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z \
             (20260101T002000Z - 15 min.)"
        );
        assert_eq!(e.aws_error_code(), "InvalidSignatureException");
        let e = SigV4Error::WrongService { expected: "logs".into(), got: "s3".into() };
        assert_eq!(e.to_string(), "Credential should be scoped to correct service: 'logs'. ");
    }

    #[test]
    fn codes() {
        assert_eq!(SigV4Error::MissingAuthentication.aws_error_code(), "MissingAuthenticationTokenException");
        assert_eq!(SigV4Error::Incomplete(String::new()).aws_error_code(), "IncompleteSignatureException");
        assert_eq!(SigV4Error::UnknownAccessKey.aws_error_code(), "UnrecognizedClientException");
        assert_eq!(SigV4Error::InvalidSignature.http_status(), 400);
    }
}
