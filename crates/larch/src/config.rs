//! `larch serve` configuration: command-line flags over environment over a TOML file over
//! defaults, merged explicitly so each layer is easy to test.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The TOML file (`--config FILE`). Every key is optional.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub account_id: Option<String>,
    /// Seconds between memtable flushes.
    pub flush_interval_secs: Option<u64>,
    /// Memtable size (MiB) that triggers a flush.
    pub flush_mib: Option<usize>,
    /// Largest request body accepted (MiB).
    pub max_body_mib: Option<usize>,
    pub query: Option<QueryFileConfig>,
}

#[derive(Debug, Default, Deserialize, PartialEq, Clone)]
#[serde(deny_unknown_fields)]
pub struct QueryFileConfig {
    pub max_concurrent_per_account: Option<usize>,
    pub timeout_secs: Option<u64>,
    pub max_rows: Option<usize>,
    /// Milliseconds StartQuery waits for a quick query to finish before answering.
    pub start_wait_ms: Option<u64>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("invalid config {}: {e}", path.display()))
    }
}

/// The effective server configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub account_id: String,
    pub flush_interval: Duration,
    pub flush_bytes: usize,
    pub max_body_bytes: usize,
    pub insecure_accept_any_key: bool,
    pub query: QueryFileConfig,
}

/// Flag values (None = not given).
#[derive(Debug, Default)]
pub struct Flags {
    pub listen: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub insecure_accept_any_key: bool,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:4588";

pub fn resolve(flags: Flags, env_account: Option<String>, file: FileConfig) -> Result<ServeConfig, String> {
    let tls_cert = flags.tls_cert.or(file.tls_cert);
    let tls_key = flags.tls_key.or(file.tls_key);
    let tls = match (tls_cert, tls_key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key must be given together".into()),
    };
    let config = ServeConfig {
        listen: flags.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default")),
        data: flags.data.or(file.data).unwrap_or_else(|| PathBuf::from("larch-data")),
        tls,
        account_id: env_account.or(file.account_id).unwrap_or_else(|| "000000000000".into()),
        flush_interval: Duration::from_secs(file.flush_interval_secs.unwrap_or(30)),
        flush_bytes: file.flush_mib.unwrap_or(64) << 20,
        max_body_bytes: file.max_body_mib.unwrap_or(8) << 20,
        insecure_accept_any_key: flags.insecure_accept_any_key,
        query: file.query.unwrap_or_default(),
    };
    if !larch_server::keys::is_valid_account_id(&config.account_id) {
        return Err(format!("account id must be 12 digits: {}", config.account_id));
    }
    if config.insecure_accept_any_key && !config.listen.ip().is_loopback() {
        return Err("--insecure-accept-any-key is only allowed on a loopback address".into());
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_and_defaults_fill_the_rest() {
        let file: FileConfig =
            toml::from_str("listen = \"127.0.0.1:9000\"\ndata = \"/tmp/x\"\nflush_mib = 16").unwrap();
        let flags = Flags { data: Some("/tmp/y".into()), ..Default::default() };
        let c = resolve(flags, None, file).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.data, PathBuf::from("/tmp/y"));
        assert_eq!(c.flush_bytes, 16 << 20);
        assert_eq!(c.account_id, "000000000000");
    }

    #[test]
    fn insecure_mode_is_refused_off_loopback() {
        let flags = Flags {
            listen: Some("0.0.0.0:4588".parse().unwrap()),
            insecure_accept_any_key: true,
            ..Default::default()
        };
        assert!(resolve(flags, None, FileConfig::default()).is_err());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }
}
