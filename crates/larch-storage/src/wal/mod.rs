//! Write-ahead log: every accepted PutLogEvents batch is framed, appended and fsynced before
//! the request is acknowledged.
//!
//! Files live in `<data>/wal/<number>.wal` and are never appended to after a restart or a
//! rotation: a rotation closes the current file, which makes "all files up to N" an exact
//! checkpoint unit. Once the memtable frozen at rotation N is flushed to Parquet and the
//! catalog records `wal_flushed_through = N`, files `<= N` are deleted.

mod reader;
mod record;
mod writer;

pub(crate) use reader::{list_wal_files, read_wal_file};
pub(crate) use record::encode_batch;
pub(crate) use writer::{OnDurable, WalWriter, sync_dir as sync_dir_pub};

use std::path::{Path, PathBuf};

/// Path of WAL file `number` inside `wal_dir`.
pub(crate) fn wal_file_path(wal_dir: &Path, number: u64) -> PathBuf {
    wal_dir.join(format!("{number:020}.wal"))
}
