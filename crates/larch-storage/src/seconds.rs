//! Per-second totals of a segment: how many events, and how many message bytes, have a
//! timestamp in each second. Stored in the segment's Parquet footer, next to the substring
//! index.
//!
//! GetQueryResults reports `recordsScanned` and `bytesScanned` for the query's time range.
//! Segments wholly inside the range are counted from their catalog metadata, but a segment the
//! range cuts (typically the hour partition at each end, in every log group) would have to be
//! read — its messages decompressed just to sum their lengths — even when the query itself
//! reads only a one-bit term column. Query ranges are whole seconds (StartQuery takes epoch
//! seconds), so totals per second answer every such range exactly, without reading a row.
//!
//! # Format (footer key [`SECONDS_KEY`], value = standard base64 of zstd of)
//!
//! ```text
//! u8       version = 1
//! varint   n, the number of seconds holding at least one event
//! n ×      (zigzag varint: second − previous second (the first: − 0), varint events, varint bytes)
//! ```
//! Seconds are `floor(timestamp_ms / 1000)`, ascending. An hour of events in every second
//! encodes to about 10 KB. Segments written before the key existed have none: their cut
//! segments are read as before.

use arrow::array::{Int64Array, StringArray};
use base64::Engine;

/// Footer key-value metadata key of the per-second totals.
pub const SECONDS_KEY: &str = "larch.second_totals.v1";
const VERSION: u8 = 1;
/// Spans of up to this many seconds (18 h; a 1 MiB array) are counted in a dense array;
/// longer ones (a segment of old events mixed with new ones) are sorted.
const DENSE_SPAN: i64 = 1 << 16;

/// Events and message bytes per second, with prefix sums for range totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondTotals {
    /// Seconds with events, ascending.
    seconds: Vec<i64>,
    /// `events[i]` = events in `seconds[..i]` (one more entry than `seconds`).
    events: Vec<u64>,
    /// `bytes[i]` = message bytes in `seconds[..i]`.
    bytes: Vec<u64>,
}

impl SecondTotals {
    /// Totals of `timestamps[i]` / `messages[i]` (any order).
    pub fn build(timestamps: &Int64Array, messages: &StringArray) -> SecondTotals {
        let offsets = messages.value_offsets();
        let len = |i: usize| (offsets[i + 1] - offsets[i]) as u64;
        let values = timestamps.values();
        let (Some(min), Some(max)) = (values.iter().min(), values.iter().max()) else {
            return SecondTotals::from_sorted(Vec::new());
        };
        let (lo, hi) = (min.div_euclid(1000), max.div_euclid(1000));
        if hi - lo < DENSE_SPAN {
            let mut dense = vec![(0u64, 0u64); (hi - lo + 1) as usize];
            for (i, ts) in values.iter().enumerate() {
                let slot = &mut dense[(ts.div_euclid(1000) - lo) as usize];
                slot.0 += 1;
                slot.1 += len(i);
            }
            let sorted = dense
                .into_iter()
                .enumerate()
                .filter(|(_, (n, _))| *n > 0)
                .map(|(offset, (n, b))| (lo + offset as i64, n, b))
                .collect();
            return SecondTotals::from_sorted(sorted);
        }
        let mut pairs: Vec<(i64, u64)> =
            values.iter().enumerate().map(|(i, ts)| (ts.div_euclid(1000), len(i))).collect();
        pairs.sort_unstable_by_key(|(s, _)| *s);
        let mut sorted: Vec<(i64, u64, u64)> = Vec::new();
        for (second, bytes) in pairs {
            match sorted.last_mut() {
                Some(last) if last.0 == second => {
                    last.1 += 1;
                    last.2 += bytes;
                }
                _ => sorted.push((second, 1, bytes)),
            }
        }
        SecondTotals::from_sorted(sorted)
    }

    /// From (second, events, bytes) entries with ascending, distinct seconds.
    fn from_sorted(entries: Vec<(i64, u64, u64)>) -> SecondTotals {
        let mut totals = SecondTotals {
            seconds: Vec::with_capacity(entries.len()),
            events: Vec::with_capacity(entries.len() + 1),
            bytes: Vec::with_capacity(entries.len() + 1),
        };
        let (mut events, mut bytes) = (0u64, 0u64);
        totals.events.push(0);
        totals.bytes.push(0);
        for (second, n, b) in entries {
            totals.seconds.push(second);
            events += n;
            bytes += b;
            totals.events.push(events);
            totals.bytes.push(bytes);
        }
        totals
    }

    /// Seconds holding events.
    pub fn len(&self) -> usize {
        self.seconds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seconds.is_empty()
    }

    /// (events, message bytes) with `start_ms <= timestamp <= end_ms`; `None` when a bound
    /// falls inside a second that holds events (the totals cannot split it).
    pub fn in_range(&self, start_ms: i64, end_ms: i64) -> Option<(u64, u64)> {
        if start_ms > end_ms {
            return Some((0, 0));
        }
        // Seconds wholly inside: [first_full, past_full).
        let first_full = start_ms.div_euclid(1000) + i64::from(start_ms.rem_euclid(1000) != 0);
        let past_full = end_ms.saturating_add(1).div_euclid(1000);
        let cut_low = (start_ms.rem_euclid(1000) != 0).then(|| start_ms.div_euclid(1000));
        let cut_high = (end_ms.saturating_add(1).rem_euclid(1000) != 0).then_some(past_full);
        if [cut_low, cut_high].into_iter().flatten().any(|s| self.seconds.binary_search(&s).is_ok()) {
            return None;
        }
        let from = self.seconds.partition_point(|s| *s < first_full);
        let to = self.seconds.partition_point(|s| *s < past_full).max(from);
        Some((self.events[to] - self.events[from], self.bytes[to] - self.bytes[from]))
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
        put_varint(&mut out, self.seconds.len() as u64);
        let mut previous = 0i64;
        for (i, second) in self.seconds.iter().enumerate() {
            let delta = second.wrapping_sub(previous);
            put_varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
            put_varint(&mut out, self.events[i + 1] - self.events[i]);
            put_varint(&mut out, self.bytes[i + 1] - self.bytes[i]);
            previous = *second;
        }
        out
    }

    fn from_bytes(data: &[u8]) -> Option<SecondTotals> {
        let (&version, mut rest) = data.split_first()?;
        if version != VERSION {
            return None;
        }
        let n = usize::try_from(get_varint(&mut rest)?).ok()?;
        // Each entry takes at least three bytes: bounds the allocation by the input.
        let mut entries = Vec::with_capacity(n.min(rest.len() / 3));
        let mut previous = 0i64;
        for _ in 0..n {
            let zigzag = get_varint(&mut rest)?;
            let delta = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
            let second = previous.wrapping_add(delta);
            if !entries.is_empty() && second <= previous {
                return None;
            }
            entries.push((second, get_varint(&mut rest)?, get_varint(&mut rest)?));
            previous = second;
        }
        rest.is_empty().then(|| SecondTotals::from_sorted(entries))
    }

    /// The footer value.
    pub fn encode(&self) -> String {
        let raw = self.to_bytes();
        // Level 3 as the data pages; compressing can only fail on allocation, then store raw
        // bytes behind a marker zstd frames never start with.
        let packed = zstd::bulk::compress(&raw, 3).unwrap_or_else(|_| [&[0u8][..], &raw].concat());
        base64::engine::general_purpose::STANDARD.encode(packed)
    }

    /// Parses a footer value; `None` when it is malformed.
    pub fn decode(text: &str) -> Option<SecondTotals> {
        let packed = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
        if let Some(raw) = packed.strip_prefix(&[0u8]) {
            return SecondTotals::from_bytes(raw);
        }
        // An hour of seconds needs well under 1 MiB; the cap bounds a corrupt frame's claim.
        let raw = zstd::bulk::decompress(&packed, 16 << 20).ok()?;
        SecondTotals::from_bytes(&raw)
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(data: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = data.split_first()?;
        *data = rest;
        v |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn totals_of(rows: &[(i64, &str)]) -> SecondTotals {
        let ts = Int64Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>());
        let msgs = StringArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>());
        SecondTotals::build(&ts, &msgs)
    }

    /// What a scan counts: rows with start <= ts <= end.
    fn scanned(rows: &[(i64, &str)], start: i64, end: i64) -> (u64, u64) {
        rows.iter().filter(|r| start <= r.0 && r.0 <= end).fold((0, 0), |(n, b), r| (n + 1, b + r.1.len() as u64))
    }

    #[test]
    fn whole_second_ranges_are_exact_and_cut_seconds_are_refused() {
        let rows = [(1_000, "a"), (1_999, "bb"), (2_500, "ccc"), (5_000, "dddd"), (-1, "neg")];
        let totals = totals_of(&rows);
        assert_eq!(totals.len(), 4);
        assert_eq!(totals.in_range(1_000, 2_999), Some((3, 6)));
        assert_eq!(totals.in_range(2_000, 4_999), Some((1, 3)));
        assert_eq!(totals.in_range(-1_000, 999), Some((1, 3)));
        assert_eq!(totals.in_range(i64::MIN / 2, i64::MAX / 2), Some((5, 13)));
        // A bound inside a second with events cannot be answered; inside an empty one it can.
        assert_eq!(totals.in_range(1_500, 9_999), None);
        assert_eq!(totals.in_range(3_500, 9_999), Some((1, 4)));
        assert_eq!(totals.in_range(0, 5_000), None);
        assert_eq!(totals.in_range(9_000, 1_000), Some((0, 0)));
    }

    #[test]
    fn malformed_values_are_rejected() {
        assert_eq!(SecondTotals::decode("not base64!"), None);
        assert_eq!(SecondTotals::decode(""), None);
        let good = totals_of(&[(1_000, "x")]).encode();
        assert!(SecondTotals::decode(&good).is_some());
        let mut raw = totals_of(&[(1_000, "x"), (3_000, "y")]).to_bytes();
        raw.push(0); // trailing garbage
        let text = base64::engine::general_purpose::STANDARD.encode([&[0u8][..], &raw].concat());
        assert_eq!(SecondTotals::decode(&text), None);
    }

    proptest! {
        /// Every whole-second range (and every range whose cut seconds are empty) matches a scan,
        /// before and after a round trip through the footer encoding; sparse spans take the
        /// sorting path.
        #[test]
        fn range_totals_match_a_scan(
            rows in proptest::collection::vec((-5_000i64..20_000, "[a-z]{0,12}"), 0..200),
            far in proptest::bool::ANY,
            a in -6i64..22, b in -6i64..22, ms_a in 0i64..1000, ms_b in 0i64..1000,
        ) {
            let mut rows: Vec<(i64, String)> = rows;
            if far && !rows.is_empty() {
                rows[0].0 = DENSE_SPAN * 1000 * 3; // forces the sparse path
            }
            let refs: Vec<(i64, &str)> = rows.iter().map(|(t, m)| (*t, m.as_str())).collect();
            let built = totals_of(&refs);
            let decoded = SecondTotals::decode(&built.encode()).unwrap();
            prop_assert_eq!(&decoded, &built);
            let (start, end) = (a.min(b) * 1000, a.max(b) * 1000 + 999);
            prop_assert_eq!(built.in_range(start, end), Some(scanned(&refs, start, end)));
            let (start, end) = (a * 1000 + ms_a, b * 1000 + ms_b);
            if let Some(answer) = built.in_range(start, end) {
                prop_assert_eq!(answer, scanned(&refs, start, end));
            }
        }
    }
}
