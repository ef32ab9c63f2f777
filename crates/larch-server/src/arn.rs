//! Building and parsing CloudWatch Logs ARNs.

/// `arn:aws:logs:{region}:{account}:log-group:{name}` (the `logGroupArn` form, no `:*`).
pub fn log_group_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{name}")
}

pub fn log_stream_arn(region: &str, account: &str, group: &str, stream: &str) -> String {
    format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}")
}

/// A parsed log-group ARN.
#[derive(Debug, PartialEq)]
pub struct LogGroupArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub name: &'a str,
}

/// Parses `arn:aws*:logs:REGION:ACCOUNT:log-group:NAME` (a trailing `:*` is accepted).
pub fn parse_log_group_arn(arn: &str) -> Option<LogGroupArn<'_>> {
    let mut parts = arn.splitn(7, ':');
    let (scheme, partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    if scheme != "arn" || !partition.starts_with("aws") || service != "logs" {
        return None;
    }
    let region = parts.next()?;
    let account = parts.next()?;
    if parts.next()? != "log-group" {
        return None;
    }
    let rest = parts.next()?;
    let name = rest.strip_suffix(":*").unwrap_or(rest);
    if name.is_empty() || name.contains(':') {
        return None;
    }
    Some(LogGroupArn { region, account, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_group_arns() {
        let arn = parse_log_group_arn("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*").unwrap();
        assert_eq!(arn, LogGroupArn { region: "us-east-1", account: "123456789012", name: "/aws/lambda/x" });
        assert!(parse_log_group_arn("arn:aws:s3:::bucket").is_none());
        assert!(parse_log_group_arn("arn:aws:logs:r:a:destination:x").is_none());
        assert!(parse_log_group_arn("/aws/lambda/x").is_none());
    }
}
