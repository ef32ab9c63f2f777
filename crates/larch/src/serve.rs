//! `larch serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use larch_server::keys::{AccessKey, KeyStore};
use larch_server::{AppState, AuthMode};
use larch_storage::{Storage, StorageConfig};

use crate::config::{self, FileConfig, Flags, ServeConfig};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:4588].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Data directory [default: ./larch-data].
    #[arg(long)]
    data: Option<PathBuf>,
    /// TOML configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Accept any access key without checking signatures (loopback only; never in production).
    #[arg(long)]
    insecure_accept_any_key: bool,
}

pub fn run(args: ServeArgs) -> Result<(), String> {
    init_tracing();
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let flags = Flags {
        listen: args.listen,
        data: args.data,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        insecure_accept_any_key: args.insecure_accept_any_key,
    };
    let config = config::resolve(flags, std::env::var("LARCH_ACCOUNT_ID").ok(), file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(serve(config))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LARCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn env_root_key(account: &str) -> Option<AccessKey> {
    let access_key_id = std::env::var("LARCH_ACCESS_KEY_ID").ok().filter(|s| !s.is_empty())?;
    let secret_access_key = std::env::var("LARCH_SECRET_ACCESS_KEY").ok().filter(|s| !s.is_empty())?;
    Some(AccessKey { access_key_id, secret_access_key, account_id: account.to_string(), created: 0 })
}

async fn serve(config: ServeConfig) -> Result<(), String> {
    let tls = match &config.tls {
        Some((cert, key)) => Some(larch_server::tls::load_config(cert, key)?),
        None => None,
    };
    crate::memory::start_trimming();
    let mut storage_config = StorageConfig::new(&config.data);
    storage_config.flush_interval = config.flush_interval;
    storage_config.flush_bytes = config.flush_bytes;
    storage_config.max_buffered_bytes = config.flush_bytes.saturating_mul(2);
    let storage = Storage::open(storage_config)
        .map_err(|e| format!("cannot open data directory {}: {e}", config.data.display()))?;
    let (keys, generated) = KeyStore::open(&config.data, env_root_key(&config.account_id), &config.account_id)
        .map_err(|e| format!("cannot open key store: {e}"))?;
    if let Some(key) = generated {
        println!("larch generated a root access key (stored in {}/keys.json):", config.data.display());
        println!("export AWS_ACCESS_KEY_ID={}", key.access_key_id);
        println!("export AWS_SECRET_ACCESS_KEY={}", key.secret_access_key);
        println!("export AWS_REGION=us-east-1");
    }
    let auth = if config.insecure_accept_any_key {
        tracing::warn!("accepting any access key without signature checks (--insecure-accept-any-key)");
        AuthMode::AcceptAnyKey { account: config.account_id.clone() }
    } else {
        AuthMode::SigV4
    };
    let queries = query_engine(&storage, &config.data, &config.query);
    let state = Arc::new(AppState {
        storage: storage.clone(),
        keys,
        auth,
        verifier: larch_sigv4::Verifier::new("logs"),
        metrics: Default::default(),
        queries,
        max_body_bytes: config.max_body_bytes,
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(address = %local, scheme, data = %config.data.display(), "larch is serving the CloudWatch Logs API");
    match tls {
        Some(tls) => larch_server::tls::serve_tls(listener, state, tls, shutdown_signal()).await,
        None => larch_server::serve(listener, state, shutdown_signal()).await,
    }
    .map_err(|e| e.to_string())?;
    tracing::info!("shutting down: flushing buffered events");
    let flushing = storage.clone();
    tokio::task::spawn_blocking(move || flushing.shutdown())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// The Insights engine plugged into the API.
fn query_engine(
    storage: &Storage,
    data: &std::path::Path,
    config: &config::QueryFileConfig,
) -> Option<Arc<dyn larch_server::QueryOperations>> {
    let mut query_config = larch_query::QueryConfig::new(data);
    if let Some(n) = config.max_concurrent_per_account {
        query_config.max_concurrent_per_account = n.max(1);
    }
    if let Some(secs) = config.timeout_secs {
        query_config.timeout = std::time::Duration::from_secs(secs.max(1));
    }
    if let Some(rows) = config.max_rows {
        query_config.max_rows = rows.max(1);
    }
    if let Some(ms) = config.start_wait_ms {
        query_config.start_wait = std::time::Duration::from_millis(ms);
    }
    Some(larch_query::QueryService::new(storage.clone(), query_config))
}
