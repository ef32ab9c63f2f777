//! Row-wise Insights functions DataFusion has no equivalent for (spec §2.5): encodings,
//! dates with Java / strftime patterns, IP tests, hashes, structure (JSON) values.
//!
//! One UDF type ([`ScalarFn`]) dispatches on [`Op`]; arguments arrive as Utf8 (`S`) or
//! Float64 (`N`) columns as the compiler converts them, results are Utf8, Float64 or Boolean.
//! Every function returns null on a null input or on input it cannot interpret.
//!
//! Maps and lists are JSON text (see `compile/structured.rs`): `jsonParse` and `split` make
//! them, `m.key` / `l[0]` read members as the scalar's text (or JSON for a nested map/list).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Array, Float64Builder, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use sha2::Digest as _;

use super::json::{Json, quote};

/// Argument / result types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    S,
    N,
    B,
}

impl Ty {
    fn data_type(self) -> DataType {
        match self {
            Ty::S => DataType::Utf8,
            Ty::N => DataType::Float64,
            Ty::B => DataType::Boolean,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Split,
    UrlEncode,
    UrlDecode,
    Base64Encode,
    Base64Decode,
    HexToAscii,
    HexToDec,
    DecToHex,
    /// (text, java pattern[, tz]) → epoch ms.
    ParseDate,
    /// (epoch ms, pattern[, tz]) → text.
    FormatDate,
    Haversine,
    /// text → a map/list as compact JSON text, a scalar as its text (null if not JSON).
    JsonParse,
    /// A map/list (JSON text) as compact JSON; any other text as a JSON string literal.
    JsonStringify,
    /// text → JSON string literal.
    JsonQuote,
    /// JSON text → scalar text (null for maps, lists, null).
    JsonScalar,
    /// (JSON text, key) → member / element: a scalar's text, or a map/list as JSON text.
    JsonGet,
    JsonArraySize,
    /// (JSON text, value text) → bool.
    JsonArrayContains,
    IsValidIp,
    IsValidIpV4,
    IsValidIpV6,
    IpInSubnet,
    Ipv4InSubnet,
    Ipv6InSubnet,
    Ipv4ToNumber,
    IsPrivateIp,
    IsPublicIp,
    IsReservedIp,
    Md5,
    Sha256,
    /// number → text as rendered in results (`200`, `0.5`).
    NumText,
}

impl Op {
    /// Argument types for `n` arguments.
    pub fn arg_types(self, n: usize) -> Vec<Ty> {
        use Op::*;
        match self {
            DecToHex | NumText => vec![Ty::N],
            Haversine => vec![Ty::N; 4],
            FormatDate => {
                let mut v = vec![Ty::N, Ty::S];
                v.extend(std::iter::repeat_n(Ty::S, n.saturating_sub(2)));
                v
            }
            _ => vec![Ty::S; n.max(1)],
        }
    }

    pub fn ret(self) -> Ty {
        use Op::*;
        match self {
            HexToDec | ParseDate | Haversine | JsonArraySize | Ipv4ToNumber => Ty::N,
            JsonArrayContains | IsValidIp | IsValidIpV4 | IsValidIpV6 | IpInSubnet | Ipv4InSubnet | Ipv6InSubnet
            | IsPrivateIp | IsPublicIp | IsReservedIp => Ty::B,
            _ => Ty::S,
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ScalarFn {
    op: Op,
    name: String,
    signature: Signature,
}

impl ScalarFn {
    pub fn new(op: Op, arity: usize) -> Self {
        let types = op.arg_types(arity).into_iter().map(Ty::data_type).collect();
        ScalarFn {
            op,
            name: format!("insights_{op:?}").to_lowercase(),
            signature: Signature::exact(types, Volatility::Immutable),
        }
    }
}

enum Arg {
    S(StringArray),
    N(Float64Array),
}

impl Arg {
    fn s(&self, row: usize) -> Option<&str> {
        match self {
            Arg::S(a) => (!a.is_null(row)).then(|| a.value(row)),
            Arg::N(_) => None,
        }
    }
    fn n(&self, row: usize) -> Option<f64> {
        match self {
            Arg::N(a) => (!a.is_null(row)).then(|| a.value(row)),
            Arg::S(_) => None,
        }
    }
}

enum Out {
    S(String),
    N(f64),
    B(bool),
}

impl ScalarUDFImpl for ScalarFn {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.op.ret().data_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let mut inputs = Vec::with_capacity(args.args.len());
        for a in &args.args {
            let array: ArrayRef = a.clone().into_array(rows)?;
            let arg = match array.data_type() {
                DataType::Float64 => match array.as_any().downcast_ref::<Float64Array>() {
                    Some(a) => Arg::N(a.clone()),
                    None => return exec_err!("expected Float64"),
                },
                _ => Arg::S(super::string_arg(&ColumnarValue::Array(array), rows)?),
            };
            inputs.push(arg);
        }
        let ctx = Ctx::new(self.op, &inputs);
        let result: ArrayRef = match self.op.ret() {
            Ty::S => {
                let mut b = StringBuilder::with_capacity(rows, 0);
                for row in 0..rows {
                    match eval(self.op, &inputs, row, &ctx) {
                        Some(Out::S(s)) => b.append_value(s),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Ty::N => {
                let mut b = Float64Builder::with_capacity(rows);
                for row in 0..rows {
                    match eval(self.op, &inputs, row, &ctx) {
                        Some(Out::N(v)) if v.is_finite() => b.append_value(v),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Ty::B => {
                let mut b = BooleanBuilder::with_capacity(rows);
                for row in 0..rows {
                    match eval(self.op, &inputs, row, &ctx) {
                        Some(Out::B(v)) => b.append_value(v),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(result))
    }
}

/// Per-batch precomputation (patterns are usually literals).
struct Ctx {
    /// Last (pattern, translated strftime) for date functions.
    cache: std::cell::RefCell<Option<(String, Option<DatePattern>)>>,
}

impl Ctx {
    fn new(_op: Op, _inputs: &[Arg]) -> Ctx {
        Ctx { cache: std::cell::RefCell::new(None) }
    }

    fn pattern(&self, pattern: &str) -> Option<DatePattern> {
        let mut cache = self.cache.borrow_mut();
        if let Some((p, t)) = cache.as_ref()
            && p == pattern
        {
            return t.clone();
        }
        let t = DatePattern::new(pattern);
        *cache = Some((pattern.to_string(), t.clone()));
        t
    }
}

fn eval(op: Op, a: &[Arg], row: usize, ctx: &Ctx) -> Option<Out> {
    use Op::*;
    let s = |i: usize| a.get(i).and_then(|x| x.s(row));
    let n = |i: usize| a.get(i).and_then(|x| x.n(row));
    Some(match op {
        Split => {
            let (text, delim) = (s(0)?, s(1)?);
            let parts: Vec<Json> = if delim.is_empty() {
                text.chars().map(|c| Json::Str(c.to_string())).collect()
            } else {
                text.split(delim).map(|p| Json::Str(p.to_string())).collect()
            };
            Out::S(Json::Arr(parts).to_text())
        }
        UrlEncode => Out::S(url_encode(s(0)?)),
        UrlDecode => Out::S(url_decode(s(0)?)?),
        Base64Encode => Out::S(base64::engine::general_purpose::STANDARD.encode(s(0)?.as_bytes())),
        Base64Decode => {
            let t = s(0)?.trim();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(t)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(t.trim_end_matches('=')))
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
                .ok()?;
            Out::S(String::from_utf8(bytes).ok()?)
        }
        HexToAscii => {
            let t = strip_hex_prefix(s(0)?.trim());
            if !t.len().is_multiple_of(2) {
                return None;
            }
            let bytes: Option<Vec<u8>> =
                (0..t.len()).step_by(2).map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
            Out::S(String::from_utf8(bytes?).ok()?)
        }
        HexToDec => {
            let t = strip_hex_prefix(s(0)?.trim());
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let digits = t.trim_start_matches('0');
            if digits.len() > 16 {
                // Beyond u64: accumulate as a float.
                Out::N(digits.bytes().fold(0.0, |acc, b| acc * 16.0 + f64::from((b as char).to_digit(16).unwrap_or(0))))
            } else {
                Out::N(u64::from_str_radix(if digits.is_empty() { "0" } else { digits }, 16).ok()? as f64)
            }
        }
        DecToHex => {
            let v = n(0)?.trunc();
            if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v) {
                return None;
            }
            Out::S(format!("{:x}", v as i64))
        }
        ParseDate => {
            let pattern = ctx.pattern(s(1)?)?;
            let tz = match s(2) {
                Some(z) => Some(Zone::parse(z)?),
                None => None,
            };
            Out::N(pattern.parse(s(0)?, tz.as_ref())? as f64)
        }
        FormatDate => {
            let ms = n(0)?;
            let fmt = s(1)?;
            let tz = match s(2) {
                Some(z) => Zone::parse(z)?,
                None => Zone::Fixed(FixedOffset::east_opt(0)?),
            };
            Out::S(format_date(ms as i64, fmt, &tz, ctx)?)
        }
        Haversine => {
            let (lat1, lon1, lat2, lon2) = (n(0)?, n(1)?, n(2)?, n(3)?);
            Out::N(haversine_km(lat1, lon1, lat2, lon2))
        }
        JsonParse => Out::S(Json::parse(s(0)?)?.display_text()?),
        JsonStringify => {
            let t = s(0)?;
            Out::S(match Json::parse(t) {
                Some(j @ (Json::Obj(_) | Json::Arr(_))) => j.to_text(),
                _ => quote(t),
            })
        }
        JsonQuote => Out::S(quote(s(0)?)),
        JsonScalar => Out::S(Json::parse(s(0)?)?.scalar_text()?),
        JsonGet => {
            let j = Json::parse(s(0)?)?;
            Out::S(j.get(s(1)?)?.display_text()?)
        }
        JsonArraySize => match Json::parse(s(0)?)? {
            Json::Arr(items) => Out::N(items.len() as f64),
            _ => return None,
        },
        JsonArrayContains => {
            let Json::Arr(items) = Json::parse(s(0)?)? else {
                return None;
            };
            let needle = s(1)?;
            let needle_num = super::number::parse_number(needle);
            Out::B(items.iter().any(|item| match item {
                Json::Str(v) => v == needle,
                Json::Num(v) => needle_num.is_some() && v.as_f64() == needle_num,
                Json::Bool(b) => needle == if *b { "true" } else { "false" },
                _ => false,
            }))
        }
        IsValidIp => Out::B(parse_ip(s(0)?).is_some()),
        IsValidIpV4 => Out::B(matches!(parse_ip(s(0)?), Some(IpAddr::V4(_)))),
        IsValidIpV6 => Out::B(matches!(parse_ip(s(0)?), Some(IpAddr::V6(_)))),
        IpInSubnet | Ipv4InSubnet | Ipv6InSubnet => {
            let (ip, cidr) = (s(0)?, s(1)?);
            let ip = parse_ip(ip);
            let net = parse_cidr(cidr);
            let ok = match (ip, net, op) {
                (Some(IpAddr::V6(_)), _, Ipv4InSubnet) | (Some(IpAddr::V4(_)), _, Ipv6InSubnet) => false,
                (Some(ip), Some((net, len)), _) => in_subnet(ip, net, len),
                _ => false,
            };
            Out::B(ok)
        }
        Ipv4ToNumber => match parse_ip(s(0)?)? {
            IpAddr::V4(v4) => Out::N(f64::from(u32::from(v4))),
            IpAddr::V6(_) => return None,
        },
        IsPrivateIp => Out::B(parse_ip(s(0)?).is_some_and(|ip| classify(ip) == IpClass::Private)),
        IsPublicIp => Out::B(parse_ip(s(0)?).is_some_and(|ip| classify(ip) == IpClass::Public)),
        IsReservedIp => Out::B(parse_ip(s(0)?).is_some_and(|ip| classify(ip) == IpClass::Reserved)),
        Md5 => Out::S(hex::encode(super::md5::md5(s(0)?.as_bytes()))),
        Sha256 => Out::S(hex::encode(sha2::Sha256::digest(s(0)?.as_bytes()))),
        NumText => {
            let v = n(0)?;
            if !v.is_finite() {
                return None;
            }
            Out::S(crate::render::format_number(v))
        }
    })
}

fn strip_hex_prefix(t: &str) -> &str {
    t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t)
}

/// `java.net.URLEncoder.encode(s, UTF-8)`: alphanumerics and `.-*_` kept, space → `+`,
/// everything else percent-encoded (upper-case hex) byte by byte.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `java.net.URLDecoder.decode(s, UTF-8)`: `+` → space, `%XX` decoded; malformed escapes or
/// invalid UTF-8 → null.
pub fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6371.0;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().min(1.0).asin()
}

// ---- IP ---------------------------------------------------------------------------------

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

/// `a.b.c.d/len`, `v6/len`, or a bare address (= a /32 or /128).
fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

fn in_subnet(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum IpClass {
    Private,
    Reserved,
    Public,
}

/// Every valid address is exactly one of private (RFC 1918, RFC 4193 `fc00::/7`), reserved
/// (the other IANA special-purpose blocks) or public.
fn classify(ip: IpAddr) -> IpClass {
    let v4_in = |ip: Ipv4Addr, blocks: &[(&str, u8)]| {
        blocks.iter().any(|(n, l)| n.parse::<Ipv4Addr>().is_ok_and(|n| in_subnet(IpAddr::V4(ip), IpAddr::V4(n), *l)))
    };
    let v6_in = |ip: Ipv6Addr, blocks: &[(&str, u8)]| {
        blocks.iter().any(|(n, l)| n.parse::<Ipv6Addr>().is_ok_and(|n| in_subnet(IpAddr::V6(ip), IpAddr::V6(n), *l)))
    };
    match ip {
        IpAddr::V4(v4) => {
            if v4_in(v4, &[("10.0.0.0", 8), ("172.16.0.0", 12), ("192.168.0.0", 16)]) {
                IpClass::Private
            } else if v4_in(
                v4,
                &[
                    ("0.0.0.0", 8),
                    ("100.64.0.0", 10),
                    ("127.0.0.0", 8),
                    ("169.254.0.0", 16),
                    ("192.0.0.0", 24),
                    ("192.0.2.0", 24),
                    ("192.88.99.0", 24),
                    ("198.18.0.0", 15),
                    ("198.51.100.0", 24),
                    ("203.0.113.0", 24),
                    ("224.0.0.0", 4),
                    ("240.0.0.0", 4),
                ],
            ) {
                IpClass::Reserved
            } else {
                IpClass::Public
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify(IpAddr::V4(v4));
            }
            if v6_in(v6, &[("fc00::", 7)]) {
                IpClass::Private
            } else if v6_in(
                v6,
                &[
                    ("::", 128),
                    ("::1", 128),
                    ("64:ff9b::", 96),
                    ("100::", 64),
                    ("2001::", 23),
                    ("2001:db8::", 32),
                    ("2002::", 16),
                    ("fe80::", 10),
                    ("ff00::", 8),
                ],
            ) {
                IpClass::Reserved
            } else {
                IpClass::Public
            }
        }
    }
}

// ---- dates ------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Zone {
    Fixed(FixedOffset),
    Named(chrono_tz::Tz),
}

impl Zone {
    /// `UTC`, `Z`, `GMT`, `+05:30`, `-0800`, `UTC+2`, or an IANA name (`America/New_York`).
    fn parse(s: &str) -> Option<Zone> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("gmt") {
            return Some(Zone::Fixed(FixedOffset::east_opt(0)?));
        }
        let offset = t.strip_prefix("UTC").or_else(|| t.strip_prefix("GMT")).unwrap_or(t);
        if let Some(sign) = offset.chars().next().filter(|c| *c == '+' || *c == '-') {
            let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (h, m) = if digits.len() <= 2 {
                (digits.parse::<i32>().ok()?, 0)
            } else {
                (digits[..digits.len() - 2].parse::<i32>().ok()?, digits[digits.len() - 2..].parse::<i32>().ok()?)
            };
            let secs = (h * 3600 + m * 60) * if sign == '-' { -1 } else { 1 };
            return Some(Zone::Fixed(FixedOffset::east_opt(secs)?));
        }
        t.parse::<chrono_tz::Tz>().ok().map(Zone::Named)
    }

    fn offset_at_local(&self, local: &NaiveDateTime) -> Option<FixedOffset> {
        match self {
            Zone::Fixed(f) => Some(*f),
            Zone::Named(tz) => tz.offset_from_local_datetime(local).earliest().map(|o| chrono::Offset::fix(&o)),
        }
    }

    fn offset_at_utc(&self, utc: &NaiveDateTime) -> FixedOffset {
        match self {
            Zone::Fixed(f) => *f,
            Zone::Named(tz) => chrono::Offset::fix(&tz.offset_from_utc_datetime(utc)),
        }
    }
}

/// A Java `DateTimeFormatter` pattern translated to chrono strftime items.
#[derive(Debug, Clone)]
struct DatePattern {
    strftime: String,
    /// The pattern has an `X` offset, which also accepts a literal `Z`.
    iso_offset: bool,
}

impl DatePattern {
    /// Translates a Java pattern (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`). Unsupported letters → None.
    fn new(java: &str) -> Option<DatePattern> {
        let chars: Vec<char> = java.chars().collect();
        let mut out = String::new();
        let mut iso_offset = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                // Quoted literal; '' is a quote.
                if chars.get(i + 1) == Some(&'\'') {
                    out.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                while i < chars.len() {
                    if chars[i] == '\'' {
                        if chars.get(i + 1) == Some(&'\'') {
                            out.push('\'');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    push_literal(&mut out, chars[i]);
                    i += 1;
                }
                i += 1;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                push_literal(&mut out, c);
                i += 1;
                continue;
            }
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            let item = match c {
                'y' | 'u' => {
                    if n == 2 {
                        "%y"
                    } else {
                        "%Y"
                    }
                }
                'M' | 'L' => match n {
                    1 | 2 => "%m",
                    3 => "%b",
                    _ => "%B",
                },
                'd' => "%d",
                'D' => "%j",
                'H' | 'k' => "%H",
                'h' | 'K' => "%I",
                'm' => "%M",
                's' => "%S",
                'S' => match n {
                    1..=3 => "%3f",
                    4..=6 => "%6f",
                    _ => "%9f",
                },
                'a' => "%p",
                'E' => {
                    if n >= 4 {
                        "%A"
                    } else {
                        "%a"
                    }
                }
                'Z' => {
                    if n >= 4 {
                        "%:z"
                    } else {
                        "%z"
                    }
                }
                'X' | 'x' => {
                    iso_offset |= c == 'X';
                    if n == 1 {
                        "%#z"
                    } else if n % 2 == 0 {
                        "%z"
                    } else {
                        "%:z"
                    }
                }
                _ => return None,
            };
            out.push_str(item);
            i += n;
        }
        Some(DatePattern { strftime: out, iso_offset })
    }

    /// Epoch ms of `text`. Without an offset in the text, the time is in `tz` (default UTC).
    /// Missing time of day = midnight.
    fn parse(&self, text: &str, tz: Option<&Zone>) -> Option<i64> {
        let mut text = text.trim().to_string();
        if self.iso_offset && text.ends_with('Z') {
            text.pop();
            text.push_str("+00:00");
        }
        let mut parsed = chrono::format::Parsed::new();
        chrono::format::parse(&mut parsed, &text, chrono::format::StrftimeItems::new(&self.strftime)).ok()?;
        let date: NaiveDate = parsed.to_naive_date().ok()?;
        let time = if parsed.hour_div_12.is_some() || parsed.hour_mod_12.is_some() {
            if parsed.minute.is_none() {
                parsed.set_minute(0).ok()?;
            }
            parsed.to_naive_time().ok()?
        } else {
            NaiveTime::MIN
        };
        let local = NaiveDateTime::new(date, time);
        let offset = match parsed.offset {
            Some(secs) => FixedOffset::east_opt(secs)?,
            None => match tz {
                Some(z) => z.offset_at_local(&local)?,
                None => FixedOffset::east_opt(0)?,
            },
        };
        let dt: DateTime<FixedOffset> = offset.from_local_datetime(&local).single()?;
        Some(dt.timestamp_millis())
    }
}

/// True if `pattern` is a Java date pattern larch understands.
pub fn valid_java_pattern(pattern: &str) -> bool {
    DatePattern::new(pattern).is_some()
}

fn push_literal(out: &mut String, c: char) {
    match c {
        '%' => out.push_str("%%"),
        '\n' => out.push_str("%n"),
        '\t' => out.push_str("%t"),
        c => out.push(c),
    }
}

/// Formats epoch ms with a strftime format (if it contains `%`) or a Java pattern.
fn format_date(ms: i64, fmt: &str, tz: &Zone, ctx: &Ctx) -> Option<String> {
    use std::fmt::Write as _;
    let utc = Utc.timestamp_millis_opt(ms).single()?.naive_utc();
    let offset = tz.offset_at_utc(&utc);
    let dt = offset.from_utc_datetime(&utc);
    let strftime = if fmt.contains('%') { fmt.to_string() } else { ctx.pattern(fmt)?.strftime };
    let items: Vec<chrono::format::Item> = chrono::format::StrftimeItems::new(&strftime).collect();
    if items.iter().any(|i| matches!(i, chrono::format::Item::Error)) {
        return None;
    }
    let mut out = String::new();
    write!(out, "{}", dt.format_with_items(items.into_iter())).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx::new(Op::ParseDate, &[])
    }

    #[test]
    fn dates() {
        let p = DatePattern::new("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").unwrap();
        assert_eq!(p.parse("2024-01-02T03:04:05.678Z", None), Some(1_704_164_645_678));
        assert_eq!(p.parse("2024-01-02T03:04:05.678+01:00", None), Some(1_704_161_045_678));
        let d = DatePattern::new("dd/MMM/yyyy:HH:mm:ss Z").unwrap();
        assert_eq!(d.parse("10/Oct/2000:13:55:36 -0700", None), Some(971_211_336_000));
        let day = DatePattern::new("yyyy-MM-dd").unwrap();
        assert_eq!(day.parse("2024-01-02", None), Some(1_704_153_600_000));
        assert_eq!(day.parse("2024-01-02", Zone::parse("+01:00").as_ref()), Some(1_704_150_000_000));
        assert_eq!(day.parse("nope", None), None);
        assert!(DatePattern::new("yyyy-GG").is_none());
        let z = Zone::parse("America/New_York").unwrap();
        assert_eq!(format_date(1_704_164_645_678, "%Y-%m-%d %H:%M", &z, &ctx()).as_deref(), Some("2024-01-01 22:04"));
        let utc = Zone::parse("UTC").unwrap();
        assert_eq!(
            format_date(1_704_164_645_678, "yyyy-MM-dd HH:mm:ss.SSS", &utc, &ctx()).as_deref(),
            Some("2024-01-02 03:04:05.678")
        );
        assert_eq!(format_date(0, "%Q", &utc, &ctx()), None);
    }

    #[test]
    fn encodings_and_ips() {
        assert_eq!(url_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(url_decode("a+b%26c%3Dd%2F%C3%A9").as_deref(), Some("a b&c=d/é"));
        assert_eq!(url_decode("%zz"), None);
        assert_eq!(url_decode("%4"), None);
        assert_eq!(classify("10.1.2.3".parse().unwrap()), IpClass::Private);
        assert_eq!(classify("127.0.0.1".parse().unwrap()), IpClass::Reserved);
        assert_eq!(classify("8.8.8.8".parse().unwrap()), IpClass::Public);
        assert_eq!(classify("fd00::1".parse().unwrap()), IpClass::Private);
        assert!(in_subnet("10.1.2.3".parse().unwrap(), "10.0.0.0".parse().unwrap(), 8));
        assert!(!in_subnet("11.1.2.3".parse().unwrap(), "10.0.0.0".parse().unwrap(), 8));
        assert!(in_subnet("1.2.3.4".parse().unwrap(), "0.0.0.0".parse().unwrap(), 0));
        assert!((haversine_km(39.0438, -77.4879, 45.73723, -119.81143) - 3512.7).abs() < 1.0);
    }
}
