//! Access keys and the accounts they belong to.
//!
//! Keys live in `<data>/keys.json` (mode 0600). The server re-reads the file whenever its
//! modification stamp changes, so `larch keys create|delete` take effect while it runs. Writers
//! (the CLI) hold an exclusive lock on `<data>/keys.lock` and replace the file atomically.
//! A root key may also come from the environment (`LARCH_ACCESS_KEY_ID` /
//! `LARCH_SECRET_ACCESS_KEY`); it is never written to disk.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use parking_lot::RwLock;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// One access key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account_id: String,
    /// Epoch ms.
    pub created: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<AccessKey>,
}

/// Server-side view of the keys, refreshed from disk when the file changes.
pub struct KeyStore {
    path: PathBuf,
    env_root: Option<AccessKey>,
    cache: RwLock<Cached>,
}

#[derive(Default)]
struct Cached {
    stamp: Option<(SystemTime, u64)>,
    keys: HashMap<String, AccessKey>,
}

impl KeyStore {
    /// Opens the key store of `data_dir`. Without an environment root key and without any key
    /// on disk, generates a root key for `default_account`, stores it, and returns it so the
    /// caller can tell the user.
    pub fn open(
        data_dir: &Path,
        env_root: Option<AccessKey>,
        default_account: &str,
    ) -> std::io::Result<(KeyStore, Option<AccessKey>)> {
        let mut generated = None;
        if env_root.is_none() && list_keys(data_dir)?.is_empty() {
            generated = Some(create_key(data_dir, default_account)?);
        }
        let store = KeyStore { path: key_file(data_dir), env_root, cache: RwLock::new(Cached::default()) };
        store.refresh();
        Ok((store, generated))
    }

    /// Finds the key (the secret and its account) for an access key id.
    pub fn lookup(&self, access_key_id: &str) -> Option<AccessKey> {
        if let Some(root) = &self.env_root
            && root.access_key_id == access_key_id
        {
            return Some(root.clone());
        }
        self.refresh();
        self.cache.read().keys.get(access_key_id).cloned()
    }

    /// Re-reads the key file if its (mtime, size) changed. A stat per request is cheap and
    /// makes key deletion take effect immediately.
    fn refresh(&self) {
        let stamp = std::fs::metadata(&self.path).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
        if self.cache.read().stamp == stamp && stamp.is_some() {
            return;
        }
        let keys = match read_key_file(&self.path) {
            Ok(file) => file.keys.into_iter().map(|k| (k.access_key_id.clone(), k)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, path = %self.path.display(), "could not read key file");
                HashMap::new()
            }
        };
        *self.cache.write() = Cached { stamp, keys };
    }
}

fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("keys.json")
}

fn read_key_file(path: &Path) -> std::io::Result<KeyFile> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyFile::default()),
        Err(e) => Err(e),
    }
}

/// Runs `update` on the key file under an exclusive lock and writes the result atomically.
fn update_key_file<T>(data_dir: &Path, update: impl FnOnce(&mut KeyFile) -> T) -> std::io::Result<T> {
    std::fs::create_dir_all(data_dir)?;
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(data_dir.join("keys.lock"))?;
    lock.lock()?;
    let path = key_file(data_dir);
    let mut file = read_key_file(&path)?;
    let value = update(&mut file);
    let tmp = data_dir.join("keys.json.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&tmp)?;
        out.write_all(&serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?)?;
        out.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(value)
}

/// Creates a key for `account_id` and stores it.
pub fn create_key(data_dir: &Path, account_id: &str) -> std::io::Result<AccessKey> {
    let key = AccessKey {
        access_key_id: random_string("AKIA", 16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        secret_access_key: random_string("", 40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
        account_id: account_id.to_string(),
        created: SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0),
    };
    let stored = key.clone();
    update_key_file(data_dir, move |file| file.keys.push(stored))?;
    Ok(key)
}

/// Keys stored in `data_dir`.
pub fn list_keys(data_dir: &Path) -> std::io::Result<Vec<AccessKey>> {
    Ok(read_key_file(&key_file(data_dir))?.keys)
}

/// Deletes a stored key; `false` if it did not exist.
pub fn delete_key(data_dir: &Path, access_key_id: &str) -> std::io::Result<bool> {
    update_key_file(data_dir, |file| {
        let before = file.keys.len();
        file.keys.retain(|k| k.access_key_id != access_key_id);
        file.keys.len() != before
    })
}

fn random_string(prefix: &str, len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    let mut s = String::from(prefix);
    for _ in 0..len {
        s.push(alphabet[rng.random_range(0..alphabet.len())] as char);
    }
    s
}

/// Validates an account id (12 digits, like AWS's).
pub fn is_valid_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_created_and_deleted_are_seen_by_a_running_store() {
        let dir = tempfile::tempdir().unwrap();
        let (store, generated) = KeyStore::open(dir.path(), None, "000000000000").unwrap();
        let root = generated.expect("root key generated on first start");
        assert_eq!(store.lookup(&root.access_key_id).unwrap().account_id, "000000000000");
        let other = create_key(dir.path(), "111111111111").unwrap();
        assert_eq!(store.lookup(&other.access_key_id).unwrap().account_id, "111111111111");
        assert!(delete_key(dir.path(), &other.access_key_id).unwrap());
        assert!(store.lookup(&other.access_key_id).is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (_, again) = KeyStore::open(dir.path(), None, "000000000000").unwrap();
        assert!(again.is_none(), "an existing key file is reused");
    }
}
