//! Substring pruning: the literals that `@message` of every row a query can return must contain,
//! so that the scan skips segments and row groups whose substring index
//! ([`larch_storage::index`]) rules them out.
//!
//! The result is a conjunction of clauses, each a disjunction of literals ("the message
//! contains `a` or `b`"). It is a *necessary* condition only, derived conservatively:
//!
//! * Only `filter` (and `filterIndex`) commands count, and only those before the first command
//!   that changes which rows later commands see as a whole: `stats`, `limit`/`head`/`tail`
//!   (a filter after `limit 20` filters those 20 rows; pruning first would return other rows),
//!   `dedup`, and every other command. `fields`, `display`, `sort` and `parse` may precede a
//!   counted filter, unless they redefine `@message` (`fields x as @message`,
//!   `parse … as @message`), which ends the analysis.
//! * Queries with sub-queries (`join`, `appendcols`, `in (…)`) are not pruned at all.
//! * In a filter expression: `@message like 'lit'` (case-sensitive substring),
//!   `@message = 'lit'`, `@message in ['a', 'b']` and `@message like /re/` (the prefix and the
//!   suffix literal sets of the regex, as `regex-syntax` extracts them: every match starts with
//!   one of the prefixes and ends with one of the suffixes; none when a set is infinite, e.g.
//!   `(?i)` over long text or a leading `.*`) give clauses; `and` joins clauses, `or`
//!   distributes them; `not`, `not like`, `!=` and everything else give no condition.
//! * Literals shorter than 3 bytes have no trigram: a clause holding one is dropped.
//!
//! A row whose message misses a clause cannot pass the filters that produced it, so skipping
//! it changes neither the result nor `recordsMatched`; `recordsScanned` is computed from an
//! unpruned scan (`engine::scanned_totals`).

use larch_insights::{BinaryOp, CommandKind, Expr, ExprKind, LikePattern, ParseMode, Projection, Query};

/// Most literals in one clause (more: the clause is dropped).
const MAX_ALTERNATIVES: usize = 16;
/// Literals shorter than this cannot prune (no trigram).
const MIN_LITERAL_BYTES: usize = 3;
/// `or` of two conjunctions: at most this many clauses of each side are distributed.
const MAX_DISTRIBUTED: usize = 4;

/// Conditions on `@message` of every row that can reach the result: each clause lists literals
/// of which the message contains at least one. No clauses: no condition (scan everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruning {
    pub clauses: Vec<Vec<String>>,
}

impl Pruning {
    /// No condition.
    pub fn none() -> Self {
        Pruning::default()
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The conditions `ast` implies (see the module docs).
    pub fn for_query(ast: &Query) -> Self {
        if ast.commands.iter().any(|c| matches!(c.kind, CommandKind::Join { .. } | CommandKind::AppendCols { .. })) {
            return Pruning::none();
        }
        let mut clauses = Vec::new();
        for command in &ast.commands {
            match &command.kind {
                CommandKind::Filter(e) | CommandKind::FilterIndex(e) => {
                    if has_subquery(e) {
                        return Pruning::none();
                    }
                    clauses.extend(necessary(e));
                }
                CommandKind::Fields(projections) => {
                    if projections.iter().any(redefines_message) {
                        break;
                    }
                }
                CommandKind::Display(_) | CommandKind::Sort(_) => {}
                CommandKind::Parse(parse) => {
                    if parse_defines(&parse.mode).iter().any(|name| name == MESSAGE) {
                        break;
                    }
                }
                _ => break,
            }
        }
        Pruning { clauses: normalize(clauses) }
    }
}

const MESSAGE: &str = "@message";

fn is_message(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Field(f) if f.name == MESSAGE)
}

fn string(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Str(s) => Some(s),
        _ => None,
    }
}

/// `fields … as @message` with anything but `@message` itself. (Without an alias a projection
/// is named by its text, which is `@message` only for the field itself.)
fn redefines_message(p: &Projection) -> bool {
    p.alias.as_ref().is_some_and(|a| a.name == MESSAGE) && !is_message(&p.expr)
}

/// Names a `parse` defines.
fn parse_defines(mode: &ParseMode) -> Vec<String> {
    match mode {
        ParseMode::Glob { aliases, .. } | ParseMode::Csv { aliases } => {
            aliases.iter().map(|a| a.name.clone()).collect()
        }
        ParseMode::Regex { regex, .. } => regex.named_groups(),
        ParseMode::Logfmt { alias } => vec![alias.name.clone()],
    }
}

fn has_subquery(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::InSubquery { .. } => true,
        ExprKind::Unary { expr, .. } | ExprKind::Like { expr, .. } => has_subquery(expr),
        ExprKind::Binary { lhs, rhs, .. } => has_subquery(lhs) || has_subquery(rhs),
        ExprKind::In { expr, list, .. } => has_subquery(expr) || list.iter().any(has_subquery),
        ExprKind::Call { args, .. } => args.iter().any(has_subquery),
        ExprKind::Index { base, index } => has_subquery(base) || has_subquery(index),
        ExprKind::Member { base, .. } => has_subquery(base),
        _ => false,
    }
}

/// Clauses every row for which `e` is true satisfies.
fn necessary(e: &Expr) -> Vec<Vec<String>> {
    match &e.kind {
        ExprKind::Binary { op: BinaryOp::And, lhs, rhs } => {
            let mut clauses = necessary(lhs);
            clauses.extend(necessary(rhs));
            clauses
        }
        ExprKind::Binary { op: BinaryOp::Or, lhs, rhs } => {
            let (left, right) = (necessary(lhs), necessary(rhs));
            // (a1 ∧ a2) ∨ (b1 ∧ b2) implies every (ai ∨ bj); keeping some of them is weaker
            // but still implied.
            let mut clauses = Vec::new();
            for a in left.iter().take(MAX_DISTRIBUTED) {
                for b in right.iter().take(MAX_DISTRIBUTED) {
                    clauses.push(a.iter().chain(b).cloned().collect());
                }
            }
            clauses
        }
        ExprKind::Binary { op: BinaryOp::Eq, lhs, rhs } => {
            let literal = match (is_message(lhs), is_message(rhs)) {
                (true, _) => string(rhs),
                (_, true) => string(lhs),
                _ => None,
            };
            literal.map(|s| vec![vec![s.to_string()]]).unwrap_or_default()
        }
        ExprKind::Like { expr, pattern, negated: false } if is_message(expr) => match pattern {
            LikePattern::Substring(s) => vec![vec![s.clone()]],
            LikePattern::Regex(r) => regex_clauses(&r.pattern),
        },
        ExprKind::In { expr, list, negated: false } if is_message(expr) => {
            let items: Option<Vec<String>> = list.iter().map(|item| string(item).map(str::to_string)).collect();
            items.filter(|items| !items.is_empty()).map(|items| vec![items]).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// The prefix and suffix literal sets of an Insights regex, parsed exactly as the query engine
/// compiles it (`udf::compile`: group names translated, `regex` crate defaults).
fn regex_clauses(pattern: &str) -> Vec<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let Ok(hir) = regex_syntax::parse(&crate::udf::translate_regex(pattern)) else { return Vec::new() };
    let mut clauses = Vec::new();
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let seq = Extractor::new().kind(kind).extract(&hir);
        let Some(literals) = seq.literals() else { continue };
        // An empty set would mean "never matches": not worth trusting for pruning.
        if literals.is_empty() || literals.len() > MAX_ALTERNATIVES {
            continue;
        }
        // Literals cut at a length limit may end inside a UTF-8 sequence: skip such sets.
        let strings: Option<Vec<String>> =
            literals.iter().map(|l| String::from_utf8(l.as_bytes().to_vec()).ok()).collect();
        clauses.extend(strings);
    }
    clauses
}

/// Drops clauses that cannot prune (a literal without a trigram, too many literals), sorts and
/// dedups literals and clauses.
fn normalize(clauses: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for mut clause in clauses {
        clause.sort();
        clause.dedup();
        let prunes = !clause.is_empty()
            && clause.len() <= MAX_ALTERNATIVES
            && clause.iter().all(|l| l.len() >= MIN_LITERAL_BYTES);
        if prunes && !out.contains(&clause) {
            out.push(clause);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clauses(query: &str) -> Vec<Vec<&'static str>> {
        let ast = larch_insights::parse(query).unwrap_or_else(|e| panic!("{query}: {e:?}"));
        Pruning::for_query(&ast)
            .clauses
            .into_iter()
            .map(|c| c.into_iter().map(|s| &*Box::leak(s.into_boxed_str())).collect())
            .collect()
    }

    #[test]
    fn substring_equality_and_membership_filters_give_literals() {
        let needle = "filter @message like 'needle-0123abcd4567' | fields @timestamp, @message \
                      | sort @timestamp desc | limit 20";
        assert_eq!(clauses(needle), vec![vec!["needle-0123abcd4567"]]);
        assert_eq!(clauses("filter @message = 'exact line'"), vec![vec!["exact line"]]);
        assert_eq!(clauses("filter 'exact line' = @message"), vec![vec!["exact line"]]);
        assert_eq!(clauses("filter @message in ['alpha', 'beta']"), vec![vec!["alpha", "beta"]]);
        assert_eq!(
            clauses("filter @message like 'ERROR' and @message like 'timeout' | stats count(*)"),
            vec![vec!["ERROR"], vec!["timeout"]]
        );
        assert_eq!(
            clauses("filter @message like 'ERROR' | filter @message like 'timeout'"),
            vec![vec!["ERROR"], vec!["timeout"]]
        );
        assert_eq!(clauses("where @message like 'abc'"), vec![vec!["abc"]]);
    }

    #[test]
    fn or_distributes_and_loses_nothing() {
        assert_eq!(clauses("filter @message like 'ERROR' or @message like 'WARN'"), vec![vec!["ERROR", "WARN"]]);
        assert_eq!(
            clauses("filter (@message like 'abc' and @message like 'def') or @message like 'ghi'"),
            vec![vec!["abc", "ghi"], vec!["def", "ghi"]]
        );
        // One side without a condition: no condition.
        assert!(clauses("filter @message like 'ERROR' or status = 500").is_empty());
        assert!(clauses("filter @message like 'ERROR' or @message like 'x'").is_empty());
    }

    #[test]
    fn regexes_give_their_prefix_and_suffix_literals() {
        assert_eq!(clauses("filter @message like /needle-0123/"), vec![vec!["needle-0123"]]);
        assert_eq!(clauses("filter @message =~ /timed out/"), vec![vec!["timed out"]]);
        assert_eq!(clauses("filter @message like /ERROR|FATAL/"), vec![vec!["ERROR", "FATAL"]]);
        assert_eq!(clauses(r"filter @message like /user=\d+ denied/"), vec![vec!["user="], vec![" denied"]]);
        assert_eq!(clauses(r"filter @message like /GET \S+ 500/"), vec![vec!["GET "], vec![" 500"]]);
        // Unanchored searches with a leading/trailing wildcard still have the other side.
        assert_eq!(clauses(r"filter @message like /.*needle/"), vec![vec!["needle"]]);
        // Named groups in the Insights form are translated before parsing.
        assert_eq!(clauses(r"filter @message like /(?<@user>\w+) logged in/"), vec![vec![" logged in"]]);
        // Case-insensitive: variants; too many → nothing.
        assert_eq!(clauses(r"filter @message like /(?i)err/").len(), 1);
        assert_eq!(clauses(r"filter @message like /(?i)err/")[0].len(), 8);
        assert!(clauses(r"filter @message like /(?i)exception/").is_empty());
        assert!(clauses(r"filter @message like /\d+/").is_empty());
        assert!(clauses(r"filter @message like /a.b/").is_empty());
    }

    #[test]
    fn conservative_cases_give_nothing() {
        for query in [
            "filter @message not like 'needle'",
            "filter not (@message like 'needle')",
            "filter @message != 'needle'",
            "filter @message not in ['alpha', 'beta']",
            "filter @message like 'ab'",
            "filter msg like 'needle'",
            "filter @logStream like 'needle'",
            "filter @message = 12345",
            "filter strlen(@message) > 5",
            // Rows are cut before the filter: pruning would change which rows the limit keeps.
            "limit 20 | filter @message like 'needle'",
            "head 20 | filter @message like 'needle'",
            "stats count(*) as n by @message | filter @message like 'needle'",
            // @message redefined before the filter.
            "fields concat('needle', @logStream) as @message | filter @message like 'needle'",
            "parse @logStream /(?<@message>.*)/ | filter @message like 'needle'",
            "parse @logStream 'x*y' as @message | filter @message like 'needle'",
        ] {
            assert!(clauses(query).is_empty(), "{query}: {:?}", clauses(query));
        }
    }

    #[test]
    fn commands_that_keep_rows_and_message_may_precede_the_filter() {
        for query in [
            "fields @timestamp, @message | filter @message like 'needle'",
            "fields @message as @message | filter @message like 'needle'",
            "display @message | filter @message like 'needle'",
            "sort @timestamp asc | filter @message like 'needle'",
            "parse @message 'user=* ' as user | filter @message like 'needle'",
            "parse @message /(?<user>\\w+)/ | filter @message like 'needle'",
        ] {
            assert_eq!(clauses(query), vec![vec!["needle"]], "{query}");
        }
        // Filters after the first limit do not count; those before do.
        assert_eq!(
            clauses("filter @message like 'first' | limit 5 | filter @message like 'second'"),
            vec![vec!["first"]]
        );
    }
}
