//! Log groups named in a SQL `FROM` clause: a backticked name or ARN (`` `/aws/lambda/a` ``,
//! `` `arn:aws:logs:…:log-group:/a` ``), or several through
//! ``` `logGroups(logGroupIdentifier: ['a', 'b'])` ```.

use crate::error::{QueryError, Result};

/// The log-group identifiers (names or ARNs) a table name of the query stands for.
pub fn identifiers(table: &str) -> Result<Vec<String>> {
    let trimmed = table.trim();
    let Some(rest) = strip_prefix_ci(trimmed, "logGroups").filter(|r| r.trim_start().starts_with('(')) else {
        return Ok(vec![strip_arn_star(trimmed).to_string()]);
    };
    let bad = |why: &str| QueryError::Malformed {
        start: 0,
        end: 0,
        message: format!(
            "Invalid log group selection `{trimmed}`: {why}. Expected `logGroups(logGroupIdentifier: ['name-or-arn', ...])`."
        ),
    };
    let rest = rest.trim_start();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.trim_end().strip_suffix(')'))
        .ok_or_else(|| bad("missing parentheses"))?
        .trim();
    let list =
        strip_prefix_ci(inner, "logGroupIdentifier").ok_or_else(|| bad("missing logGroupIdentifier"))?.trim_start();
    let list = list.strip_prefix(':').ok_or_else(|| bad("missing ':' after logGroupIdentifier"))?.trim();
    let body = list
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .ok_or_else(|| bad("the identifiers must be a [...] list"))?;
    let mut out = Vec::new();
    let mut chars = body.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(quote) = chars.next() else { break };
        if quote != '\'' && quote != '"' {
            return Err(bad("each identifier must be quoted"));
        }
        let mut item = String::new();
        loop {
            match chars.next() {
                Some(c) if c == quote => break,
                Some('\\') => item.extend(chars.next()),
                Some(c) => item.push(c),
                None => return Err(bad("unterminated string")),
            }
        }
        if item.is_empty() {
            return Err(bad("empty identifier"));
        }
        out.push(strip_arn_star(&item).to_string());
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.next() {
            Some(',') => continue,
            None => break,
            Some(_) => return Err(bad("identifiers must be separated by ','")),
        }
    }
    if out.is_empty() {
        return Err(bad("no log group given"));
    }
    Ok(out)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// `arn:…:log-group:name:*` (as DescribeLogGroups shows ARNs) names the group too.
fn strip_arn_star(s: &str) -> &str {
    if s.starts_with("arn:") { s.strip_suffix(":*").unwrap_or(s) } else { s }
}

#[cfg(test)]
mod tests {
    use super::identifiers;

    #[test]
    fn names_arns_and_lists() {
        assert_eq!(identifiers("/aws/lambda/a").unwrap(), ["/aws/lambda/a"]);
        assert_eq!(
            identifiers("arn:aws:logs:us-east-1:1:log-group:/a:*").unwrap(),
            ["arn:aws:logs:us-east-1:1:log-group:/a"]
        );
        assert_eq!(
            identifiers("logGroups(logGroupIdentifier: ['a', \"b\",'arn:x:log-group:c'])").unwrap(),
            ["a", "b", "arn:x:log-group:c"]
        );
        assert_eq!(identifiers("loggroups( logGroupIdentifier : [ 'a' ] )").unwrap(), ["a"]);
        assert_eq!(identifiers("logGroupsArchive").unwrap(), ["logGroupsArchive"]);
        assert!(identifiers("logGroups(logGroupIdentifier: [])").is_err());
        assert!(identifiers("logGroups(names: ['a'])").is_err());
        assert!(identifiers("logGroups(logGroupIdentifier: [a])").is_err());
    }
}
