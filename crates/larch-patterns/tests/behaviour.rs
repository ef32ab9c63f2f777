//! Behaviour on representative lines: one pattern per logging statement.

use larch_patterns::{Pattern, PatternConfig, PatternMiner, TokenType};
use regex::Regex;

fn mine(lines: &[String]) -> Vec<Pattern> {
    let mut m = PatternMiner::new(PatternConfig::default());
    for l in lines {
        m.add(l, None);
    }
    m.finish()
}

fn uuid(i: u32) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        i.wrapping_mul(2654435761),
        i % 65536,
        i % 4096,
        (i * 7) % 4096,
        u64::from(i) * 1_000_003
    )
}

fn lambda_lines() -> Vec<String> {
    let mut v = Vec::new();
    for i in 0..50u32 {
        let id = uuid(i);
        v.push(format!("START RequestId: {id} Version: $LATEST"));
        v.push(format!(
            "{{\"level\":\"info\",\"msg\":\"processing order\",\"orderId\":{},\"requestId\":\"{id}\"}}",
            1000 + i * 37
        ));
        if i % 5 == 0 {
            v.push(format!(
                "{{\"level\":\"error\",\"msg\":\"payment declined\",\"orderId\":{},\"code\":\"E{}\"}}",
                1000 + i * 37,
                400 + i % 3
            ));
        }
        v.push(format!("END RequestId: {id}"));
        v.push(format!(
            "REPORT RequestId: {id}\tDuration: {}.{:02} ms\tBilled Duration: {} ms\tMemory Size: 128 MB\tMax Memory Used: {} MB",
            90 + i % 40,
            i % 100,
            91 + i % 40,
            60 + i % 20
        ));
    }
    v
}

#[test]
fn lambda_one_pattern_per_kind() {
    let lines = lambda_lines();
    let pats = mine(&lines);
    for p in &pats {
        println!("{} {} {}", p.sample_count, p.severity_label, p.pattern);
    }
    assert_eq!(pats.len(), 5, "{:#?}", pats.iter().map(|p| &p.pattern).collect::<Vec<_>>());
    let find = |prefix: &str| {
        pats.iter()
            .find(|p| p.pattern.starts_with(prefix))
            .unwrap_or_else(|| panic!("no pattern starting with {prefix}"))
    };
    assert_eq!(find("START").pattern, "START RequestId: <UUID-1> Version: $LATEST");
    assert_eq!(find("START").sample_count, 50);
    assert_eq!(find("END").pattern, "END RequestId: <UUID-1>");
    let report = find("REPORT");
    assert_eq!(
        report.pattern,
        "REPORT RequestId: <UUID-1> Duration: <Number-2> ms Billed Duration: <Number-3> ms \
         Memory Size: <Number-4> MB Max Memory Used: <Number-5> MB"
    );
    assert_eq!(report.sample_count, 50);
    let info = find(r#"{"level":"info""#);
    assert_eq!(info.severity_label, "INFO");
    assert_eq!(info.sample_count, 50);
    let err = find(r#"{"level":"error""#);
    assert_eq!(err.severity_label, "ERROR");
    assert_eq!(err.sample_count, 10);
    assert!((pats.iter().map(|p| p.ratio).sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn regex_matches_every_sample_and_line() {
    let lines = lambda_lines();
    let mut m = PatternMiner::new(PatternConfig::default());
    let handles: Vec<_> = lines.iter().map(|l| m.add_tagged(l, None)).collect();
    let (pats, index) = m.finish_indexed();
    let res: Vec<Regex> = pats.iter().map(|p| Regex::new(&p.regex_string).unwrap()).collect();
    for (l, h) in lines.iter().zip(&handles) {
        let i = index.pattern_of(*h).unwrap();
        assert!(res[i].is_match(l), "{} !~ {}", l, pats[i].regex_string);
    }
}

#[test]
fn hdfs_like_statements() {
    let mut lines = Vec::new();
    for i in 0..40u64 {
        lines.push(format!(
            "081109 2036{:02} {} INFO dfs.DataNode$PacketResponder: PacketResponder {} for block blk_{}{} terminating",
            i % 60,
            100 + i,
            i % 3,
            if i % 2 == 0 { "-" } else { "" },
            3_886_504_906_413_966 + i * 7919
        ));
        lines.push(format!(
            "081109 2036{:02} {} INFO dfs.DataNode$PacketResponder: Received block blk_{} of size {} from /10.251.{}.{}",
            i % 60,
            100 + i,
            572_492_839_287_299 + i,
            67_108_864 - i,
            i % 200,
            (i * 7) % 250
        ));
    }
    let pats = mine(&lines);
    assert_eq!(pats.len(), 2, "{:#?}", pats.iter().map(|p| &p.pattern).collect::<Vec<_>>());
    let texts: Vec<&str> = pats.iter().map(|p| p.pattern.as_str()).collect();
    assert!(texts.contains(
        &"<Number-1> <Number-2> <Number-3> INFO dfs.DataNode$PacketResponder: PacketResponder <Number-4> for block blk_<Number-5> terminating"
    ));
    assert!(texts.contains(
        &"<Number-1> <Number-2> <Number-3> INFO dfs.DataNode$PacketResponder: Received block blk_<Number-4> of size <Number-5> from /<IPAddress-6>"
    ));
    assert!(pats.iter().all(|p| p.severity_label == "INFO"));
}

#[test]
fn variable_words_become_tokens_with_values() {
    let users = ["admin", "oracle", "test", "guest", "admin", "admin"];
    let lines: Vec<String> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            format!(
                "Dec 10 06:55:{:02} LabSZ sshd[{}]: Invalid user {u} from 173.234.31.{}",
                40 + i,
                24200 + i,
                180 + i
            )
        })
        .collect();
    let pats = mine(&lines);
    assert_eq!(pats.len(), 1);
    let p = &pats[0];
    assert_eq!(p.pattern, "<Time-1> LabSZ sshd[<Number-2>]: Invalid user <Token-3> from <IPAddress-4>");
    assert_eq!(p.generic_pattern(), "<*> LabSZ sshd[<*>]: Invalid user <*> from <*>");
    let user = &p.tokens[2];
    assert_eq!(user.name, "<Token-3>");
    assert_eq!(user.token_type, TokenType::Token);
    assert_eq!(user.values[0].value, "admin");
    assert_eq!(user.values[0].count, 3);
    assert_eq!(p.tokens[3].token_type, TokenType::IpAddress);
    assert_eq!(p.tokens[0].token_type, TokenType::Time);
    assert_eq!(p.tokens[0].values[0].value, "Dec 10 06:55:40");
    assert_eq!(p.log_samples.len(), 5);
    assert_eq!(p.pattern_id.len(), 32);
}

#[test]
fn severity_labels() {
    let pats = mine(&[
        "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6".into(),
        "2015-10-18 18:01:47,978 WARN [main] org.apache.X: retrying".into(),
        "03-17 16:13:38.811  1702  2395 D WindowManager: visible".into(),
        "level=trace msg=\"tick\"".into(),
        "an error happened somewhere".into(),
    ]);
    let label = |needle: &str| {
        pats.iter().find(|p| p.log_samples[0].contains(needle)).map(|p| p.severity_label.clone()).unwrap()
    };
    assert_eq!(label("mod_jk"), "ERROR");
    assert_eq!(label("retrying"), "WARN");
    assert_eq!(label("WindowManager"), "DEBUG");
    assert_eq!(label("tick"), "TRACE");
    assert_eq!(label("somewhere"), "UNKNOWN");
    let mut m = PatternMiner::new(PatternConfig::default());
    m.add("plain text", Some("Warning"));
    assert_eq!(m.finish()[0].severity_label, "WARN");
}

#[test]
fn deterministic_and_sorted() {
    let lines = lambda_lines();
    let a = mine(&lines);
    let b = mine(&lines);
    assert_eq!(a, b);
    for w in a.windows(2) {
        assert!(
            w[0].sample_count > w[1].sample_count
                || (w[0].sample_count == w[1].sample_count && w[0].pattern <= w[1].pattern)
        );
    }
}

#[test]
fn bounded_clusters_and_samples() {
    let config = PatternConfig { max_clusters: 50, max_node_clusters: 20, max_samples: 2, ..PatternConfig::default() };
    let mut m = PatternMiner::new(config);
    for i in 0..5_000u32 {
        // every line its own statement
        m.add(&format!("w{i}a{} x{}y z{}q", i * 3, i * 5, i * 11), None);
        m.add("constant line here", None);
    }
    assert!(m.evicted_lines() > 0);
    let pats = m.finish();
    assert!(pats.len() <= 50);
    assert!(pats.iter().all(|p| p.log_samples.len() <= 2));
    assert_eq!(pats[0].pattern, "constant line here");
}

#[test]
fn empty_and_odd_lines() {
    let pats = mine(&["".into(), "   ".into(), "\u{E001}\u{E006}".into(), "{}".into(), "{\"a\":".into()]);
    assert!(!pats.is_empty());
    for p in &pats {
        Regex::new(&p.regex_string).unwrap();
    }
}
