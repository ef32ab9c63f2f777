//! Function registry (spec §2.5): canonical names, kinds and arities.
//!
//! Lookup is ASCII case-insensitive and accepts documented aliases
//! (`percentile` → `pct`, `countOverTime` → `count_over_time`,
//! `strftime` → `formatDate`).

/// Whether a function is evaluated per row or per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// Row-level function, usable anywhere (including inside aggregates).
    Scalar,
    /// Aggregate, only valid in `stats` (§2.5.8).
    Aggregate,
}

/// Broad category, for documentation and compiler dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionCategory {
    /// §2.5.1
    General,
    /// §2.5.2
    String,
    /// §2.5.3
    DateTime,
    /// §2.5.4
    Numeric,
    /// §2.5.5
    Json,
    /// §2.5.6
    Ip,
    /// §2.5.7
    Hash,
    /// §2.5.8
    Aggregation,
    /// Data protection (`unmask`).
    DataProtection,
}

/// One registry entry.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FunctionSpec {
    /// Canonical spelling (as in the AWS documentation).
    pub name: &'static str,
    /// Other accepted spellings.
    pub aliases: &'static [&'static str],
    /// Scalar or aggregate.
    pub kind: FunctionKind,
    /// Category.
    pub category: FunctionCategory,
    /// Minimum number of arguments.
    pub min_args: usize,
    /// Maximum number of arguments (`None`: variadic).
    pub max_args: Option<usize>,
}

impl FunctionSpec {
    /// True if `n` arguments are accepted.
    pub fn accepts(&self, n: usize) -> bool {
        n >= self.min_args && self.max_args.is_none_or(|m| n <= m)
    }

    /// Human-readable arity, e.g. `1`, `1 to 2`, `at least 1`.
    pub fn arity_text(&self) -> String {
        match self.max_args {
            Some(m) if m == self.min_args => format!("{m}"),
            Some(m) => format!("{} to {m}", self.min_args),
            None => format!("at least {}", self.min_args),
        }
    }

    /// True for aggregates.
    pub fn is_aggregate(&self) -> bool {
        self.kind == FunctionKind::Aggregate
    }
}

macro_rules! f {
    ($name:literal, $kind:ident, $cat:ident, $min:literal, $max:expr) => {
        f!($name, [], $kind, $cat, $min, $max)
    };
    ($name:literal, [$($alias:literal),*], $kind:ident, $cat:ident, $min:literal, $max:expr) => {
        FunctionSpec {
            name: $name,
            aliases: &[$($alias),*],
            kind: FunctionKind::$kind,
            category: FunctionCategory::$cat,
            min_args: $min,
            max_args: $max,
        }
    };
}

/// Every known function. Arities marked [U] in the spec are chosen
/// permissively (see the crate docs).
pub static FUNCTIONS: &[FunctionSpec] = &[
    // §2.5.1 General
    f!("ispresent", Scalar, General, 1, Some(1)),
    f!("coalesce", Scalar, General, 1, None),
    f!("if", Scalar, General, 3, Some(3)),
    // case(cond1, v1, …[, default]); ≤10 branches → ≤21 args.
    f!("case", Scalar, General, 2, Some(21)),
    f!("isNumeric", Scalar, General, 1, Some(1)),
    // [U] arity: messageSize() or messageSize(field).
    f!("messageSize", Scalar, General, 0, Some(1)),
    f!("queryStartTime", Scalar, General, 0, Some(0)),
    f!("queryEndTime", Scalar, General, 0, Some(0)),
    f!("queryTimeRange", Scalar, General, 0, Some(0)),
    // §2.5.2 String
    f!("isempty", Scalar, String, 1, Some(1)),
    f!("isblank", Scalar, String, 1, Some(1)),
    f!("concat", Scalar, String, 1, None),
    f!("ltrim", Scalar, String, 1, Some(2)),
    f!("rtrim", Scalar, String, 1, Some(2)),
    f!("trim", Scalar, String, 1, Some(2)),
    f!("strlen", Scalar, String, 1, Some(1)),
    f!("toupper", Scalar, String, 1, Some(1)),
    f!("tolower", Scalar, String, 1, Some(1)),
    f!("substr", Scalar, String, 2, Some(3)),
    f!("replace", Scalar, String, 3, Some(3)),
    f!("regexReplace", Scalar, String, 3, Some(3)),
    f!("strcontains", Scalar, String, 2, Some(3)),
    f!("startsWith", Scalar, String, 2, Some(2)),
    f!("endsWith", Scalar, String, 2, Some(2)),
    f!("split", Scalar, String, 2, Some(2)),
    f!("urlencode", Scalar, String, 1, Some(1)),
    f!("urldecode", Scalar, String, 1, Some(1)),
    f!("base64encode", Scalar, String, 1, Some(1)),
    f!("base64decode", Scalar, String, 1, Some(1)),
    f!("hexToAscii", Scalar, String, 1, Some(1)),
    f!("hexToDec", Scalar, String, 1, Some(1)),
    f!("decToHex", Scalar, String, 1, Some(1)),
    // §2.5.3 Date/time
    f!("bin", Scalar, DateTime, 1, Some(1)),
    f!("datefloor", Scalar, DateTime, 2, Some(2)),
    f!("dateceil", Scalar, DateTime, 2, Some(2)),
    f!("fromMillis", Scalar, DateTime, 1, Some(1)),
    f!("toMillis", Scalar, DateTime, 1, Some(1)),
    f!("now", Scalar, DateTime, 0, Some(0)),
    f!("parseDate", Scalar, DateTime, 2, Some(3)),
    f!("formatDate", ["strftime"], Scalar, DateTime, 2, Some(3)),
    // §2.5.4 Numeric and conversion
    f!("abs", Scalar, Numeric, 1, Some(1)),
    f!("ceil", Scalar, Numeric, 1, Some(1)),
    f!("floor", Scalar, Numeric, 1, Some(1)),
    f!("greatest", Scalar, Numeric, 1, None),
    f!("least", Scalar, Numeric, 1, None),
    f!("log", Scalar, Numeric, 1, Some(1)),
    f!("sqrt", Scalar, Numeric, 1, Some(1)),
    f!("round", Scalar, Numeric, 1, Some(2)),
    f!("haversine", Scalar, Numeric, 4, Some(4)),
    f!("toNumber", Scalar, Numeric, 1, Some(1)),
    f!("toInt", Scalar, Numeric, 1, Some(1)),
    f!("toLong", Scalar, Numeric, 1, Some(1)),
    f!("toDouble", Scalar, Numeric, 1, Some(1)),
    // §2.5.5 JSON
    f!("jsonParse", Scalar, Json, 1, Some(1)),
    f!("jsonStringify", Scalar, Json, 1, Some(1)),
    f!("jsonArraySize", Scalar, Json, 1, Some(1)),
    f!("jsonArrayContains", Scalar, Json, 2, Some(2)),
    // §2.5.6 IP
    f!("isValidIp", Scalar, Ip, 1, Some(1)),
    f!("isValidIpV4", Scalar, Ip, 1, Some(1)),
    f!("isValidIpV6", Scalar, Ip, 1, Some(1)),
    f!("isIpInSubnet", Scalar, Ip, 2, Some(2)),
    f!("isIpv4InSubnet", Scalar, Ip, 2, Some(2)),
    f!("isIpv6InSubnet", Scalar, Ip, 2, Some(2)),
    f!("ipv4ToNumber", Scalar, Ip, 1, Some(1)),
    f!("isPrivateIP", Scalar, Ip, 1, Some(1)),
    f!("isPublicIP", Scalar, Ip, 1, Some(1)),
    f!("isReservedIP", Scalar, Ip, 1, Some(1)),
    // §2.5.7 Hashing
    f!("md5", Scalar, Hash, 1, Some(1)),
    f!("sha256", Scalar, Hash, 1, Some(1)),
    // Data protection
    f!("unmask", Scalar, DataProtection, 1, Some(1)),
    // §2.5.8 Aggregation
    f!("count", Aggregate, Aggregation, 0, Some(1)),
    f!("count_distinct", Aggregate, Aggregation, 1, Some(1)),
    f!("sum", Aggregate, Aggregation, 1, Some(1)),
    f!("avg", Aggregate, Aggregation, 1, Some(1)),
    f!("min", Aggregate, Aggregation, 1, Some(1)),
    f!("max", Aggregate, Aggregation, 1, Some(1)),
    f!("pct", ["percentile"], Aggregate, Aggregation, 2, Some(2)),
    f!("stddev", Aggregate, Aggregation, 1, Some(1)),
    f!("earliest", Aggregate, Aggregation, 1, Some(1)),
    f!("latest", Aggregate, Aggregation, 1, Some(1)),
    f!("sortsFirst", Aggregate, Aggregation, 1, Some(1)),
    f!("sortsLast", Aggregate, Aggregation, 1, Some(1)),
    // [U] rate(f) or rate(f, interval).
    f!("rate", Aggregate, Aggregation, 1, Some(2)),
    f!("count_over_time", ["countOverTime"], Aggregate, Aggregation, 1, Some(1)),
    f!("sum_over_time", ["sumOverTime"], Aggregate, Aggregation, 1, Some(1)),
    f!("histogram", Aggregate, Aggregation, 1, Some(2)),
];

/// Finds a function by name or alias (ASCII case-insensitive).
pub fn lookup_function(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup() {
        assert_eq!(lookup_function("COUNT").unwrap().name, "count");
        assert_eq!(lookup_function("percentile").unwrap().name, "pct");
        assert_eq!(lookup_function("isvalidipv4").unwrap().name, "isValidIpV4");
        assert!(lookup_function("nope").is_none());
    }

    #[test]
    fn names_unique() {
        let mut seen = std::collections::HashSet::new();
        for f in FUNCTIONS {
            assert!(seen.insert(f.name.to_ascii_lowercase()), "{}", f.name);
            for a in f.aliases {
                assert!(seen.insert(a.to_ascii_lowercase()), "{a}");
            }
        }
    }
}
