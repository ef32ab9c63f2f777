//! Logs Insights **field discovery** on an event's `@message` (spec §2.4): flattened JSON
//! leaves and the Lambda platform fields, as a pure, allocation-light, panic-free library for
//! the query engine's UDFs.
//!
//! ```
//! use larch_fields::{FieldValue, discover, get_field};
//!
//! let msg = r#"{"user":{"id":7,"@home":"x"},"items":[{"sku":"a-1"}],"ok":true,"gone":null}"#;
//! assert_eq!(get_field(msg, "user.id"), Some(FieldValue::Int(7)));
//! assert_eq!(get_field(msg, "items.0.sku").unwrap().render(), "a-1");
//! assert_eq!(get_field(msg, "gone"), None);
//! let names: Vec<String> = discover(msg).into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["user.id", "user.@home", "items.0.sku", "ok"]);
//! assert_eq!(get_field(r#"{"@example.com":1}"#, "@@example.com"), Some(FieldValue::Int(1)));
//!
//! let report = "REPORT RequestId: 8f5\tDuration: 102.25 ms\tBilled Duration: 103 ms\t\
//!               Memory Size: 128 MB\tMax Memory Used: 70 MB\t";
//! assert_eq!(get_field(report, "@duration"), Some(FieldValue::Num(102.25)));
//! assert_eq!(get_field(report, "@memorySize"), Some(FieldValue::Int(128_000_000)));
//! assert_eq!(get_field(report, "@type").unwrap().render(), "REPORT");
//! ```
//!
//! # Rules
//!
//! * **JSON.** The message's JSON object starts at its first `{` (so a whole-JSON message,
//!   with any surrounding whitespace, and a text line with an embedded object such as
//!   Lambda's `2024-…Z\t<id>\tINFO\t{"a":1}` are treated alike) and ends where that JSON value
//!   ends; what follows is ignored. Every leaf is a field: objects flatten with `.`
//!   (`a.b`), arrays by numeric index (`items.0.id`). Only the first [`MAX_FIELDS`] (200)
//!   leaves in document order are discoverable. A string holding JSON stays one string leaf.
//!   A flattened name starting with `@` is exposed with an extra `@` (`@@example.com`).
//! * **Lambda text lines** `START`/`END`/`REPORT RequestId: …` (plus `INIT_START`,
//!   `INIT_REPORT`, `RESTORE_START`, `RESTORE_REPORT`), recognised by prefix in any log group,
//!   give `@type`, `@requestId`, `@duration`, `@billedDuration`, `@memorySize`,
//!   `@maxMemoryUsed` (bytes = MB × 1,000,000), `@initDuration`, `@xrayTraceId`,
//!   `@xraySegmentId`.
//! * **Lambda JSON format** (`{"type":"platform.report","record":{…}}` etc.) gives the same
//!   `@` fields in addition to its ordinary JSON leaves.
//! * Values keep their JSON type ([`FieldValue`]): integers exact as `Int`, other numbers
//!   `Num`, strings (escapes decoded, borrowed when possible), booleans.
//!
//! # Layout
//!
//! * `lib.rs` — the public entry points: [`get_field`], [`get_fields`], [`discover`]; name routing.
//! * `value.rs` — [`FieldValue`], [`FieldValue::render`], [`FieldValue::as_f64`].
//! * `system.rs` — [`is_system_field`].
//! * `scan.rs` — byte-level JSON: validating, leaf-counting skip; strings, numbers, escapes.
//! * `json.rs` — locating the object in a message, single-path lookup, flattening, the cap.
//! * `lambda/mod.rs` — the `@` Lambda fields and platform line types; MB → bytes.
//! * `lambda/text.rs` — `START`/`END`/`REPORT`/… text lines.
//! * `lambda/json.rs` — Lambda JSON-format platform events.
//!
//! # Performance
//!
//! [`get_field`] never builds the field map. For JSON it makes one byte-level pass from the
//! first `{`: members off the requested path are skipped (validated, leaves counted for the
//! cap), the path is followed, and after a hit only the rest of the object is validated;
//! strings without escapes are borrowed, and string bodies are scanned eight bytes at a time.
//! For Lambda fields it checks the first byte / prefix and reads segments until the requested
//! label. A name that cannot be discovered (`@timestamp`, `@foo`) is rejected from the name
//! alone; a JSON name on a message without `{` costs one `memchr`-style search. Timings:
//! `cargo test --release -p larch-fields --test speed -- --ignored --nocapture`.
//!
//! # Decisions
//!
//! Behaviour AWS does not document, as implemented here (each has a test):
//!
//! * **`null` is absent**, not a field, and does not count toward the 200 cap. Empty objects
//!   and arrays are not fields either.
//! * **Invalid JSON gives no JSON fields at all** (strict RFC 8259: raw control characters in
//!   strings, trailing commas, single quotes, `NaN` are invalid). Nesting deeper than 128 is
//!   invalid (serde_json's limit). Lone UTF-16 surrogate escapes decode to U+FFFD.
//! * **Only the first `{` is tried.** If the value starting there is not valid JSON, later
//!   `{` are not tried (keeps the scan linear). Consequently a top-level JSON *array* message
//!   exposes the first object inside it.
//! * **Duplicate names: the first leaf in document order wins** (duplicate keys, or `{"a.b":1}`
//!   next to `{"a":{"b":2}}`); [`discover`] lists each name once. The cap counts leaves, not
//!   names.
//! * **Lambda fields come from any log group** whose message starts with a platform prefix;
//!   `START`/`END`/`REPORT` must be followed by `RequestId: `. Labels not in the documented
//!   list (`Version`, `Sampled`, `Restore Duration`, `Status`, …) are not exposed. Numbers keep
//!   their text's type (`103` → `Int`, `102.25` → `Num`). `INIT_REPORT`'s `Init Duration`
//!   gives `@initDuration`.
//! * **Lambda JSON events** are recognised only when the whole message is a JSON object
//!   (first non-blank byte `{`) whose top-level `type` is `platform.*`: `start` → `START`,
//!   `runtimeDone` → `END`, `report` → `REPORT`, `initStart`/`initReport`/`restoreStart`/
//!   `restoreReport` → `INIT_START`/`INIT_REPORT`/`RESTORE_START`/`RESTORE_REPORT`.
//!   `@xrayTraceId` is the `Root=` part of `record.tracing.value`, `@xraySegmentId` is
//!   `record.tracing.spanId`. Text-line fields win over JSON ones on a (contrived) clash.
//! * **The cap applies to JSON leaves only**; the Lambda `@` fields come on top.
//! * **Order of [`discover`]**: Lambda text fields (`@type` first, then line order), Lambda JSON
//!   fields (in the order listed above), then JSON leaves in document order.
//! * **Rendering** ([`FieldValue::render`]): numbers in their shortest round-trip form, no
//!   trailing `.0`, JavaScript-style exponent outside `[1e-7, 1e21)`. `Int` stays exact.
//! * **[`FieldValue::as_f64`]** coerces numeric-looking strings, never booleans.
//! * **System names** ([`is_system_field`]) and unknown `@` names return `None` from
//!   [`get_field`]; `@@x` addresses the JSON path `@x`.

mod json;
mod lambda;
mod scan;
mod system;
mod value;

use std::collections::HashSet;

pub use json::MAX_FIELDS;
pub use system::is_system_field;
pub use value::FieldValue;

use lambda::LambdaField;

/// The value of one discovered field of `message` (`"a.b.0.c"`, `"@duration"`,
/// `"@@example.com"`), or `None` when the event does not have it. Agrees with [`discover`]
/// for every name it lists.
#[inline]
pub fn get_field<'a>(message: &'a str, name: &str) -> Option<FieldValue<'a>> {
    match name.as_bytes() {
        [b'@', b'@', ..] => json_field(message, name.get(1..)?),
        [b'@', ..] => lambda_field(message, LambdaField::from_name(name)?),
        _ => json_field(message, name),
    }
}

/// The values of several discovered fields of `message`, equal to [`get_field`] for each name,
/// with one walk over the JSON object for all top-level names (a lookup per name would walk
/// it once per name).
pub fn get_fields<'a>(message: &'a str, names: &[&str]) -> Vec<Option<FieldValue<'a>>> {
    let top_level = |n: &&str| !n.starts_with('@') && !n.contains('.');
    let mut out: Vec<Option<FieldValue<'a>>> =
        names.iter().map(|n| if top_level(n) { None } else { get_field(message, n) }).collect();
    let wanted: Vec<(usize, &str)> =
        names.iter().enumerate().filter(|(_, n)| top_level(n)).map(|(i, n)| (i, *n)).collect();
    let Some(object) = (!wanted.is_empty()).then(|| json::from_first_brace(message)).flatten() else {
        return out;
    };
    let keys: Vec<&str> = wanted.iter().map(|(_, n)| *n).collect();
    let mut found: Vec<Option<FieldValue<'a>>> = vec![None; keys.len()];
    if json::top_level(object, &keys, &mut found) {
        for ((slot, _), value) in wanted.iter().zip(found) {
            out[*slot] = value;
        }
    }
    out
}

#[inline]
fn json_field<'a>(message: &'a str, path: &str) -> Option<FieldValue<'a>> {
    json::lookup(json::from_first_brace(message)?, path)
}

#[inline]
fn lambda_field(message: &str, field: LambdaField) -> Option<FieldValue<'_>> {
    if let Some(v) = lambda::text::get(message, field) {
        return Some(v);
    }
    lambda::json::get(whole_object(message)?, field)
}

/// The message from its first `{` when the message *is* a JSON object (first non-blank byte
/// `{`); not validated.
#[inline]
fn whole_object(message: &str) -> Option<&str> {
    let b = message.as_bytes();
    let start = scan::skip_ws(b, 0);
    if b.get(start) != Some(&b'{') {
        return None;
    }
    message.get(start..)
}

/// Every discovered field of `message`: Lambda `@` fields, then up to [`MAX_FIELDS`] JSON
/// leaves in document order; each name once (first occurrence wins).
pub fn discover(message: &str) -> Vec<(String, FieldValue<'_>)> {
    let mut out: Vec<(String, FieldValue<'_>)> =
        lambda::text::fields(message).into_iter().map(|(f, v)| (f.name().to_owned(), v)).collect();
    if let Some(object) = json::fragment(message) {
        if whole_object(message).is_some() {
            out.extend(lambda::json::fields(object).into_iter().map(|(f, v)| (f.name().to_owned(), v)));
        }
        out.extend(json::flatten(object));
    }
    dedup_first(&mut out);
    out
}

fn dedup_first(fields: &mut Vec<(String, FieldValue<'_>)>) {
    if fields.len() < 2 {
        return;
    }
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity(fields.len());
        fields.iter().map(|(n, _)| seen.insert(n.as_str())).collect()
    };
    if keep.iter().all(|&k| k) {
        return;
    }
    let mut keep = keep.into_iter();
    fields.retain(|_| keep.next().unwrap_or(true));
}
