//! Signing-key derivation and its cache.
//!
//! The key depends only on (secret, date, region, service), so every request
//! of one client on one day reuses it: caching saves four HMACs per request.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length (long ones are hashed), so this cannot
    // fail whatever the input; the `expect` documents an invariant of the
    // algorithm, not a property of the request.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(crate) fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Hex signature of a string to sign.
pub(crate) fn signature_hex(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Cache key. The secret appears only as a SHA-256 fingerprint, so a key
/// rotation (same access key id, new secret) never hits a stale entry and
/// the raw secret is not kept around as a map key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    secret_fingerprint: [u8; 32],
    date: String,
    region: String,
    service: String,
}

/// Bounded cache of derived signing keys, safe to share between threads.
#[derive(Debug, Default)]
pub(crate) struct SigningKeyCache {
    entries: Mutex<HashMap<CacheKey, [u8; 32]>>,
}

/// Plenty for every (client key, region) pair of a self-hosted server over a
/// couple of days; when full the cache is simply emptied (entries are cheap
/// to recompute, and this keeps eviction trivially correct).
const CAPACITY: usize = 4096;

impl SigningKeyCache {
    /// Return the signing key, from the cache when possible. The key is only
    /// computed here; the caller decides with [`Self::remember`] whether it
    /// is worth keeping (only after a signature matched, so a flood of bad
    /// requests cannot churn the cache).
    pub(crate) fn get_or_derive(&self, secret: &str, date: &str, region: &str, service: &str) -> ([u8; 32], bool) {
        let key = Self::key(secret, date, region, service);
        if let Some(k) = self.lock().get(&key) {
            return (*k, true);
        }
        (derive_signing_key(secret, date, region, service), false)
    }

    /// Store a key that just verified a request.
    pub(crate) fn remember(&self, secret: &str, date: &str, region: &str, service: &str, signing_key: [u8; 32]) {
        let key = Self::key(secret, date, region, service);
        let mut map = self.lock();
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, signing_key);
    }

    fn key(secret: &str, date: &str, region: &str, service: &str) -> CacheKey {
        CacheKey {
            secret_fingerprint: Sha256::digest(secret.as_bytes()).into(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        }
    }

    /// A panic elsewhere while holding the lock cannot leave the map in a
    /// broken state (every update is a single insert/clear), so a poisoned
    /// lock is simply taken over.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, [u8; 32]>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of AWS's SigV4 documentation.
    #[test]
    fn aws_documented_signing_key() {
        let k = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(hex::encode(k), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }

    #[test]
    fn cache_hits_and_is_bounded() {
        let c = SigningKeyCache::default();
        let (k, hit) = c.get_or_derive("s", "20260101", "r", "logs");
        assert!(!hit);
        c.remember("s", "20260101", "r", "logs", k);
        let (k2, hit) = c.get_or_derive("s", "20260101", "r", "logs");
        assert!(hit);
        assert_eq!(k, k2);
        // another secret for the same scope is a different entry
        let (k3, hit) = c.get_or_derive("t", "20260101", "r", "logs");
        assert!(!hit);
        assert_ne!(k, k3);
        for i in 0..CAPACITY + 10 {
            c.remember("s", "20260101", &format!("r{i}"), "logs", k);
        }
        assert!(c.len() <= CAPACITY);
    }
}
