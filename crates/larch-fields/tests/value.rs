//! Rendering, numeric coercion and system-field names.

use larch_fields::{FieldValue, is_system_field};

#[test]
fn render() {
    let table: &[(FieldValue<'_>, &str)] = &[
        (FieldValue::Str("héllo \"x\"".into()), "héllo \"x\""),
        (FieldValue::Int(-42), "-42"),
        (FieldValue::Int(i64::MAX), "9223372036854775807"),
        (FieldValue::Num(3.0), "3"),
        (FieldValue::Num(-0.0), "0"),
        (FieldValue::Num(102.25), "102.25"),
        (FieldValue::Num(0.1 + 0.2), "0.30000000000000004"),
        (FieldValue::Num(1e20), "100000000000000000000"),
        (FieldValue::Num(1e21), "1e+21"),
        (FieldValue::Num(-2.5e300), "-2.5e+300"),
        (FieldValue::Num(1e-7), "0.0000001"),
        (FieldValue::Num(1.5e-8), "1.5e-8"),
        (FieldValue::Num(f64::INFINITY), "Infinity"),
        (FieldValue::Num(f64::NAN), "NaN"),
        (FieldValue::Bool(true), "true"),
        (FieldValue::Bool(false), "false"),
    ];
    for (v, want) in table {
        assert_eq!(v.render(), *want, "{v:?}");
    }
}

#[test]
fn as_f64() {
    let table: &[(FieldValue<'_>, Option<f64>)] = &[
        (FieldValue::Int(7), Some(7.0)),
        (FieldValue::Num(1.5), Some(1.5)),
        (FieldValue::Bool(true), None),
        (FieldValue::Str("42".into()), Some(42.0)),
        (FieldValue::Str(" -1.5e3 ".into()), Some(-1500.0)),
        (FieldValue::Str("".into()), None),
        (FieldValue::Str("abc".into()), None),
        (FieldValue::Str("inf".into()), None),
        (FieldValue::Str("NaN".into()), None),
        (FieldValue::Str("0x10".into()), None),
        (FieldValue::Str("1e999".into()), None),
    ];
    for (v, want) in table {
        assert_eq!(v.as_f64(), *want, "{v:?}");
    }
}

#[test]
fn system_fields() {
    for name in [
        "@timestamp",
        "@message",
        "@logStream",
        "@log",
        "@ingestionTime",
        "@ptr",
        "@entity.KeyAttributes.Type",
        "@aws.region",
    ] {
        assert!(is_system_field(name), "{name}");
    }
    for name in ["@type", "@duration", "@@timestamp", "timestamp", "@Timestamp", "@logs", "@entityX", ""] {
        assert!(!is_system_field(name), "{name}");
    }
}

#[test]
fn into_owned_detaches() {
    let owned = {
        let msg = String::from(r#"{"a":"b"}"#);
        larch_fields::get_field(&msg, "a").map(FieldValue::into_owned)
    };
    assert_eq!(owned, Some(FieldValue::Str("b".into())));
}
