//! Parser for the CloudWatch **Logs Insights** query language (`CWLI`).
//!
//! [`parse`] turns a query string into a typed [`Query`] AST with source
//! spans, after semantic validation. Errors are [`ParseError`]s with
//! **character** offsets, ready to become a `MalformedQueryException`
//! (`queryCompileError.location.{startCharOffset,endCharOffset}`).
//!
//! ```
//! use larch_insights::{parse, CommandKind};
//!
//! let q = "fields @timestamp, strlen(@message) as len | filter len > 10 | sort @timestamp desc | limit 5";
//! let query = parse(q).unwrap();
//! assert_eq!(query.commands.len(), 4);
//! let CommandKind::Fields(projections) = &query.commands[0].kind else { unreachable!() };
//! assert_eq!(projections[0].output_name(q), "@timestamp");
//! assert_eq!(projections[1].output_name(q), "len");
//!
//! let err = parse("fields a |").unwrap_err();
//! assert_eq!((err.start, err.end), (9, 10));
//! ```
//!
//! # Consuming the AST
//!
//! * [`Query`] = optional [`Source`] + ordered [`Command`]s; each command is
//!   `{ kind: CommandKind, span }`. Aliases are resolved (`where` → `Filter`,
//!   `order` → `Sort`, `count_frequent` → `CountFrequent`).
//! * [`Expr`] = `{ kind: ExprKind, span }`. Calls carry the canonical
//!   function name and a `&'static` [`FunctionSpec`]; `like`/`=~` carry a
//!   [`LikePattern`] (substring vs regex); `not in`/`not like` are flags.
//!   `-<number>` is folded into a negative literal; parentheses leave no
//!   node (the span of the inner expression includes them).
//! * Column names: [`Projection::output_name`] (alias or verbatim text).
//! * Field names are case-sensitive [`FieldRef`]s with both the full dotted
//!   `name` and its `segments` (for `jsonParse` map access).
//! * Durations: [`Duration`] with [`Duration::millis`], calendar
//!   [`Period`]s and AWS's `bin()` cap ([`Duration::bin_millis`]).
//! * `Display` on [`Query`] gives a stable S-expression dump (golden tests).
//!
//! # Layout
//!
//! | file | role |
//! |---|---|
//! | `token.rs` | token kinds |
//! | `lexer.rs` | positional lexer; regex-vs-division decided by the parser |
//! | `parser/mod.rs` | cursor, query/pipeline, `SOURCE`, sub-queries, depth limits |
//! | `parser/commands.rs` | one function per command (§2.2) |
//! | `parser/expr.rs` | Pratt expression parser (§2.3 precedence) |
//! | `ast.rs` | AST types |
//! | `functions.rs` | function registry (§2.5): names, kinds, arities |
//! | `duration.rs` | time periods and the `bin()` cap |
//! | `validate.rs` | semantic rules (placement, aggregates, aliases …) |
//! | `pretty.rs` | S-expression `Display` |
//! | `error.rs` | [`ParseError`] |
//!
//! # Decisions on unverified ([U]) points
//!
//! * Keywords, command names, function names and duration units are
//!   case-insensitive; field names are case-sensitive.
//! * `==` is accepted as `=`; `sort by x` is accepted as `sort x`.
//! * Unknown string escapes are kept verbatim (`"\d"` is `\d`).
//! * A digit-leading word that is not a number/duration (`2xx`) is a field.
//! * `=~ "text"` treats the string as a regex.
//! * `limit`/`head`/`tail` accept 1..=100,000.
//! * The ephemeral-alias collision set is reset by each `stats`.
//! * Error offsets are half-open (`end` exclusive) character offsets.

#![warn(missing_docs)]

pub mod ast;
pub mod duration;
pub mod error;
pub mod functions;
pub mod lexer;
mod parser;
mod pretty;
pub mod token;
mod validate;

pub use ast::*;
pub use duration::{Duration, DurationUnit, Period};
pub use error::ParseError;
pub use functions::{FUNCTIONS, FunctionCategory, FunctionKind, FunctionSpec, lookup_function};
pub use parser::{MAX_NESTING, MAX_TREE_DEPTH};

/// Parses and validates a Logs Insights query.
///
/// Never panics; deeply nested input is rejected with an error instead of
/// overflowing the stack.
pub fn parse(query: &str) -> Result<Query, ParseError> {
    let q = parser::Parser::new(query).parse_top()?;
    validate::validate(&q, query)?;
    Ok(q)
}

/// Parses without semantic validation (syntax only). Useful for tooling
/// that wants the AST of a query AWS would reject (e.g. three `stats`).
pub fn parse_syntax(query: &str) -> Result<Query, ParseError> {
    parser::Parser::new(query).parse_top()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_queries() {
        for q in ["", "   ", "\n# comment only\n"] {
            let e = parse(q).unwrap_err();
            assert_eq!((e.start, e.end), (0, 0));
            assert!(e.message.starts_with("Query is empty"));
        }
    }

    #[test]
    fn char_offsets() {
        let q = "fields \"é\" as ü |";
        let e = parse(q).unwrap_err();
        assert_eq!((e.start, e.end), (16, 17));
        assert_eq!(Span::new(7, 11).char_range(q), (7, 10));
        assert_eq!(Span::new(7, 11).text(q), "\"é\"");
    }

    #[test]
    fn output_names_and_bin() {
        let q = "stats count(*), pct(latency, 99) as p99 by bin(300s)";
        let query = parse(q).unwrap();
        let CommandKind::Stats(s) = &query.commands[0].kind else { panic!() };
        assert_eq!(s.aggregations[0].output_name(q), "count(*)");
        assert_eq!(s.aggregations[1].output_name(q), "p99");
        assert_eq!(s.by[0].output_name(q), "bin(300s)");
        let ExprKind::Call { name, args, .. } = &s.by[0].expr.kind else { panic!() };
        assert_eq!(*name, "bin");
        let ExprKind::Duration(d) = &args[0].kind else { panic!() };
        assert_eq!(d.millis(), Some(300_000));
        assert_eq!(d.bin_millis(), Some(60_000));
    }

    #[test]
    fn regex_named_groups() {
        let q = parse(r"parse @message /(?<a>\d+)(?:x)(?P<b>y)(?<@c>z)(?<=w)\(?<no>/").unwrap();
        let CommandKind::Parse(p) = &q.commands[0].kind else { panic!() };
        let ParseMode::Regex { regex, .. } = &p.mode else { panic!() };
        assert_eq!(regex.named_groups(), vec!["a", "b", "@c"]);
    }

    #[test]
    fn parse_syntax_skips_validation() {
        assert!(parse("fields sum(x)").is_err());
        assert!(parse_syntax("fields sum(x)").is_ok());
    }
}
