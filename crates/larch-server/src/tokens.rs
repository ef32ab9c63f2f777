//! Opaque pagination tokens.
//!
//! Listing tokens carry the last key returned, base64url-encoded with a kind prefix, so a token
//! from one operation is refused by another. GetLogEvents tokens keep AWS's look
//! (`f/<56 digits>`, `b/<56 digits>`) because clients compare them for equality to detect the
//! end of a stream.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// Encodes a listing token.
pub fn encode(kind: &str, payload: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}\u{1}{payload}"))
}

/// Decodes a listing token of `kind`, or answers "The specified nextToken is invalid."
pub fn decode(kind: &str, token: &str) -> Result<String, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| ApiError::invalid_next_token())?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::invalid_next_token())?;
    let (k, payload) = text.split_once('\u{1}').ok_or_else(ApiError::invalid_next_token)?;
    if k != kind {
        return Err(ApiError::invalid_next_token());
    }
    Ok(payload.to_string())
}

/// Direction of a GetLogEvents token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// A position in (timestamp, seq) order. The timestamp is stored +1 so that "just before
/// timestamp 0" (-1) still fits the unsigned digits.
pub fn encode_stream_token(direction: Direction, timestamp: i64, seq: u64) -> String {
    let prefix = match direction {
        Direction::Forward => 'f',
        Direction::Backward => 'b',
    };
    let ts = (timestamp.saturating_add(1)).max(0) as u64;
    format!("{prefix}/{ts:020}{seq:036}")
}

pub fn decode_stream_token(token: &str) -> Result<(Direction, i64, u64), ApiError> {
    let invalid = ApiError::invalid_next_token;
    let (prefix, rest) = token.split_once('/').ok_or_else(invalid)?;
    let direction = match prefix {
        "f" => Direction::Forward,
        "b" => Direction::Backward,
        _ => return Err(invalid()),
    };
    let digits = rest.strip_suffix("/s").unwrap_or(rest);
    if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let ts: u64 = digits[..20].parse().map_err(|_| invalid())?;
    let seq: u64 = digits[20..].parse().map_err(|_| invalid())?;
    let ts = i64::try_from(ts).map_err(|_| invalid())? - 1;
    Ok((direction, ts, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_tokens_round_trip_and_are_kind_checked() {
        let t = encode("groups", "/aws/lambda/x");
        assert_eq!(decode("groups", &t).unwrap(), "/aws/lambda/x");
        assert!(decode("streams", &t).is_err());
        assert!(decode("groups", "not a token!").is_err());
    }

    #[test]
    fn stream_tokens_round_trip() {
        for (d, ts, seq) in [(Direction::Forward, -1, u64::MAX), (Direction::Backward, 1_700_000_000_000, 42)] {
            let t = encode_stream_token(d, ts, seq);
            assert_eq!(t.len(), 58);
            assert_eq!(decode_stream_token(&t).unwrap(), (d, ts, seq));
        }
        assert!(decode_stream_token("f/123").is_err());
        assert!(decode_stream_token("x/00000000000000000000000000000000000000000000000000000000").is_err());
    }
}
