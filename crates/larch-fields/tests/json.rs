//! Table-driven tests of JSON discovery.

use larch_fields::{FieldValue, MAX_FIELDS, discover, get_field};

fn s(v: &str) -> Option<FieldValue<'static>> {
    Some(FieldValue::Str(v.to_owned().into()))
}
fn i(v: i64) -> Option<FieldValue<'static>> {
    Some(FieldValue::Int(v))
}
fn n(v: f64) -> Option<FieldValue<'static>> {
    Some(FieldValue::Num(v))
}
fn b(v: bool) -> Option<FieldValue<'static>> {
    Some(FieldValue::Bool(v))
}

#[test]
fn lookups() {
    let table: &[(&str, &str, Option<FieldValue<'static>>)] = &[
        // top level, types
        (r#"{"a":"x"}"#, "a", s("x")),
        (r#"{"a":1}"#, "a", i(1)),
        (r#"{"a":-0}"#, "a", i(0)),
        (r#"{"a":1.5}"#, "a", n(1.5)),
        (r#"{"a":1e3}"#, "a", n(1000.0)),
        (r#"{"a":9223372036854775807}"#, "a", i(i64::MAX)),
        (r#"{"a":9223372036854775808}"#, "a", n(2f64.powi(63))),
        (r#"{"a":true}"#, "a", b(true)),
        (r#"{"a":false}"#, "a", b(false)),
        (r#"{"a":null}"#, "a", None),
        (r#"{"a":{}}"#, "a", None),
        (r#"{"a":[]}"#, "a", None),
        (r#"{"a":{"b":1}}"#, "a", None),
        (r#"{"a":1}"#, "b", None),
        (r#"{"a":1}"#, "", None),
        // nesting
        (r#"{"a":{"b":{"c":"deep"}}}"#, "a.b.c", s("deep")),
        (r#"{"a":{"b":1},"c":2}"#, "c", i(2)),
        (r#"{"a":{"b":1}}"#, "a.c", None),
        (r#"{"a":{"b":1}}"#, "a.b.c", None),
        // arrays
        (r#"{"items":[{"id":7},{"id":8}]}"#, "items.0.id", i(7)),
        (r#"{"items":[{"id":7},{"id":8}]}"#, "items.1.id", i(8)),
        (r#"{"items":[{"id":7},{"id":8}]}"#, "items.2.id", None),
        (r#"{"t":["x","y"]}"#, "t.1", s("y")),
        (r#"{"t":["x","y"]}"#, "t.01", None),
        (r#"{"t":["x","y"]}"#, "t.-1", None),
        (r#"{"t":[[1,2],[3,[4,5]]]}"#, "t.1.1.0", i(4)),
        (r#"{"t":[null,5]}"#, "t.1", i(5)),
        (r#"{"t":[null,5]}"#, "t.0", None),
        // keys with dots / empty / escapes / unicode
        (r#"{"a.b":1}"#, "a.b", i(1)),
        (r#"{"a.b":{"c":2}}"#, "a.b.c", i(2)),
        (r#"{"a":{"b.c":3}}"#, "a.b.c", i(3)),
        (r#"{"":{"":4}}"#, ".", i(4)),
        (r#"{"":1}"#, "", i(1)),
        (r#"{"k\u0065y":"v"}"#, "key", s("v")),
        (r#"{"k":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00"}"#, "k", s("a\"b\\c/d\n\té😀")),
        (r#"{"k":"\ud800x"}"#, "k", s("\u{FFFD}x")),
        (r#"{"ключ":{"名前":"値"}}"#, "ключ.名前", s("値")),
        (r#"{"emoji😀":"✓"}"#, "emoji😀", s("✓")),
        // duplicates: first wins
        (r#"{"a":1,"a":2}"#, "a", i(1)),
        (r#"{"a":null,"a":2}"#, "a", i(2)),
        (r#"{"a.b":1,"a":{"b":2}}"#, "a.b", i(1)),
        (r#"{"a":{"b":2},"a.b":1}"#, "a.b", i(2)),
        (r#"{"a":{"x":0},"a":{"b":5}}"#, "a.b", i(5)),
        // @ names
        (r#"{"@example.com":"e"}"#, "@@example.com", s("e")),
        (r#"{"@example.com":"e"}"#, "@example.com", None),
        (r#"{"@a":{"b":1}}"#, "@@a.b", i(1)),
        (r#"{"x":{"@b":1}}"#, "x.@b", i(1)),
        (r#"{"x":{"@b":1}}"#, "x.@@b", None),
        (r#"{"@@a":1}"#, "@@@a", i(1)),
        // JSON inside a string is an opaque string leaf
        (r#"{"inner":"{\"a\":1}"}"#, "inner", s(r#"{"a":1}"#)),
        (r#"{"inner":"{\"a\":1}"}"#, "inner.a", None),
        // whitespace
        (" \n\t{ \"a\" : [ 1 , { \"b\" : 2 } ] } \r\n", "a.1.b", i(2)),
        // embedded fragment after a text prefix
        ("2024-01-01T00:00:00.000Z\tc0ffee\tINFO\t{\"a\":1}", "a", i(1)),
        ("prefix {\"a\":{\"b\":\"x\"}} suffix {\"c\":1}", "a.b", s("x")),
        ("prefix {\"a\":1} suffix {\"c\":1}", "c", None),
        ("[INFO] user {\"id\": 42} logged in", "id", i(42)),
        ("{\"a\":1} trailing", "a", i(1)),
        ("{\"a\":1}{\"b\":2}", "b", None),
        ("[{\"a\":1}]", "a", i(1)),
        // only the first '{' is tried
        ("set {x} then {\"a\":1}", "a", None),
        // invalid JSON: no fields
        (r#"{"a":1"#, "a", None),
        (r#"{"a":1,}"#, "a", None),
        (r#"{'a':1}"#, "a", None),
        (r#"{"a":NaN}"#, "a", None),
        (r#"{"a":01}"#, "a", None),
        (r#"{"a":1.}"#, "a", None),
        (r#"{"a":"x","b":tru}"#, "a", None),
        ("{\"a\":\"raw\ttab\"}", "a", None),
        (r#"{"a":"\x"}"#, "a", None),
        (r#"{"a":1 "b":2}"#, "a", None),
        (r#"{"a":[1,2}"#, "a", None),
        (r#"{"a" 1}"#, "a", None),
        ("plain text line", "a", None),
        ("", "a", None),
    ];
    for (msg, name, want) in table {
        assert_eq!(&get_field(msg, name), want, "get_field({msg:?}, {name:?})");
        let listed = discover(msg).into_iter().find(|(n, _)| n == name).map(|(_, v)| v);
        assert_eq!(&listed, want, "discover({msg:?}) → {name:?}");
    }
}

#[test]
fn discover_lists_leaves_in_document_order() {
    let msg = r#"{"b":1,"a":{"z":true,"y":[1,"two",{"k":null},{"k2":2.5}]},"@at":"x","e":{},"n":null}"#;
    let got = discover(msg);
    let want: Vec<(String, FieldValue<'_>)> = vec![
        ("b".into(), FieldValue::Int(1)),
        ("a.z".into(), FieldValue::Bool(true)),
        ("a.y.0".into(), FieldValue::Int(1)),
        ("a.y.1".into(), FieldValue::Str("two".into())),
        ("a.y.3.k2".into(), FieldValue::Num(2.5)),
        ("@@at".into(), FieldValue::Str("x".into())),
    ];
    assert_eq!(got, want);
}

#[test]
fn discover_lists_each_name_once() {
    let got = discover(r#"{"a.b":1,"a":{"b":2,"c":3},"c":4,"c":5}"#);
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.b", "a.c", "c"]);
    assert_eq!(got[0].1, FieldValue::Int(1));
    assert_eq!(got[2].1, FieldValue::Int(4));
}

#[test]
fn strings_borrow_unless_escaped() {
    let msg = r#"{"plain":"abc","esc":"a\nb"}"#;
    assert!(matches!(get_field(msg, "plain"), Some(FieldValue::Str(std::borrow::Cow::Borrowed("abc")))));
    assert!(matches!(get_field(msg, "esc"), Some(FieldValue::Str(std::borrow::Cow::Owned(_)))));
}

fn object_with(leaves: usize, prefix: &str) -> String {
    let body: Vec<String> = (0..leaves).map(|k| format!("\"{prefix}{k}\":{k}")).collect();
    format!("{{{}}}", body.join(","))
}

#[test]
fn at_most_200_leaves_are_discoverable() {
    assert_eq!(MAX_FIELDS, 200);
    let msg = object_with(250, "f");
    let got = discover(&msg);
    assert_eq!(got.len(), 200);
    assert_eq!(got[199].0, "f199");
    assert_eq!(get_field(&msg, "f0"), Some(FieldValue::Int(0)));
    assert_eq!(get_field(&msg, "f199"), Some(FieldValue::Int(199)));
    assert_eq!(get_field(&msg, "f200"), None);
    assert_eq!(get_field(&msg, "f249"), None);
}

#[test]
fn cap_counts_nested_leaves_and_skips_nulls() {
    // 150 leaves in an array, then nulls (not counted), then 60 more leaves.
    let arr: Vec<String> = (0..150).map(|k| k.to_string()).collect();
    let nulls: Vec<String> = (0..30).map(|k| format!("\"n{k}\":null")).collect();
    let tail: Vec<String> = (0..60).map(|k| format!("\"t{k}\":{{\"v\":{k}}}")).collect();
    let msg = format!("{{\"arr\":[{}],{},{}}}", arr.join(","), nulls.join(","), tail.join(","));
    assert_eq!(get_field(&msg, "arr.149"), Some(FieldValue::Int(149)));
    assert_eq!(get_field(&msg, "t49.v"), Some(FieldValue::Int(49)));
    assert_eq!(get_field(&msg, "t50.v"), None);
    assert_eq!(get_field(&msg, "n0"), None);
    let got = discover(&msg);
    assert_eq!(got.len(), 200);
    assert_eq!(got.last().map(|(n, _)| n.as_str()), Some("t49.v"));
}

#[test]
fn cap_counts_duplicates_as_leaves() {
    // 200 copies of "d" use up the cap: "z" after them is not discoverable.
    let dups: Vec<String> = (0..200).map(|k| format!("\"d\":{k}")).collect();
    let msg = format!("{{{},\"z\":1}}", dups.join(","));
    assert_eq!(get_field(&msg, "d"), Some(FieldValue::Int(0)));
    assert_eq!(get_field(&msg, "z"), None);
    assert_eq!(discover(&msg).len(), 1);
}

#[test]
fn depth_limit() {
    let ok = format!("{}1{}", "{\"a\":".repeat(128), "}".repeat(128));
    let name = vec!["a"; 128].join(".");
    assert_eq!(get_field(&ok, &name), Some(FieldValue::Int(1)));
    let deep = format!("{}1{}", "{\"a\":".repeat(129), "}".repeat(129));
    assert_eq!(get_field(&deep, &(name + ".a")), None);
    assert!(discover(&deep).is_empty());
    // Too deep anywhere invalidates the whole object, also for a lookup that never goes there.
    let elsewhere = format!("{{\"a\":1,\"b\":{}1{}}}", "[".repeat(128), "]".repeat(128));
    assert_eq!(get_field(&elsewhere, "a"), None);
    assert!(discover(&elsewhere).is_empty());
    let fits = format!("{{\"a\":1,\"b\":{}1{}}}", "[".repeat(127), "]".repeat(127));
    assert_eq!(get_field(&fits, "a"), Some(FieldValue::Int(1)));
    assert_eq!(discover(&fits).len(), 2);
    // Mismatched brackets after the hit.
    assert_eq!(get_field(r#"{"a":1,"b":[1}"#, "a"), None);
    assert_eq!(get_field(r#"{"a":[1},"b":2}"#, "b"), None);
    // Very deep garbage does not overflow the stack.
    let bomb = "[".repeat(1_000_000);
    assert!(discover(&format!("{{\"a\":{bomb}")).is_empty());
}

#[test]
fn system_and_unknown_at_names_are_never_discovered() {
    let msg = r#"{"@timestamp":1,"@message":"m","timestamp":2}"#;
    assert_eq!(get_field(msg, "@timestamp"), None);
    assert_eq!(get_field(msg, "@message"), None);
    assert_eq!(get_field(msg, "@@timestamp"), Some(FieldValue::Int(1)));
    assert_eq!(get_field(msg, "timestamp"), Some(FieldValue::Int(2)));
    assert_eq!(get_field(msg, "@"), None);
    assert_eq!(get_field(msg, "@@"), None);
}

/// Strings are scanned eight bytes at a time: a quote, escape or control character at any
/// offset of a word (after bytes that are close to them in value) must be found exactly there.
#[test]
fn string_specials_at_every_offset() {
    for pad in 0..20 {
        // '!' (0x21) and ']' (0x5d) sit next to '"' (0x22) and '\\' (0x5c) in value.
        let text: String = (0..pad).map(|k| if k % 2 == 0 { '!' } else { ']' }).collect();
        let plain = format!(r#"{{"a":"{text}","b":1}}"#);
        assert_eq!(get_field(&plain, "a"), s(&text), "{plain}");
        assert_eq!(get_field(&plain, "b"), i(1), "{plain}");
        let escaped = format!(r#"{{"a":"{text}\"q","b":1}}"#);
        assert_eq!(get_field(&escaped, "a"), s(&format!("{text}\"q")), "{escaped}");
        assert_eq!(get_field(&escaped, "b"), i(1), "{escaped}");
        let control = format!("{{\"a\":\"{text}\u{1f}\",\"b\":1}}");
        assert_eq!(get_field(&control, "b"), None, "{control:?}");
    }
}
