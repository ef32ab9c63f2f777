//! Term (unstructured) patterns: `ERROR`, `"Failed to process"`, `ERROR -Exiting`,
//! `?ERROR ?WARN`, and term groups `?ERROR MainThread ?WARN Deadlock`.
//!
//! Every term is a case-sensitive substring test against the raw message. The pattern is an
//! OR of groups; each `?` opens a new group and the plain / `-` terms that follow join it
//! (the rendering AWS CDK's `anyTermGroup` relies on). Within a group all included terms must
//! occur and no excluded term may.

use crate::error::FilterError;
use crate::lexer::{first_invalid_run, is_term_char, read_quoted};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TermGroup {
    required: Vec<String>,
    excluded: Vec<String>,
}

impl TermGroup {
    fn is_empty(&self) -> bool {
        self.required.is_empty() && self.excluded.is_empty()
    }

    fn matches(&self, message: &str) -> bool {
        self.required.iter().all(|term| message.contains(term.as_str()))
            && !self.excluded.iter().any(|term| message.contains(term.as_str()))
    }
}

/// A compiled term pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TermPattern {
    groups: Vec<TermGroup>,
}

impl TermPattern {
    pub(crate) fn parse(pattern: &str) -> Result<Self, FilterError> {
        let mut groups = vec![TermGroup::default()];
        let mut pos = 0;
        loop {
            pos = skip_whitespace(pattern, pos);
            if pos >= pattern.len() {
                break;
            }
            if pattern[pos..].starts_with('?') {
                if groups.last().is_some_and(|g| !g.is_empty()) {
                    groups.push(TermGroup::default());
                }
                pos = skip_whitespace(pattern, pos + 1);
            }
            let excluded = pattern[pos..].starts_with('-');
            if excluded {
                pos = skip_whitespace(pattern, pos + 1);
            }
            let (term, end) = read_term(pattern, pos)?;
            pos = end;
            let group = groups.last_mut().expect("groups is never empty");
            if excluded {
                group.excluded.push(term);
            } else {
                group.required.push(term);
            }
        }
        groups.retain(|g| !g.is_empty());
        Ok(TermPattern { groups })
    }

    pub(crate) fn matches(&self, message: &str) -> bool {
        self.groups.iter().any(|group| group.matches(message))
    }
}

fn skip_whitespace(text: &str, pos: usize) -> usize {
    text[pos..].find(|c: char| !c.is_whitespace()).map_or(text.len(), |offset| pos + offset)
}

/// Reads one quoted or unquoted term at `pos`.
fn read_term(pattern: &str, pos: usize) -> Result<(String, usize), FilterError> {
    let rest = &pattern[pos..];
    if rest.is_empty() {
        return Err(FilterError::invalid("? or - must be followed by a term"));
    }
    if rest.starts_with('"') {
        return read_quoted(pattern, pos);
    }
    // An unquoted term runs to the next blank or quote; AWS only accepts letters, digits
    // and `_` in it.
    let len = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
    let word = &rest[..len];
    if let Some(term) = first_invalid_run(word, is_term_char) {
        return Err(FilterError::InvalidCharacters { term });
    }
    Ok((word.to_string(), pos + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(pattern: &str) -> Vec<(Vec<&'static str>, Vec<&'static str>)> {
        let parsed = TermPattern::parse(pattern).unwrap();
        parsed
            .groups
            .iter()
            .map(|g| {
                let leak = |v: &Vec<String>| v.iter().map(|s| &*Box::leak(s.clone().into_boxed_str())).collect();
                (leak(&g.required), leak(&g.excluded))
            })
            .collect()
    }

    #[test]
    fn groups_open_at_question_marks() {
        assert_eq!(
            groups(r#"?"ERROR" "MainThread" ?"WARN" "Deadlock""#),
            vec![(vec!["ERROR", "MainThread"], vec![]), (vec!["WARN", "Deadlock"], vec![])]
        );
        assert_eq!(groups("a ?b ?c"), vec![(vec!["a"], vec![]), (vec!["b"], vec![]), (vec!["c"], vec![])]);
        assert_eq!(groups(r#""ERROR" - "Exiting""#), vec![(vec!["ERROR"], vec!["Exiting"])]);
    }

    #[test]
    fn unquoted_terms_are_word_characters_only() {
        assert_eq!(
            TermPattern::parse("Status: timeout").unwrap_err(),
            FilterError::InvalidCharacters { term: ":".into() }
        );
        assert!(TermPattern::parse("ERROR -").is_err());
        assert!(TermPattern::parse("?").is_err());
        assert!(TermPattern::parse("\"open").is_err());
    }
}
