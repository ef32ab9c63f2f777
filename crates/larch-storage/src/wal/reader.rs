//! Reading WAL files back at startup, stopping cleanly at a torn or corrupt tail.

use std::path::{Path, PathBuf};

use super::record::{FRAME_HEADER, WalBatch, decode_frame_payload};
use crate::error::{Result, StorageError};

/// What one WAL file held.
pub(crate) struct WalFileContents {
    pub batches: Vec<WalBatch>,
    /// Length of the valid prefix; shorter than the file when the tail was torn.
    pub valid_len: u64,
    pub file_len: u64,
}

/// Lists `(number, path)` of the WAL files in `wal_dir`, ascending.
pub(crate) fn list_wal_files(wal_dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(wal_dir).map_err(|e| StorageError::io(wal_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io(wal_dir, e))?;
        let path = entry.path();
        let Some(stem) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".wal")) else {
            continue;
        };
        if let Ok(number) = stem.parse::<u64>() {
            files.push((number, path));
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every intact frame of a WAL file. A short frame, a length running past the end or a
/// CRC mismatch ends the valid prefix: that is what a crash in the middle of a write leaves.
pub(crate) fn read_wal_file(path: &Path) -> Result<WalFileContents> {
    let data = std::fs::read(path).map_err(|e| StorageError::io(path, e))?;
    let mut batches = Vec::new();
    let mut pos = 0usize;
    loop {
        if data.len() - pos < FRAME_HEADER {
            break;
        }
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().expect("4 bytes"));
        let start = pos + FRAME_HEADER;
        if data.len() - start < len {
            break;
        }
        let payload = &data[start..start + len];
        if crc32c::crc32c(payload) != crc {
            break;
        }
        let Some(batch) = decode_frame_payload(payload) else {
            break;
        };
        batches.push(batch);
        pos = start + len;
    }
    Ok(WalFileContents { batches, valid_len: pos as u64, file_len: data.len() as u64 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewEvent;
    use crate::wal::record::encode_batch;

    fn frame(seq: u64) -> Vec<u8> {
        encode_batch(1, 1, 0, seq, &[NewEvent { timestamp: seq as i64, message: format!("m{seq}") }])
    }

    #[test]
    fn torn_tail_is_cut_at_last_good_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.wal");
        let mut bytes = frame(1);
        bytes.extend(frame(2));
        let good = bytes.len();
        let third = frame(3);
        bytes.extend(&third[..third.len() - 3]);
        std::fs::write(&path, &bytes).unwrap();
        let contents = read_wal_file(&path).unwrap();
        assert_eq!(contents.batches.len(), 2);
        assert_eq!(contents.valid_len as usize, good);
    }

    #[test]
    fn corrupt_frame_stops_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.wal");
        let mut bytes = frame(1);
        let second_start = bytes.len();
        bytes.extend(frame(2));
        bytes[second_start + 10] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let contents = read_wal_file(&path).unwrap();
        assert_eq!(contents.batches.len(), 1);
        assert_eq!(contents.valid_len as usize, second_start);
    }
}
