//! Substring index of segments: one byte-trigram Bloom filter per row group over the `message`
//! column, stored in the segment's own Parquet footer.
//!
//! A query whose every matching row must contain a literal (`filter @message like 'x'`) asks
//! [`SegmentIndex::may_contain`] per row group and reads only the row groups that may hold it:
//! a row group whose filter lacks one of the literal's trigrams cannot contain the literal.
//! Bloom filters have no false negatives, so this never drops a matching row; a false positive
//! only costs a read. Literals shorter than 3 bytes have no trigram and match everything.
//!
//! # Building
//!
//! [`write_segment`](crate::segment) calls [`build`] after the row groups are flushed (so the
//! index follows the writer's actual row-group boundaries): every overlapping 3-byte window of
//! each message's UTF-8 bytes is a trigram (a `u32` below 2^24; windows never span two
//! messages). Distinct trigrams are found exactly with a 2^24-bit bitset, then inserted into a
//! Bloom filter of [`BITS_PER_TRIGRAM`] bits per distinct trigram (rounded up to 64-bit words)
//! with two probes derived from one 64-bit hash (≈ 5 % false positives per trigram). A literal
//! of `n` trigrams is a false positive only if all its absent trigrams hit, so even a saturated
//! filter prunes well for long literals. To bound the size for high-entropy text, a row
//! group's filter is capped at [`MAX_FRACTION_OF_ROW_GROUP`] of the row group's compressed
//! bytes (but at least [`MIN_CAP_BITS`]); above the cap the false-positive rate grows instead.
//!
//! # Format (footer key [`INDEX_KEY`], value = standard base64 of)
//!
//! ```text
//! u8       version = 1
//! u32 LE   row-group count n (must equal the file's)
//! n × u32  LE: filter length of row group i in 64-bit words (0: not indexed, may contain anything)
//! …        the filters' words (u64 LE), row group 0 first
//! ```
//! Probes of trigram `t` (bytes `b0 b1 b2` → `t = b0 << 16 | b1 << 8 | b2`): `h = mix(t)`
//! (splitmix64 finalizer of `t + 1`), bit positions `(lo32(h) · m) >> 32` and `(hi32(h) · m) >> 32`
//! for a filter of `m` bits (bit `p` is bit `p % 64` of word `p / 64`).
//!
//! Segments written before the index existed have no key: [`segment_index`] returns `None` and
//! every row group is read. The index lives and dies with its file, so compaction (which
//! rewrites through `write_segment`), retention and crash recovery need no extra step.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, StringArray};
use base64::Engine;
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};

use crate::error::Result;

/// Footer key-value metadata key of the index.
pub const INDEX_KEY: &str = "larch.trigram_bloom.v1";
const VERSION: u8 = 1;
/// Filter bits per distinct trigram of a row group (two probes: ≈ 4.9 % false positives).
pub const BITS_PER_TRIGRAM: usize = 8;
/// A row group's filter is at most this fraction of the row group's compressed bytes…
/// (Row groups are time slices of ≥ 16 Ki rows, several per segment, and each slice has most
/// of the segment's trigrams: 2 % keeps the index near 1.5 % of the segments on the benchmark
/// corpus; saturated filters still prune long needles, see the module docs.)
pub const MAX_FRACTION_OF_ROW_GROUP: f64 = 0.02;
/// …but may always use this many bits (small row groups).
pub const MIN_CAP_BITS: usize = 16 * 1024;
/// Absolute cap on one filter (2 MiB).
const MAX_BITS: usize = 1 << 24;

fn mix(trigram: u32) -> u64 {
    let mut h = (trigram as u64).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The trigrams of `bytes`, in order, with repeats.
fn trigrams(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.windows(3).map(|w| (w[0] as u32) << 16 | (w[1] as u32) << 8 | w[2] as u32)
}

/// The Bloom filter of one row group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrigramBloom {
    words: Vec<u64>,
}

impl TrigramBloom {
    fn with_bits(bits: usize) -> Self {
        TrigramBloom { words: vec![0; bits.div_ceil(64).max(1)] }
    }

    fn probes(&self, h: u64) -> [usize; 2] {
        let m = self.words.len() as u64 * 64;
        [(((h & 0xFFFF_FFFF) * m) >> 32) as usize, (((h >> 32) * m) >> 32) as usize]
    }

    fn insert(&mut self, trigram: u32) {
        for p in self.probes(mix(trigram)) {
            self.words[p / 64] |= 1 << (p % 64);
        }
    }

    fn contains_hash(&self, h: u64) -> bool {
        self.probes(h).iter().all(|&p| self.words[p / 64] & (1 << (p % 64)) != 0)
    }

    /// False only when some trigram of `literal` is certainly absent, i.e. no message of the
    /// row group contains `literal`. Literals shorter than 3 bytes: always true.
    pub fn may_contain_substring(&self, literal: &[u8]) -> bool {
        self.may_contain(&Needle::new(literal))
    }

    /// [`Self::may_contain_substring`] for a prepared literal.
    pub fn may_contain(&self, needle: &Needle) -> bool {
        needle.hashes.iter().all(|&h| self.contains_hash(h))
    }

    /// Size of the filter in bytes.
    pub fn byte_len(&self) -> usize {
        self.words.len() * 8
    }

    /// Fraction of bits set (for reports; ≈ 0.22 at the design load of 8 bits per trigram).
    pub fn fill_ratio(&self) -> f64 {
        let ones: u32 = self.words.iter().map(|w| w.count_ones()).sum();
        ones as f64 / (self.words.len() * 64) as f64
    }
}

/// A literal prepared for lookups: the hashes of its distinct trigrams.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Needle {
    hashes: Vec<u64>,
}

impl Needle {
    pub fn new(literal: &[u8]) -> Self {
        let mut ts: Vec<u32> = trigrams(literal).collect();
        ts.sort_unstable();
        ts.dedup();
        Needle { hashes: ts.into_iter().map(mix).collect() }
    }

    /// True when the literal has no trigram (shorter than 3 bytes): it can prune nothing.
    pub fn is_trivial(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// Builds row-group filters; keeps its 2 MiB dedup bitset between row groups.
pub(crate) struct Builder {
    seen: Vec<u64>,
    distinct: Vec<u32>,
}

impl Builder {
    pub fn new() -> Self {
        Builder { seen: vec![0; (1 << 24) / 64], distinct: Vec::new() }
    }

    /// The filter of `messages[rows]`, of at most `max_bits` bits.
    pub fn row_group(&mut self, messages: &StringArray, rows: Range<usize>, max_bits: usize) -> TrigramBloom {
        self.distinct.clear();
        for i in rows {
            if messages.is_valid(i) {
                self.add(messages.value(i).as_bytes());
            }
        }
        let bits = (self.distinct.len() * BITS_PER_TRIGRAM).min(max_bits.clamp(64, MAX_BITS));
        let mut bloom = TrigramBloom::with_bits(bits);
        for &t in &self.distinct {
            bloom.insert(t);
            // Every set bit of `seen` belongs to a distinct trigram: clearing their words
            // resets the bitset.
            self.seen[(t >> 6) as usize] = 0;
        }
        bloom
    }

    fn add(&mut self, bytes: &[u8]) {
        for t in trigrams(bytes) {
            let (word, bit) = ((t >> 6) as usize, 1u64 << (t & 63));
            if self.seen[word] & bit == 0 {
                self.seen[word] |= bit;
                self.distinct.push(t);
            }
        }
    }
}

/// The largest filter a row group of `compressed_bytes` gets.
fn cap_bits(compressed_bytes: i64) -> usize {
    let fraction = (compressed_bytes.max(0) as f64 * 8.0 * MAX_FRACTION_OF_ROW_GROUP) as usize;
    fraction.max(MIN_CAP_BITS)
}

/// Builds the index of a segment whose `messages` (in file order) were written as `row_groups`.
pub(crate) fn build(messages: &StringArray, row_groups: &[RowGroupMetaData]) -> SegmentIndex {
    let mut builder = Builder::new();
    let mut start = 0usize;
    let mut blooms = Vec::with_capacity(row_groups.len());
    for rg in row_groups {
        let end = (start + rg.num_rows().max(0) as usize).min(messages.len());
        blooms.push(Some(builder.row_group(messages, start..end, cap_bits(rg.compressed_size()))));
        start = end;
    }
    SegmentIndex { blooms }
}

/// The decoded index of one segment: a filter per row group (`None`: not indexed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentIndex {
    blooms: Vec<Option<TrigramBloom>>,
}

impl SegmentIndex {
    pub fn row_groups(&self) -> usize {
        self.blooms.len()
    }

    /// Whether row group `row_group` may hold a message containing `needle` (true when the
    /// row group is not indexed or out of range).
    pub fn may_contain(&self, row_group: usize, needle: &Needle) -> bool {
        match self.blooms.get(row_group) {
            Some(Some(bloom)) => bloom.may_contain(needle),
            _ => true,
        }
    }

    /// The filter of a row group.
    pub fn bloom(&self, row_group: usize) -> Option<&TrigramBloom> {
        self.blooms.get(row_group)?.as_ref()
    }

    /// Bytes of the filters (decoded).
    pub fn byte_len(&self) -> usize {
        self.blooms.iter().flatten().map(TrigramBloom::byte_len).sum()
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + 4 * self.blooms.len() + self.byte_len());
        out.push(VERSION);
        out.extend_from_slice(&(self.blooms.len() as u32).to_le_bytes());
        for bloom in &self.blooms {
            let words = bloom.as_ref().map_or(0, |b| b.words.len());
            out.extend_from_slice(&(words as u32).to_le_bytes());
        }
        for bloom in self.blooms.iter().flatten() {
            for w in &bloom.words {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (&version, rest) = bytes.split_first()?;
        if version != VERSION {
            return None;
        }
        let (count, mut rest) = rest.split_first_chunk::<4>()?;
        let count = u32::from_le_bytes(*count) as usize;
        let mut lengths = Vec::with_capacity(count.min(rest.len() / 4));
        for _ in 0..count {
            let (len, tail) = rest.split_first_chunk::<4>()?;
            lengths.push(u32::from_le_bytes(*len) as usize);
            rest = tail;
        }
        let mut blooms = Vec::with_capacity(count);
        for words in lengths {
            if words == 0 {
                blooms.push(None);
                continue;
            }
            let (data, tail) = rest.split_at_checked(words.checked_mul(8)?)?;
            let words = data.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
            blooms.push(Some(TrigramBloom { words }));
            rest = tail;
        }
        rest.is_empty().then_some(SegmentIndex { blooms })
    }

    /// The footer value: base64 of the binary format.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_bytes())
    }

    /// Parses a footer value; `None` when it is malformed.
    pub fn decode(text: &str) -> Option<Self> {
        Self::from_bytes(&base64::engine::general_purpose::STANDARD.decode(text).ok()?)
    }
}

/// Reads the index from a segment's footer (`None`: written without one, or unreadable).
pub fn read_segment_index(path: &Path) -> Result<Option<SegmentIndex>> {
    Ok(crate::footer::read_segment_footer(path)?.index.map(Arc::unwrap_or_clone))
}

/// The index of the segment at `path` of `file_bytes` bytes, from the footer cache
/// ([`crate::footer::segment_footer`]). `None` when the segment has no index or cannot be
/// read: read every row group.
pub fn segment_index(path: &Path, file_bytes: u64) -> Option<Arc<SegmentIndex>> {
    crate::footer::segment_footer(path, file_bytes)?.index.clone()
}

/// The index in a footer's key-value metadata, checked against the file's row groups.
pub(crate) fn from_footer(path: &Path, metadata: &ParquetMetaData) -> Option<SegmentIndex> {
    let value = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kvs| kvs.iter().find(|kv| kv.key == INDEX_KEY))
        .and_then(|kv| kv.value.as_deref())?;
    match SegmentIndex::decode(value) {
        Some(index) if index.row_groups() == metadata.num_row_groups() => Some(index),
        _ => {
            tracing::warn!(path = %path.display(), "ignoring a malformed substring index");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic xorshift generator (no dependency).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// Random bytes of `alphabet`; may split a multi-byte char (lossy to a String).
        fn text(&mut self, alphabet: &[u8], len: usize) -> String {
            let bytes: Vec<u8> = (0..len).map(|_| alphabet[self.below(alphabet.len() as u64) as usize]).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }

    fn index_of(groups: &[Vec<String>], max_bits: usize) -> SegmentIndex {
        let mut builder = Builder::new();
        let blooms = groups
            .iter()
            .map(|messages| {
                let array = StringArray::from(messages.clone());
                Some(builder.row_group(&array, 0..array.len(), max_bits))
            })
            .collect();
        SegmentIndex { blooms }
    }

    #[test]
    fn no_false_negatives_for_substrings_of_random_messages() {
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        let alphabets: [&[u8]; 3] = [b"ab", b"abcdefghij -", "héllo wörld ☃ 0123456789abcdef".as_bytes()];
        for round in 0..60 {
            let alphabet = alphabets[round % 3];
            let groups: Vec<Vec<String>> = (0..3)
                .map(|_| {
                    (0..rng.below(200) + 1)
                        .map(|_| {
                            let len = rng.below(80) as usize;
                            rng.text(alphabet, len)
                        })
                        .collect()
                })
                .collect();
            // Tiny caps saturate the filters; they must still never deny a present literal.
            let max_bits = [64, 1024, MIN_CAP_BITS][round % 3];
            let index = index_of(&groups, max_bits);
            let encoded = SegmentIndex::decode(&index.encode()).unwrap();
            assert_eq!(encoded, index);
            for (rg, messages) in groups.iter().enumerate() {
                for message in messages {
                    let bytes = message.as_bytes();
                    for _ in 0..5 {
                        if bytes.is_empty() {
                            break;
                        }
                        let start = rng.below(bytes.len() as u64) as usize;
                        let end = start + rng.below((bytes.len() - start) as u64 + 1) as usize;
                        let literal = &bytes[start..end];
                        assert!(
                            index.may_contain(rg, &Needle::new(literal)),
                            "row group {rg} denies {literal:?} of {message:?}"
                        );
                        assert!(index.bloom(rg).unwrap().may_contain_substring(literal));
                    }
                }
            }
        }
    }

    #[test]
    fn absent_literals_are_mostly_rejected() {
        let mut rng = Rng(42);
        let messages: Vec<String> =
            (0..5000).map(|i| format!("GET /api/items/{i} 200 {}", rng.text(b"0123456789abcdef", 12))).collect();
        // Room for every trigram at the design rate (8 bits each).
        let index = index_of(&[messages], 1 << 16);
        let bloom = index.bloom(0).unwrap();
        assert!(bloom.may_contain_substring(b"/api/items/42"));
        assert!(!bloom.may_contain_substring(b"needle-0123abcd4567"));
        assert!(!bloom.may_contain_substring(b"POST"));
        // Shorter than a trigram: cannot prune.
        assert!(bloom.may_contain_substring(b"zz"));
        assert!(bloom.may_contain_substring(b""));
        // Per-trigram false positives near the design rate: unseen trigrams of letters x..z.
        let unseen: Vec<Vec<u8>> = (b'x'..=b'z')
            .flat_map(|a| (b'x'..=b'z').flat_map(move |b| (b'q'..=b'z').map(move |c| vec![a, b, c])))
            .collect();
        let hits = unseen.iter().filter(|t| bloom.may_contain_substring(t)).count();
        assert!(hits * 100 <= unseen.len() * 15, "{hits} of {} unseen trigrams hit", unseen.len());
    }

    #[test]
    fn format_is_stable() {
        let index = index_of(&[vec!["abc".to_string()], vec![]], 1 << 20);
        // One 64-bit word per filter (the minimum); "abc" sets two bits of the first.
        let bytes = index.to_bytes();
        assert_eq!(&bytes[..13], &[1, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
        let word = u64::from_le_bytes(bytes[13..21].try_into().unwrap());
        let h = mix(0x616263);
        let expected = (1u64 << (((h & 0xFFFF_FFFF) * 64) >> 32)) | (1u64 << (((h >> 32) * 64) >> 32));
        assert_eq!(word, expected);
        assert_eq!(mix(0x616263), 0x6195_F102_1D1F_F292, "the hash is part of the format");
        assert!(SegmentIndex::decode("not base64!").is_none());
        assert!(SegmentIndex::from_bytes(&bytes[..bytes.len() - 1]).is_none());
        let mut other_version = bytes.clone();
        other_version[0] = 2;
        assert!(SegmentIndex::from_bytes(&other_version).is_none());
    }

    #[test]
    fn sizes_follow_distinct_trigrams_and_caps() {
        // All 4096 hex trigrams: 32 Ki bits uncapped, 16 Ki or 8 Ki bits when capped there.
        let hex: Vec<String> = (0..20_000).map(|i| format!("{:06x}", i * 7919)).collect();
        assert_eq!(index_of(std::slice::from_ref(&hex), 1 << 20).bloom(0).unwrap().byte_len(), 4096);
        assert_eq!(index_of(std::slice::from_ref(&hex), MIN_CAP_BITS).bloom(0).unwrap().byte_len(), 2048);
        assert_eq!(index_of(&[hex], 8192).bloom(0).unwrap().byte_len(), 1024);
        let small = index_of(&[vec!["hello world".into()]], MIN_CAP_BITS);
        assert_eq!(small.bloom(0).unwrap().byte_len(), 16); // 9 trigrams × 8 bits → 2 words
        assert_eq!(cap_bits(0), MIN_CAP_BITS);
        assert_eq!(cap_bits(10 << 20), (10 << 20) * 8 / 50);
    }
}
