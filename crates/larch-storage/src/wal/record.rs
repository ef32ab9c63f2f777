//! Binary encoding of one WAL record (one PutLogEvents batch).
//!
//! Frame: `[payload_len: u32 LE][crc32c(payload): u32 LE][payload]`.
//! Payload: `kind u8 (=1)`, `group_id u64`, `stream_id u64`, `ingestion_time i64`,
//! `first_seq u64`, `count u32`, then per event `timestamp i64`, `len u32`, UTF-8 bytes.
//! Hand-written because it is on the hot path and trivially small.

use crate::model::{GroupId, NewEvent, StreamId};

const KIND_EVENTS: u8 = 1;
pub(crate) const FRAME_HEADER: usize = 8;

/// A decoded WAL record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WalBatch {
    pub group_id: GroupId,
    pub stream_id: StreamId,
    pub ingestion_time: i64,
    pub first_seq: u64,
    pub events: Vec<NewEvent>,
}

/// Encodes a batch as a complete frame (header included).
pub(crate) fn encode_batch(
    group_id: GroupId,
    stream_id: StreamId,
    ingestion_time: i64,
    first_seq: u64,
    events: &[NewEvent],
) -> Vec<u8> {
    let payload_len: usize = 1 + 8 * 4 + 4 + events.iter().map(|e| 12 + e.message.len()).sum::<usize>();
    let mut buf = Vec::with_capacity(FRAME_HEADER + payload_len);
    buf.extend_from_slice(&(payload_len as u32).to_le_bytes());
    buf.extend_from_slice(&[0u8; 4]); // crc, filled below
    buf.push(KIND_EVENTS);
    buf.extend_from_slice(&group_id.to_le_bytes());
    buf.extend_from_slice(&stream_id.to_le_bytes());
    buf.extend_from_slice(&ingestion_time.to_le_bytes());
    buf.extend_from_slice(&first_seq.to_le_bytes());
    buf.extend_from_slice(&(events.len() as u32).to_le_bytes());
    for e in events {
        buf.extend_from_slice(&e.timestamp.to_le_bytes());
        buf.extend_from_slice(&(e.message.len() as u32).to_le_bytes());
        buf.extend_from_slice(e.message.as_bytes());
    }
    let crc = crc32c::crc32c(&buf[FRAME_HEADER..]);
    buf[4..8].copy_from_slice(&crc.to_le_bytes());
    buf
}

/// Decodes a payload whose CRC was already checked. `None` means the payload is malformed
/// (treated like corruption by the reader).
pub(crate) fn decode_frame_payload(payload: &[u8]) -> Option<WalBatch> {
    let mut r = Cursor { buf: payload, pos: 0 };
    if r.u8()? != KIND_EVENTS {
        return None;
    }
    let group_id = r.u64()?;
    let stream_id = r.u64()?;
    let ingestion_time = r.u64()? as i64;
    let first_seq = r.u64()?;
    let count = r.u32()? as usize;
    // Every event takes at least 12 bytes: refuse counts the payload cannot hold.
    if count > r.remaining() / 12 {
        return None;
    }
    let mut events = Vec::with_capacity(count);
    for _ in 0..count {
        let timestamp = r.u64()? as i64;
        let len = r.u32()? as usize;
        let bytes = r.take(len)?;
        let message = String::from_utf8(bytes.to_vec()).ok()?;
        events.push(NewEvent { timestamp, message });
    }
    if r.remaining() != 0 {
        return None;
    }
    Some(WalBatch { group_id, stream_id, ingestion_time, first_seq, events })
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.remaining() < n {
            return None;
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let events = vec![
            NewEvent { timestamp: 5, message: "hello".into() },
            NewEvent { timestamp: 6, message: "wörld".into() },
        ];
        let frame = encode_batch(1, 2, 3, 4, &events);
        let len = u32::from_le_bytes(frame[0..4].try_into().unwrap()) as usize;
        assert_eq!(len, frame.len() - FRAME_HEADER);
        let crc = u32::from_le_bytes(frame[4..8].try_into().unwrap());
        assert_eq!(crc, crc32c::crc32c(&frame[8..]));
        let batch = decode_frame_payload(&frame[8..]).unwrap();
        assert_eq!(batch.events, events);
        assert_eq!((batch.group_id, batch.stream_id, batch.ingestion_time, batch.first_seq), (1, 2, 3, 4));
    }

    #[test]
    fn malformed_payloads_are_rejected_not_panicking() {
        let frame = encode_batch(1, 2, 3, 4, &[NewEvent { timestamp: 1, message: "x".into() }]);
        for cut in 0..frame.len() - FRAME_HEADER {
            assert!(decode_frame_payload(&frame[8..8 + cut]).is_none());
        }
        let mut huge_count = frame[8..].to_vec();
        huge_count[33..37].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_frame_payload(&huge_count).is_none());
    }
}
