//! Sizes of the substring indexes of a data directory's segments.
//!
//! `cargo run --release -p larch-storage --example index_stats -- <data dir>`

use std::path::{Path, PathBuf};

use larch_storage::index::{INDEX_KEY, read_segment_index};
use parquet::file::metadata::ParquetMetaDataReader;

fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            parquet_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
}

fn main() {
    let data = std::env::args().nth(1).expect("usage: index_stats <data dir>");
    let mut files = Vec::new();
    parquet_files(&Path::new(&data).join("segments"), &mut files);
    let (mut file_bytes, mut footer_bytes, mut bloom_bytes, mut message_bytes) = (0u64, 0u64, 0u64, 0u64);
    let (mut row_groups, mut without) = (0usize, 0usize);
    let mut fills = Vec::new();
    for path in &files {
        file_bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let file = std::fs::File::open(path).unwrap();
        let metadata = ParquetMetaDataReader::new().parse_and_finish(&file).unwrap();
        for rg in metadata.row_groups() {
            message_bytes +=
                rg.columns().iter().find(|c| c.column_path().string() == "message").map_or(0, |c| c.compressed_size())
                    as u64;
        }
        let value = metadata
            .file_metadata()
            .key_value_metadata()
            .and_then(|kvs| kvs.iter().find(|kv| kv.key == INDEX_KEY))
            .and_then(|kv| kv.value.as_ref());
        footer_bytes += value.map_or(0, |v| v.len()) as u64;
        match read_segment_index(path).unwrap() {
            Some(index) => {
                row_groups += index.row_groups();
                bloom_bytes += index.byte_len() as u64;
                for rg in 0..index.row_groups() {
                    if let Some(bloom) = index.bloom(rg) {
                        fills.push(bloom.fill_ratio());
                    }
                }
            }
            None => without += 1,
        }
    }
    fills.sort_by(f64::total_cmp);
    let pct = |q: f64| fills.get(((fills.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    println!("segments                 {} ({} without index)", files.len(), without);
    println!("row groups (indexed)     {row_groups}");
    println!("segment bytes            {file_bytes}");
    println!("message column bytes     {message_bytes} (compressed)");
    println!(
        "index bytes in footers   {footer_bytes} (base64; {:.3} % of segment bytes)",
        footer_bytes as f64 * 100.0 / file_bytes.max(1) as f64
    );
    println!("bloom bytes (decoded)    {bloom_bytes}");
    println!("bloom fill ratio         min {:.3} median {:.3} max {:.3}", pct(0.0), pct(0.5), pct(1.0));
}
