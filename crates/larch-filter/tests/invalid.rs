//! Invalid patterns and the exact message the server returns for each.

use larch_filter::{FilterError, FilterPattern, validate_metric_value};

/// (pattern, expected `Display` of the error).
const INVALID: &[(&str, &str)] = &[
    // Terms: anything but letters, digits and `_` must be quoted (AWS wording and quoting).
    ("Status: timeout", "Invalid character(s) in term ':'"),
    ("PlayerSpawnedInWorld (reason: JoinMultiplayer", "Invalid character(s) in term '('"),
    ("ORDER-ITEM-1", "Invalid character(s) in term '-'"),
    ("level\\\":\\\"error", "Invalid character(s) in term '\\'"),
    ("`ERROR`", "Invalid character(s) in term '`'"),
    ("“ERROR“", "Invalid character(s) in term '“'"),
    ("ünïcode", "Invalid character(s) in term 'ü'"),
    ("ERROR %\\d+%", "Invalid character(s) in term '%\\'"),
    ("?", "Invalid filter pattern"),
    ("ERROR -", "Invalid filter pattern"),
    ("\"unterminated", "Invalid filter pattern"),
    // JSON
    ("{ $.a = 1", "If a filter pattern starts with '{' it must end with '}'"),
    ("{", "If a filter pattern starts with '{' it must end with '}'"),
    ("{ $.\"sc-status\" = 5* }", "Invalid character(s) in term '$.\"'"),
    ("{ $.message = \"error-response\", $.path = \"/authenticate\" }", "Invalid character(s) in term ','"),
    ("{ $.a = b@c }", "Invalid character(s) in term '@'"),
    ("{}", "Invalid filter pattern"),
    ("{ $.a }", "Invalid filter pattern"),
    ("{ $.a = }", "Invalid filter pattern"),
    ("{ $.a == 1 }", "Invalid filter pattern"),
    ("{ $.a > abc }", "Invalid filter pattern"),
    ("{ $.a < \"5\" }", "Invalid filter pattern"),
    ("{ $.a >= %5% }", "Invalid filter pattern"),
    ("{ $.a IS NOT NULL }", "Invalid filter pattern"),
    ("{ $.a EXISTS }", "Invalid filter pattern"),
    ("{ $.a NOT }", "Invalid filter pattern"),
    ("{ ($.a = 1 }", "Invalid filter pattern"),
    ("{ $.a = 1) }", "Invalid filter pattern"),
    ("{ $.a = 1 && }", "Invalid filter pattern"),
    ("{ $.a = 1 $.b = 2 }", "Invalid filter pattern"),
    ("{ $.a = 1 & $.b = 2 }", "Invalid character(s) in term '&'"),
    ("{ a = 1 }", "Invalid filter pattern"),
    ("{ $.a[*].b[*] = 1 }", "Invalid filter pattern"),
    ("{ $.a = \"open }", "Invalid filter pattern"),
    ("{ $.a = %open }", "Invalid filter pattern"),
    // Space-delimited
    ("[a, b", "If a filter pattern starts with '[' it must end with ']'"),
    ("[]", "Invalid filter pattern"),
    ("[a, ..., b, ...]", "Invalid filter pattern"),
    ("[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]", "Invalid filter pattern"),
    ("[a b]", "Invalid filter pattern"),
    ("[a =]", "Invalid filter pattern"),
    ("[a > x]", "Invalid filter pattern"),
    ("[a.b]", "Invalid character(s) in term '.'"),
    ("[a = x!y]", "Invalid character(s) in term '!'"),
    ("[$.a = 1]", "Invalid filter pattern"),
    // Regex
    ("%a(b)%", "Invalid character(s) in term '('"),
    ("%something!%", "Invalid character(s) in term '!'"),
    ("%é%", "Invalid character(s) in term 'é'"),
    ("%%", "Invalid filter pattern"),
    ("%a{%", "Invalid filter pattern"),
    ("%[a%", "Invalid filter pattern"),
    ("%a{1000}{1000}%", "Invalid filter pattern"),
    ("{ $.a = %(x)% }", "Invalid character(s) in term '('"),
    // Regex quota
    (
        "{ $.a = %a% && $.b = %b% && $.c = %c% }",
        "Invalid filter pattern: a filter pattern can contain at most 2 regular expressions",
    ),
    (
        "[a = %a%, b = %b%, c = %c%]",
        "Invalid filter pattern: a filter pattern can contain at most 2 regular expressions",
    ),
];

#[test]
fn invalid_patterns_have_aws_messages() {
    let mut failures = Vec::new();
    for (pattern, expected) in INVALID {
        match FilterPattern::parse(pattern) {
            Ok(parsed) => failures.push(format!("{pattern:?} parsed as {:?}", parsed.kind())),
            Err(error) if error.to_string() != *expected => {
                failures.push(format!("{pattern:?}: got {error:?} = {error}, expected {expected}"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn two_regexes_are_allowed() {
    let parsed = FilterPattern::parse("{ $.a = %a% || $.b != %b% }").unwrap();
    assert_eq!(parsed.regex_count(), 2);
    assert_eq!(FilterPattern::parse("%x%").unwrap().regex_count(), 1);
    assert_eq!(FilterPattern::parse("ERROR").unwrap().regex_count(), 0);
}

#[test]
fn length_limit_is_1024_characters() {
    let at_limit = "a".repeat(1024);
    assert!(FilterPattern::parse(&at_limit).is_ok());
    // 1024 multi-byte characters are still within the limit (characters, not bytes).
    let unicode = format!("\"{}\"", "é".repeat(1022));
    assert!(FilterPattern::parse(&unicode).is_ok());
    let too_long = "a".repeat(1025);
    let error = FilterPattern::parse(&too_long).unwrap_err();
    assert!(matches!(error, FilterError::TooLong { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "1 validation error detected: Value '{too_long}' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024"
        )
    );
}

#[test]
fn generic_errors_keep_their_reason_and_metric_wording() {
    let error = FilterPattern::parse("{ $.a IS NOT NULL }").unwrap_err();
    assert_eq!(error.to_string(), "Invalid filter pattern");
    assert!(error.reason().is_some_and(|r| r.contains("NULL")));
    assert_eq!(error.metric_filter_message(), "Invalid metric filter pattern");
    let chars = FilterPattern::parse("a:b").unwrap_err();
    assert_eq!(chars.metric_filter_message(), "Invalid character(s) in term ':'");
}

#[test]
fn metric_value_references() {
    assert!(validate_metric_value("1").is_ok());
    assert!(validate_metric_value("$.latency").is_ok());
    assert!(validate_metric_value("$bytes").is_ok());
    assert_eq!(validate_metric_value("latency").unwrap_err().to_string(), "Invalid metric value: 'latency'");
}

#[test]
fn dimensions_need_structured_patterns() {
    assert!(FilterPattern::parse("{ $.a = 1 }").unwrap().supports_dimensions());
    assert!(FilterPattern::parse("[a, b]").unwrap().supports_dimensions());
    assert!(!FilterPattern::parse("ERROR").unwrap().supports_dimensions());
    assert!(!FilterPattern::parse("").unwrap().supports_dimensions());
    assert_eq!(FilterPattern::parse(" x ").unwrap().as_str(), " x ");
}

#[test]
fn deep_nesting_is_an_error_or_a_non_match_never_a_crash() {
    let deep_pattern = format!("{{{}$.a = 1{}}}", "(".repeat(500), ")".repeat(500));
    let error = FilterPattern::parse(&deep_pattern).unwrap_err();
    assert_eq!(error.to_string(), "Invalid filter pattern");

    let nested_ok = format!("{{{}$.a = 1{}}}", "(".repeat(60), ")".repeat(60));
    let parsed = FilterPattern::parse(&nested_ok).unwrap();
    assert!(parsed.matches(r#"{"a":1}"#));

    let deep_message = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(!parsed.matches(&deep_message));
    let huge_message = format!("{{\"a\":1,\"pad\":\"{}\"}}", "x".repeat(1 << 20));
    assert!(parsed.matches(&huge_message));
}
