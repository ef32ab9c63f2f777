//! The CloudWatch Logs service model (botocore's `logs/2014-03-28/service-2.json`, stripped of
//! documentation) drives input validation for every operation: member types, required
//! members, lengths, ranges, patterns and enums — exactly the constraints AWS enforces and
//! botocore only partly checks on the client. Errors use AWS's Coral message format.

use std::collections::HashMap;
use std::sync::LazyLock;

use parking_lot::Mutex;
use regex::Regex;
use serde_json::Value;

use crate::error::ApiError;

static MODEL: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../model/logs-2014-03-28.json")).expect("embedded service model is valid JSON")
});

/// The model's shapes by name (a hash lookup per value checked, instead of a search through
/// the JSON object's sorted keys).
static SHAPES: LazyLock<HashMap<&'static str, &'static Value>> = LazyLock::new(|| {
    MODEL["shapes"].as_object().map(|shapes| shapes.iter().map(|(k, v)| (k.as_str(), v)).collect()).unwrap_or_default()
});

static PATTERNS: LazyLock<Mutex<HashMap<String, Option<Regex>>>> = LazyLock::new(Default::default);

/// Every operation name in the model.
pub fn operation_names() -> Vec<&'static str> {
    MODEL["operations"].as_object().map(|o| o.keys().map(|k| k.as_str()).collect()).unwrap_or_default()
}

pub fn has_operation(name: &str) -> bool {
    MODEL["operations"].get(name).is_some()
}

/// The exception AWS uses for schema violations of this operation: older operations answer
/// `InvalidParameterException`, newer (Smithy-style) ones `ValidationException`.
fn validation_error_code(operation: &str) -> &'static str {
    let errors = MODEL["operations"][operation]["errors"].as_array();
    let has = |name: &str| errors.is_some_and(|e| e.iter().any(|x| x["shape"] == name));
    if has("InvalidParameterException") || !has("ValidationException") {
        "InvalidParameterException"
    } else {
        "ValidationException"
    }
}

/// Validates an operation's input against the model.
pub fn validate_input(operation: &str, input: &Value) -> Result<(), ApiError> {
    let Some(shape_name) = MODEL["operations"][operation]["input"]["shape"].as_str() else {
        return Ok(());
    };
    check_name_lengths(operation, input)?;
    let mut v = Validation::default();
    v.check(shape_name, input, &Path::Root);
    if let Some(message) = v.serialization {
        return Err(ApiError::serialization(message));
    }
    if v.errors.is_empty() {
        return Ok(());
    }
    let count = v.errors.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let message = format!("{count} validation {noun} detected: {}", v.errors.join("; "));
    let code = validation_error_code(operation);
    Err(if code == "ValidationException" {
        ApiError::validation(message)
    } else {
        ApiError::invalid_parameter(message)
    })
}

/// Longest log group / log stream name.
const MAX_NAME_CHARS: usize = 512;

/// AWS answers over-long group and stream names with a dedicated message (observed) instead of
/// the generic Coral length violation, ahead of every other check.
fn check_name_lengths(operation: &str, input: &Value) -> Result<(), ApiError> {
    if validation_error_code(operation) != "InvalidParameterException" {
        return Ok(());
    }
    let too_long = ["logGroupName", "logStreamName"]
        .iter()
        .any(|member| input.get(member).and_then(Value::as_str).is_some_and(|s| s.chars().count() > MAX_NAME_CHARS));
    if too_long {
        return Err(ApiError::invalid_parameter(
            "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
        ));
    }
    Ok(())
}

/// Where a value sits in the input, rendered (as Coral does: `logEvents.1.member.message`) only
/// when a constraint fails — valid input, the common case, builds no strings.
enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    /// The 0-based index of a list element.
    Element(&'a Path<'a>, usize),
    MapKey(&'a Path<'a>),
    MapValue(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Member(Path::Root, name) => write!(f, "{name}"),
            Path::Member(parent, name) => write!(f, "{parent}.{name}"),
            Path::Element(parent, i) => write!(f, "{parent}.{}.member", i + 1),
            Path::MapKey(parent) => write!(f, "{parent}.key"),
            Path::MapValue(parent, key) => write!(f, "{parent}.{key}.member"),
        }
    }
}

#[derive(Default)]
struct Validation {
    errors: Vec<String>,
    serialization: Option<String>,
}

impl Validation {
    fn fail(&mut self, value: &Value, path: &Path, constraint: String) {
        let shown = match value {
            Value::String(s) => s.clone(),
            Value::Array(_) | Value::Object(_) => summarize(value),
            other => other.to_string(),
        };
        self.errors.push(format!("Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}"));
    }

    fn type_error(&mut self, expected: &str, path: &Path) {
        if self.serialization.is_none() {
            let at = if matches!(path, Path::Root) { String::new() } else { format!(" at '{path}'") };
            self.serialization = Some(format!("Unexpected value type{at}: expected {expected}"));
        }
    }

    fn check(&mut self, shape_name: &str, value: &Value, path: &Path) {
        let Some(shape) = SHAPES.get(shape_name) else { return };
        let kind = shape["type"].as_str().unwrap_or("");
        if value.is_null() {
            return;
        }
        match kind {
            "structure" => self.check_structure(shape, value, path),
            "list" => {
                let Some(items) = value.as_array() else {
                    return self.type_error("a list", path);
                };
                self.check_size(shape, value, items.len(), path, "length");
                let member = shape["member"]["shape"].as_str().unwrap_or("");
                for (i, item) in items.iter().enumerate() {
                    self.check(member, item, &Path::Element(path, i));
                }
            }
            "map" => {
                let Some(entries) = value.as_object() else {
                    return self.type_error("a map", path);
                };
                self.check_size(shape, value, entries.len(), path, "length");
                let key_shape = shape["key"]["shape"].as_str().unwrap_or("");
                let value_shape = shape["value"]["shape"].as_str().unwrap_or("");
                for (k, v) in entries {
                    self.check(key_shape, &Value::String(k.clone()), &Path::MapKey(path));
                    self.check(value_shape, v, &Path::MapValue(path, k));
                }
            }
            "string" => {
                let Some(s) = value.as_str() else {
                    return self.type_error("a string", path);
                };
                let len = s.chars().count();
                self.check_size(shape, value, len, path, "length");
                if let Some(values) = shape["enum"].as_array()
                    && !values.iter().any(|e| e.as_str() == Some(s))
                {
                    let set: Vec<&str> = values.iter().filter_map(|e| e.as_str()).collect();
                    self.fail(value, path, format!("Member must satisfy enum value set: [{}]", set.join(", ")));
                }
                if let Some(pattern) = shape["pattern"].as_str()
                    && !pattern_matches(pattern, s)
                {
                    self.fail(value, path, format!("Member must satisfy regular expression pattern: {pattern}"));
                }
            }
            "integer" | "long" => {
                let Some(n) = value.as_i64() else {
                    return self.type_error(if kind == "integer" { "an integer" } else { "a long" }, path);
                };
                if kind == "integer" && i32::try_from(n).is_err() {
                    return self.type_error("an integer", path);
                }
                if let Some(min) = shape["min"].as_i64()
                    && n < min
                {
                    self.fail(value, path, format!("Member must have value greater than or equal to {min}"));
                }
                if let Some(max) = shape["max"].as_i64()
                    && n > max
                {
                    self.fail(value, path, format!("Member must have value less than or equal to {max}"));
                }
            }
            // Scalars only need the right JSON type (other kinds match the last arm).
            "double" | "float" if !value.is_number() => self.type_error("a number", path),
            "boolean" if !value.is_boolean() => self.type_error("a boolean", path),
            "timestamp" if !value.is_number() => self.type_error("a timestamp", path),
            "blob" if !value.is_string() => self.type_error("a base64 string", path),
            _ => {}
        }
    }

    fn check_structure(&mut self, shape: &Value, value: &Value, path: &Path) {
        let Some(object) = value.as_object() else {
            return self.type_error("a structure", path);
        };
        let members = shape["members"].as_object();
        if let Some(required) = shape["required"].as_array() {
            for name in required.iter().filter_map(|r| r.as_str()) {
                if object.get(name).is_none_or(Value::is_null) {
                    let at = Path::Member(path, name);
                    self.errors
                        .push(format!("Value null at '{at}' failed to satisfy constraint: Member must not be null"));
                }
            }
        }
        let Some(members) = members else { return };
        for (name, member) in members {
            if let (Some(v), Some(member_shape)) = (object.get(name), member["shape"].as_str()) {
                self.check(member_shape, v, &Path::Member(path, name));
            }
        }
    }

    fn check_size(&mut self, shape: &Value, value: &Value, size: usize, path: &Path, what: &str) {
        if let Some(min) = shape["min"].as_u64()
            && (size as u64) < min
        {
            self.fail(value, path, format!("Member must have {what} greater than or equal to {min}"));
        }
        if let Some(max) = shape["max"].as_u64()
            && size as u64 > max
        {
            self.fail(value, path, format!("Member must have {what} less than or equal to {max}"));
        }
    }
}

/// Short rendering of a list/map value for messages (Coral prints Java toString()s).
fn summarize(value: &Value) -> String {
    let s = value.to_string();
    if s.len() > 100 { format!("{}...", &s[..s.floor_char_boundary(100)]) } else { s }
}

/// Java `String.matches` semantics: the whole value must match.
fn pattern_matches(pattern: &str, value: &str) -> bool {
    let mut cache = PATTERNS.lock();
    if !cache.contains_key(pattern) {
        cache.insert(pattern.to_string(), compile_java_pattern(pattern));
    }
    match cache.get(pattern).and_then(Option::as_ref) {
        Some(r) => r.is_match(value),
        // A pattern we cannot translate is not enforced rather than rejecting valid input.
        None => true,
    }
}

fn compile_java_pattern(pattern: &str) -> Option<Regex> {
    // Java accepts `-` after a class escape as a literal (`[\w-_]`); Rust wants it escaped.
    let fixed = pattern.replace("\\w-_", "\\w\\-_").replace("\\w_-", "\\w_\\-").replace("\\w-]", "\\w\\-]");
    Regex::new(&format!("^(?:{fixed})$")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_pattern_in_the_model_compiles() {
        for (name, shape) in MODEL["shapes"].as_object().unwrap() {
            if let Some(p) = shape["pattern"].as_str() {
                assert!(compile_java_pattern(p).is_some(), "{name}: {p}");
            }
        }
    }

    #[test]
    fn coral_messages() {
        let err = validate_input("GetLogEvents", &json!({"logStreamName": "s", "logGroupName": "g", "limit": 10001}))
            .unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        assert_eq!(
            err.message,
            "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"
        );
        let err = validate_input("CreateLogGroup", &json!({"logGroupName": "bad name"})).unwrap_err();
        assert!(
            err.message.contains("Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"),
            "{}",
            err.message
        );
        let err = validate_input("PutLogEvents", &json!({"logGroupName": "g"})).unwrap_err();
        assert!(err.message.starts_with("2 validation errors detected"), "{}", err.message);
    }

    #[test]
    fn paths_name_list_elements_map_entries_and_members() {
        let events = json!([{"timestamp": 1, "message": "ok"}, {"timestamp": 1, "message": ""}, {"message": "x"}]);
        let err =
            validate_input("PutLogEvents", &json!({"logGroupName": "g", "logStreamName": "s", "logEvents": events}))
                .unwrap_err();
        assert_eq!(
            err.message,
            "2 validation errors detected: Value '' at 'logEvents.2.member.message' failed to satisfy constraint: \
             Member must have length greater than or equal to 1; Value null at 'logEvents.3.member.timestamp' failed \
             to satisfy constraint: Member must not be null"
        );
        let err = validate_input("TagResource", &json!({"resourceArn": "arn:x", "tags": {"k": "v!"}})).unwrap_err();
        assert!(err.message.contains("Value 'v!' at 'tags.k.member' failed to satisfy"), "{}", err.message);
        let err = validate_input("TagResource", &json!({"resourceArn": "arn:x", "tags": {"": "v"}})).unwrap_err();
        assert!(err.message.contains("Value '' at 'tags.key' failed to satisfy"), "{}", err.message);
        let err = validate_input("TagResource", &json!({"resourceArn": "arn:x", "tags": ["not a map"]})).unwrap_err();
        assert_eq!(err.message, "Unexpected value type at 'tags': expected a map");
    }

    #[test]
    fn over_long_names_get_the_observed_message() {
        for input in
            [json!({"logGroupName": "g".repeat(513)}), json!({"logGroupName": "g", "logStreamName": "s".repeat(513)})]
        {
            let err = validate_input("CreateLogStream", &input).unwrap_err();
            assert_eq!(err.code, "InvalidParameterException");
            assert_eq!(err.message, "Invalid LogGroup or LogStream, both must have length less than or equal to 512.");
        }
        assert!(validate_input("CreateLogGroup", &json!({"logGroupName": "g".repeat(512)})).is_ok());
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let err = validate_input("GetLogEvents", &json!({"logStreamName": "s", "limit": "x"})).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        let err = validate_input("GetLogEvents", &json!({"logStreamName": "s", "limit": 1.5})).unwrap_err();
        assert_eq!(err.code, "SerializationException");
    }

    #[test]
    fn newer_operations_use_validation_exception() {
        assert_eq!(validation_error_code("GetLogEvents"), "InvalidParameterException");
        assert_eq!(validation_error_code("CreateScheduledQuery"), "ValidationException");
    }
}
