//! Scalar Insights functions mapped onto DataFusion expressions.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::prelude::{Expr, cast, col, lit, when};
use larch_insights::{ExprKind, Period, Span};

use super::Compiler;
use super::expr::floor_millis;
use super::kind::{Kind, to_bool, to_millis, to_num, to_str};
use crate::error::Result;
use crate::scan::cols;
use crate::udf::{Op, ScalarFn, udf};

/// A number as Int64, clamped to ±1e15 first (a cast of a larger value would fail the query).
pub(crate) fn int(e: Expr) -> Expr {
    cast(f::least(vec![f::greatest(vec![e, lit(-1e15)]), lit(1e15)]), DataType::Int64)
}

/// A call of one of larch's row-wise functions (`udf/scalar.rs`).
pub(crate) fn scalar(op: Op, args: Vec<Expr>) -> Expr {
    udf(ScalarFn::new(op, args.len())).call(args)
}

impl Compiler<'_> {
    pub(crate) fn call(
        &mut self,
        name: &str,
        args: &[larch_insights::Expr],
        name_span: Span,
        span: Span,
    ) -> Result<(Expr, Kind)> {
        // Functions whose arguments are not ordinary expressions come first.
        if matches!(name, "now" | "queryStartTime" | "queryEndTime" | "queryTimeRange") {
            self.window_dependent = true;
        }
        match name {
            "bin" => return self.bin(args, span),
            "datefloor" | "dateceil" => return self.date_round(name, args, span),
            "now" => return Ok((lit((self.params.now_ms / 1000) as f64), Kind::Num)),
            "queryStartTime" => return Ok((lit(self.params.start_ms), Kind::Time)),
            "queryEndTime" => return Ok((lit(self.params.end_ms), Kind::Time)),
            "queryTimeRange" => {
                return Ok((lit((self.params.end_ms - self.params.start_ms) as f64), Kind::Num));
            }
            _ => {}
        }
        let mut compiled = Vec::with_capacity(args.len());
        for a in args {
            compiled.push(self.expr(a)?);
        }
        let one_zero = |cond: Expr| when(cond, lit(1.0)).otherwise(lit(0.0)).map(|e| (e, Kind::Num));
        let arg = |i: usize| compiled[i].clone();
        let s = |i: usize| to_str(compiled[i].0.clone(), compiled[i].1);
        let n = |i: usize| to_num(compiled[i].0.clone(), compiled[i].1);
        let out = match name {
            "ispresent" => (arg(0).0.is_not_null(), Kind::Bool),
            "isempty" => one_zero(arg(0).0.clone().is_null().or(s(0).eq(lit(""))))?,
            "isblank" => one_zero(arg(0).0.clone().is_null().or(f::btrim(vec![s(0)]).eq(lit(""))))?,
            "coalesce" => {
                let kind = compiled[0].1;
                if compiled.iter().all(|(_, k)| *k == kind) {
                    (datafusion::prelude::coalesce(compiled.iter().map(|(e, _)| e.clone()).collect()), kind)
                } else {
                    (datafusion::prelude::coalesce((0..compiled.len()).map(s).collect()), Kind::Dyn)
                }
            }
            "if" => {
                let (cond, ck) = arg(0);
                let (a, ak) = arg(1);
                let (b, bk) = arg(2);
                let (a, b, k) = if ak == bk { (a, b, ak) } else { (to_str(a, ak), to_str(b, bk), Kind::Dyn) };
                (when(to_bool(cond, ck), a).otherwise(b)?, k)
            }
            "isNumeric" => (n(0).is_not_null(), Kind::Bool),
            "messageSize" => (cast(f::octet_length(col(cols::MSG)), DataType::Float64), Kind::Num),
            "concat" => {
                // A null argument makes the result null (string functions on missing fields).
                let any_null =
                    compiled.iter().map(|(e, _)| e.clone().is_null()).reduce(|a, b| a.or(b)).unwrap_or(lit(false));
                (
                    when(any_null, lit(datafusion::common::ScalarValue::Utf8(None)))
                        .otherwise(f::concat((0..compiled.len()).map(s).collect()))?,
                    Kind::Str,
                )
            }
            "strlen" => (cast(f::character_length(s(0)), DataType::Float64), Kind::Num),
            "toupper" => (f::upper(s(0)), Kind::Str),
            "tolower" => (f::lower(s(0)), Kind::Str),
            "trim" | "ltrim" | "rtrim" => {
                let mut a = vec![s(0)];
                if compiled.len() > 1 {
                    a.push(s(1));
                }
                let e = match name {
                    "trim" => f::btrim(a),
                    "ltrim" => f::ltrim(a),
                    _ => f::rtrim(a),
                };
                (e, Kind::Str)
            }
            "substr" => {
                // Insights is 0-based; SQL substr is 1-based.
                let start = int(n(1)) + lit(1i64);
                // A negative length (an error in DataFusion) is an empty string.
                let e = if compiled.len() > 2 {
                    f::substring(s(0), start, int(f::greatest(vec![n(2), lit(0.0)])))
                } else {
                    f::substr(s(0), start)
                };
                (e, Kind::Str)
            }
            "replace" => (f::replace(s(0), s(1), s(2)), Kind::Str),
            "strcontains" => {
                // Optional third argument: true = case-insensitive.
                let insensitive = compiled.len() > 2;
                let (hay, needle) = if insensitive { (f::lower(s(0)), f::lower(s(1))) } else { (s(0), s(1)) };
                let found = f::strpos(hay, needle).gt(lit(0i32));
                let found = if insensitive {
                    found.and(to_bool(arg(2).0, arg(2).1)).or(f::strpos(s(0), s(1)).gt(lit(0i32)))
                } else {
                    found
                };
                one_zero(found)?
            }
            "startsWith" => (f::starts_with(s(0), s(1)), Kind::Bool),
            "endsWith" => (f::ends_with(s(0), s(1)), Kind::Bool),
            "abs" => (f::abs(n(0)), Kind::Num),
            "ceil" => (f::ceil(n(0)), Kind::Num),
            "floor" => (f::floor(n(0)), Kind::Num),
            // Out of the domain → null (DataFusion would fail the query on sqrt(-1)).
            "sqrt" => (when(n(0).gt_eq(lit(0.0)), f::sqrt(n(0))).end()?, Kind::Num),
            "log" => (when(n(0).gt(lit(0.0)), f::ln(n(0))).end()?, Kind::Num),
            "round" => {
                let digits = if compiled.len() > 1 {
                    int(f::least(vec![f::greatest(vec![n(1), lit(-300.0)]), lit(300.0)]))
                } else {
                    lit(0i64)
                };
                (f::round(vec![n(0), digits]), Kind::Num)
            }
            "greatest" => (f::greatest((0..compiled.len()).map(n).collect()), Kind::Num),
            "least" => (f::least((0..compiled.len()).map(n).collect()), Kind::Num),
            "toNumber" | "toDouble" => (n(0), Kind::Num),
            "toInt" | "toLong" => (f::trunc(vec![n(0)]), Kind::Num),
            "fromMillis" => (to_millis(arg(0).0, arg(0).1), Kind::Time),
            "toMillis" => (cast(to_millis(arg(0).0, arg(0).1), DataType::Float64), Kind::Num),
            "unmask" => arg(0),
            "regexReplace" => {
                let pattern = match &args[1].kind {
                    ExprKind::Str(p) => p.clone(),
                    ExprKind::Regex(r) => r.pattern.clone(),
                    _ => {
                        return Err(self.malformed(args[1].span, "regexReplace needs a literal regular expression."));
                    }
                };
                if let Err(e) = regex::Regex::new(&pattern) {
                    return Err(self.malformed(args[1].span, format!("Invalid regular expression: {e}")));
                }
                (f::regexp_replace(s(0), lit(pattern), s(2), Some(lit("g"))), Kind::Str)
            }
            "case" => {
                // case(cond1, v1, cond2, v2, ...[, default]).
                let pairs = compiled.len() / 2;
                let values: Vec<(Expr, Kind)> = (0..pairs)
                    .map(|i| arg(2 * i + 1))
                    .chain((compiled.len() % 2 == 1).then(|| arg(compiled.len() - 1)))
                    .collect();
                let same = values.iter().all(|(_, k)| *k == values[0].1);
                let kind = if same { values[0].1 } else { Kind::Dyn };
                let value = |(e, k): (Expr, Kind)| if same { e } else { to_str(e, k) };
                let (c0, k0) = arg(0);
                let mut builder = when(to_bool(c0, k0), value(arg(1)));
                for i in 1..pairs {
                    let (c, k) = arg(2 * i);
                    builder = builder.when(to_bool(c, k), value(arg(2 * i + 1)));
                }
                let e = if compiled.len() % 2 == 1 {
                    builder.otherwise(value(arg(compiled.len() - 1)))?
                } else {
                    builder.end()?
                };
                (e, kind)
            }
            "split" => (scalar(Op::Split, vec![s(0), s(1)]), Kind::Dyn),
            "urlencode" => (scalar(Op::UrlEncode, vec![s(0)]), Kind::Str),
            "urldecode" => (scalar(Op::UrlDecode, vec![s(0)]), Kind::Str),
            "base64encode" => (scalar(Op::Base64Encode, vec![s(0)]), Kind::Str),
            "base64decode" => (scalar(Op::Base64Decode, vec![s(0)]), Kind::Str),
            "hexToAscii" => (scalar(Op::HexToAscii, vec![s(0)]), Kind::Str),
            "hexToDec" => (scalar(Op::HexToDec, vec![s(0)]), Kind::Num),
            "decToHex" => (scalar(Op::DecToHex, vec![n(0)]), Kind::Str),
            "parseDate" | "formatDate" => {
                if let Some(a) = args.get(1)
                    && let ExprKind::Str(p) = &a.kind
                    && !(name == "formatDate" && p.contains('%'))
                    && !crate::udf::scalar::valid_java_pattern(p)
                {
                    return Err(self.malformed(a.span, format!("Invalid date pattern: {p}")));
                }
                let mut a = if name == "parseDate" {
                    vec![s(0), s(1)]
                } else {
                    vec![cast(to_millis(arg(0).0, arg(0).1), DataType::Float64), s(1)]
                };
                if compiled.len() > 2 {
                    a.push(s(2));
                }
                if name == "parseDate" {
                    (cast(scalar(Op::ParseDate, a), DataType::Int64), Kind::Time)
                } else {
                    (scalar(Op::FormatDate, a), Kind::Str)
                }
            }
            "haversine" => (scalar(Op::Haversine, (0..4).map(n).collect()), Kind::Num),
            "jsonParse" => (scalar(Op::JsonParse, vec![s(0)]), Kind::Dyn),
            "jsonStringify" => (scalar(Op::JsonStringify, vec![s(0)]), Kind::Str),
            "jsonArraySize" => (scalar(Op::JsonArraySize, vec![s(0)]), Kind::Num),
            "jsonArrayContains" => (scalar(Op::JsonArrayContains, vec![s(0), s(1)]), Kind::Bool),
            "isValidIp" => (scalar(Op::IsValidIp, vec![s(0)]), Kind::Bool),
            "isValidIpV4" => (scalar(Op::IsValidIpV4, vec![s(0)]), Kind::Bool),
            "isValidIpV6" => (scalar(Op::IsValidIpV6, vec![s(0)]), Kind::Bool),
            "isIpInSubnet" => (scalar(Op::IpInSubnet, vec![s(0), s(1)]), Kind::Bool),
            "isIpv4InSubnet" => (scalar(Op::Ipv4InSubnet, vec![s(0), s(1)]), Kind::Bool),
            "isIpv6InSubnet" => (scalar(Op::Ipv6InSubnet, vec![s(0), s(1)]), Kind::Bool),
            "ipv4ToNumber" => (scalar(Op::Ipv4ToNumber, vec![s(0)]), Kind::Num),
            "isPrivateIP" => (scalar(Op::IsPrivateIp, vec![s(0)]), Kind::Bool),
            "isPublicIP" => (scalar(Op::IsPublicIp, vec![s(0)]), Kind::Bool),
            "isReservedIP" => (scalar(Op::IsReservedIp, vec![s(0)]), Kind::Bool),
            "md5" => (scalar(Op::Md5, vec![s(0)]), Kind::Str),
            "sha256" => (scalar(Op::Sha256, vec![s(0)]), Kind::Str),
            other => {
                return Err(self.malformed(name_span, format!("The function {other} is not supported by larch yet.")));
            }
        };
        Ok(out)
    }

    /// `bin(period)`: `@timestamp` floored to the period (AWS caps each unit's amount).
    fn bin(&mut self, args: &[larch_insights::Expr], span: Span) -> Result<(Expr, Kind)> {
        let ExprKind::Duration(d) = &args[0].kind else {
            return Err(self.malformed(args[0].span, "bin() needs a time period such as 5m."));
        };
        match d.bin_period() {
            Some(Period::Millis(ms)) => Ok((floor_millis(col(cols::TS), ms.max(1) as i64), Kind::Time)),
            Some(Period::Months(months)) => Ok((month_floor_expr(col(cols::TS), months), Kind::Time)),
            None => Err(self.malformed(span, "The period of bin() is too large.")),
        }
    }

    fn date_round(&mut self, name: &str, args: &[larch_insights::Expr], span: Span) -> Result<(Expr, Kind)> {
        let (value, kind) = self.expr(&args[0])?;
        let ExprKind::Duration(d) = &args[1].kind else {
            return Err(self.malformed(args[1].span, format!("{name}() needs a time period such as 1h.")));
        };
        let millis = to_millis(value, kind);
        let (floored, next) = match d.period() {
            Some(Period::Millis(ms)) => {
                let ms = ms.max(1) as i64;
                let floored = floor_millis(millis.clone(), ms);
                (floored.clone(), floored + lit(ms))
            }
            Some(Period::Months(months)) => {
                let floored = month_floor_expr(millis.clone(), months);
                // The next period starts at the floor of a time safely inside it.
                let next = month_floor_expr(floored.clone() + lit(months as i64 * 32 * 86_400_000), months);
                (floored, next)
            }
            None => return Err(self.malformed(span, format!("The period of {name}() is too large."))),
        };
        if name == "datefloor" {
            return Ok((floored, Kind::Time));
        }
        let ceil = when(floored.clone().eq(millis), floored).otherwise(next)?;
        Ok((ceil, Kind::Time))
    }
}

/// Calendar floor of epoch milliseconds to `months` months.
fn month_floor_expr(ms: Expr, months: u64) -> Expr {
    crate::udf::udf(crate::udf::MonthFloorUdf::default()).call(vec![cast(ms, DataType::Int64), lit(months as i64)])
}
