//! Property tests: agreement with a serde_json-based reference, `discover` / `get_field`
//! consistency, and no panics on arbitrary input.

use larch_fields::{FieldValue, MAX_FIELDS, discover, get_field, get_fields};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys without `.` (so flattened names are unique), with characters that need escaping.
fn key() -> impl Strategy<Value = String> {
    "[a-c@_ é\"\\\\\n😀]{0,3}"
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[a-z {}\"\\\\:,\t\u{e9}\u{1F600}]{0,8}".prop_map(Value::from),
        Just(Value::from(u64::MAX)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 400, 14, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..14).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..14)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), json_value(), 0..16)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// Reference flattening over serde_json's tree (its maps iterate in the same sorted order
/// `to_string` writes them).
fn reference(v: &Value, nested: bool, path: &mut String, out: &mut Vec<(String, FieldValue<'static>)>) {
    let mut child = |segment: &str, child_value: &Value, out: &mut Vec<_>| {
        let base = path.len();
        if nested {
            path.push('.');
        }
        path.push_str(segment);
        reference(child_value, true, path, out);
        path.truncate(base);
    };
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| child(k, v, out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| child(&i.to_string(), v, out)),
        Value::Null => {}
        leaf => {
            let value = match leaf {
                Value::Bool(b) => FieldValue::Bool(*b),
                Value::String(s) => FieldValue::Str(s.clone().into()),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => FieldValue::Int(i),
                    None => FieldValue::Num(n.as_f64().unwrap_or(f64::NAN)),
                },
                _ => unreachable!(),
            };
            let name = if path.starts_with('@') { format!("@{path}") } else { path.clone() };
            out.push((name, value));
        }
    }
}

fn expected(v: &Value) -> Vec<(String, FieldValue<'static>)> {
    let mut out = Vec::new();
    reference(v, false, &mut String::new(), &mut out);
    out.truncate(MAX_FIELDS);
    out
}

fn assert_consistent(msg: &str) {
    let listed = discover(msg);
    for (name, value) in &listed {
        assert_eq!(get_field(msg, name).as_ref(), Some(value), "name {name:?} in {msg:?}");
    }
    // get_fields answers like get_field for listed names, absent names and duplicates alike.
    let mut names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    names.extend(["absent", "a", "a.b", "@type", "@duration", "@@a"]);
    names.extend(listed.iter().take(2).map(|(n, _)| n.as_str()));
    let many = get_fields(msg, &names);
    for (name, got) in names.iter().zip(many) {
        assert_eq!(got, get_field(msg, name), "get_fields {name:?} in {msg:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn matches_reference_and_get_field_agrees(obj in json_object(), pretty in any::<bool>()) {
        let msg = if pretty {
            serde_json::to_string_pretty(&obj).unwrap()
        } else {
            serde_json::to_string(&obj).unwrap()
        };
        let want = expected(&obj);
        prop_assert_eq!(discover(&msg), want.clone());
        assert_consistent(&msg);
        for (name, value) in &want {
            let got = get_field(&msg, name);
            prop_assert_eq!(got.as_ref(), Some(value), "{}", name);
        }
    }

    #[test]
    fn embedded_after_prefix(obj in json_object(), prefix in "[^{]{0,40}", suffix in ".{0,20}") {
        let msg = format!("{prefix}{}{suffix}", serde_json::to_string(&obj).unwrap());
        let got = discover(&msg);
        let lambda_prefix = ["START ", "END ", "REPORT ", "INIT_", "RESTORE_"]
            .iter()
            .any(|p| msg.starts_with(p));
        if !lambda_prefix {
            prop_assert_eq!(got, expected(&obj));
        }
        assert_consistent(&msg);
    }

    #[test]
    fn never_panics_on_arbitrary_text(msg in ".{0,200}", name in ".{0,12}") {
        let _ = get_field(&msg, &name);
        assert_consistent(&msg);
    }

    #[test]
    fn never_panics_on_damaged_json(obj in json_object(), cut in any::<prop::sample::Index>(),
                                    insert in "[{}\\[\\]\",:\\\\a1 .@-]{0,3}") {
        let text = serde_json::to_string(&obj).unwrap();
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        for msg in [format!("{}{insert}{}", &text[..at], &text[at..]), text[..at].to_owned()] {
            assert_consistent(&msg);
            let listed = discover(&msg);
            for (name, _) in expected(&obj) {
                let want = listed.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
                let got = get_field(&msg, &name);
                prop_assert_eq!(got.as_ref(), want, "{} in {:?}", name, msg);
            }
        }
    }

    #[test]
    fn lambda_like_lines_never_panic(kind in "(START|END|REPORT|INIT_START|INIT_REPORT|RESTORE_REPORT) ",
                                     rest in "[A-Za-z: \t\n.0-9-]{0,120}") {
        let msg = format!("{kind}{rest}");
        assert_consistent(&msg);
        let _ = get_field(&msg, "@duration");
    }
}
