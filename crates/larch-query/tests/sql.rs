//! `queryLanguage=SQL` over a real storage: log groups in FROM, system fields, discovered
//! fields, JSON functions, time range, errors.

use larch_query::QueryError;
use larch_query::compile::CompileParams;
use larch_query::render::Row;
use larch_query::sql;
use larch_storage::{NewEvent, NewLogGroup, Storage, StorageConfig};

const ACCOUNT: &str = "123456789012";
/// 2025-01-01T00:00:00Z
const T0: i64 = 1_735_689_600_000;

async fn storage(dir: &std::path::Path) -> Storage {
    let storage = Storage::open_without_background(StorageConfig::new(dir)).unwrap();
    for (group, stream, events) in [
        (
            "/aws/lambda/orders",
            "s1",
            vec![
                (T0, r#"{"level":"INFO","status":200,"user":{"id":7},"Operation":"Get"}"#),
                (T0 + 1000, r#"{"level":"ERROR","status":500,"user":{"id":8},"Operation":"Put"}"#),
                (T0 + 2000, r#"{"level":"INFO","status":201,"user":{"id":7},"Operation":"Put"}"#),
                (T0 + 3_600_000, r#"{"level":"INFO","status":200,"late":true}"#),
            ],
        ),
        ("payments", "p1", vec![(T0 + 500, r#"{"level":"WARN","requestId":"r1"}"#), (T0 + 1500, "plain text line")]),
    ] {
        let g = storage.create_log_group(ACCOUNT, group, NewLogGroup::default()).unwrap();
        let s = storage.create_log_stream(ACCOUNT, group, stream).unwrap();
        let events = events.into_iter().map(|(timestamp, m)| NewEvent { timestamp, message: m.to_string() }).collect();
        storage.put_events(g.id, &s, events, T0 + 10_000).await.unwrap();
    }
    storage
}

fn params(start_ms: i64, end_ms: i64) -> CompileParams {
    CompileParams { start_ms, end_ms, now_ms: T0, default_limit: 10_000 }
}

async fn run_in(
    storage: &Storage,
    text: &str,
    p: CompileParams,
) -> Result<(Vec<Row>, larch_query::engine::Statistics), QueryError> {
    let query = sql::prepare(text).await?;
    let groups = sql::resolve_in(storage, ACCOUNT, &query)?;
    sql::execute(storage, &query, &groups, p).await
}

async fn run(storage: &Storage, text: &str) -> Vec<Row> {
    run_in(storage, text, params(T0, T0 + 60_000)).await.unwrap_or_else(|e| panic!("{text}: {e:?}")).0
}

fn row(pairs: &[(&str, &str)]) -> Row {
    pairs.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn system_fields_and_time_range() {
    let dir = tempfile::tempdir().unwrap();
    let s = storage(dir.path()).await;
    let rows = run(&s, "SELECT `@timestamp`, `@message`, `@logStream`, `@log`, `@ingestionTime` FROM `/aws/lambda/orders` ORDER BY `@timestamp` DESC").await;
    assert_eq!(rows.len(), 3, "the event an hour later is outside the time range");
    assert_eq!(
        rows[0],
        row(&[
            ("@timestamp", "2025-01-01 00:00:02.000"),
            ("@message", r#"{"level":"INFO","status":201,"user":{"id":7},"Operation":"Put"}"#),
            ("@logStream", "s1"),
            ("@log", "123456789012:/aws/lambda/orders"),
            ("@ingestionTime", "2025-01-01 00:00:10.000"),
        ])
    );
    let (rows, stats) =
        run_in(&s, "SELECT count(*) AS n FROM `/aws/lambda/orders`", params(T0, T0 + 7_200_000)).await.unwrap();
    assert_eq!(rows, vec![row(&[("n", "4")])]);
    assert_eq!(stats.records_scanned, 4.0);
    assert_eq!(stats.log_groups_scanned, 1.0);
    assert!(stats.bytes_scanned > 100.0);
}

#[tokio::test]
async fn discovered_fields_group_by_having() {
    let dir = tempfile::tempdir().unwrap();
    let s = storage(dir.path()).await;
    let rows =
        run(&s, "SELECT Operation, COUNT(*) AS c FROM `/aws/lambda/orders` WHERE level = 'INFO' OR status = '500' GROUP BY Operation HAVING c >= 1 ORDER BY Operation").await;
    assert_eq!(rows, vec![row(&[("Operation", "Get"), ("c", "1")]), row(&[("Operation", "Put"), ("c", "2")])]);
    // Nested JSON keys as backticked dotted names; typed comparisons through CAST.
    let rows =
        run(&s, "SELECT `user.id` AS uid, sum(CAST(status AS INT)) AS total FROM `/aws/lambda/orders` WHERE CAST(status AS INT) >= 200 GROUP BY `user.id` ORDER BY uid").await;
    assert_eq!(rows, vec![row(&[("uid", "7"), ("total", "401")]), row(&[("uid", "8"), ("total", "500")])]);
    // Spark-style double-quoted strings, timestamp arithmetic and date functions.
    let rows = run(
        &s,
        "SELECT date_trunc('minute', `@timestamp`) AS m, count(*) AS n FROM `/aws/lambda/orders` \
         WHERE level = \"INFO\" AND `@timestamp` >= '2025-01-01 00:00:00' GROUP BY date_trunc('minute', `@timestamp`)",
    )
    .await;
    assert_eq!(rows, vec![row(&[("m", "2025-01-01 00:00:00.000"), ("n", "2")])]);
    // Spark aggregate names; a trailing semicolon.
    let rows = run(&s, "SELECT approx_count_distinct(level) AS d, percentile_approx(CAST(status AS DOUBLE), 0.5) AS p FROM `/aws/lambda/orders`;").await;
    assert_eq!(rows, vec![row(&[("d", "2"), ("p", "201")])]);
    // A field missing from every event is NULL, and NULLs are left out of rows.
    let rows = run(&s, "SELECT requestId, level FROM payments ORDER BY `@timestamp`").await;
    assert_eq!(rows, vec![row(&[("requestId", "r1"), ("level", "WARN")]), row(&[])]);
}

#[tokio::test]
async fn json_functions() {
    let dir = tempfile::tempdir().unwrap();
    let s = storage(dir.path()).await;
    let rows = run(
        &s,
        "SELECT get_json_object(`@message`, '$.user.id') AS a, json_extract(`@message`, '$.user') AS b, json_object_keys(`@message`) AS k \
         FROM `/aws/lambda/orders` WHERE get_json_object(`@message`, '$.level') = 'ERROR'",
    )
    .await;
    assert_eq!(rows, vec![row(&[("a", "8"), ("b", r#"{"id":8}"#), ("k", "[Operation, level, status, user]")])]);
}

#[tokio::test]
async fn several_groups_arns_joins_ctes() {
    let dir = tempfile::tempdir().unwrap();
    let s = storage(dir.path()).await;
    let rows = run(&s, "SELECT `@log`, count(*) AS n FROM `logGroups(logGroupIdentifier: ['/aws/lambda/orders', 'payments'])` GROUP BY `@log` ORDER BY `@log`").await;
    assert_eq!(
        rows,
        vec![
            row(&[("@log", "123456789012:/aws/lambda/orders"), ("n", "3")]),
            row(&[("@log", "123456789012:payments"), ("n", "2")])
        ]
    );
    let rows = run(&s, "SELECT count(*) AS n FROM `arn:aws:logs:us-east-1:123456789012:log-group:payments:*`").await;
    assert_eq!(rows, vec![row(&[("n", "2")])]);
    let rows = run(
        &s,
        "WITH errors AS (SELECT `@timestamp` AS t FROM `/aws/lambda/orders` WHERE level = 'ERROR') \
         SELECT A.level, B.t FROM payments AS A INNER JOIN errors AS B ON A.`@timestamp` < B.t WHERE A.level IS NOT NULL",
    )
    .await;
    assert_eq!(rows, vec![row(&[("level", "WARN"), ("t", "2025-01-01 00:00:01.000")])]);
    let rows = run(&s, "SELECT level FROM payments WHERE level IS NOT NULL UNION ALL SELECT level FROM `/aws/lambda/orders` WHERE level = 'ERROR'").await;
    let mut levels: Vec<String> = rows.into_iter().map(|r| r[0].1.clone()).collect();
    levels.sort();
    assert_eq!(levels, ["ERROR", "WARN"]);
}

#[tokio::test]
async fn limit_caps_rows() {
    let dir = tempfile::tempdir().unwrap();
    let s = storage(dir.path()).await;
    let p = CompileParams { default_limit: 2, ..params(T0, T0 + 60_000) };
    let (rows, _) = run_in(&s, "SELECT `@message` FROM `/aws/lambda/orders`", p).await.unwrap();
    assert_eq!(rows.len(), 2);
}

fn malformed(e: QueryError) -> (usize, usize, String) {
    match e {
        QueryError::Malformed { start, end, message } => (start, end, message),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = storage(dir.path()).await;
    let (start, _, message) = malformed(sql::prepare("SELECT * FROM `a` WHERE").await.unwrap_err());
    assert!(message.starts_with("Syntax error"), "{message}");
    assert_eq!(start, 23, "{message}");
    let (start, end, message) = malformed(sql::prepare("SELECT *\nFRM `a`").await.unwrap_err());
    assert!(message.contains("Line: 2"), "{message}");
    assert_eq!((start, end), (9, 12));
    for ddl in [
        "CREATE TABLE t (a INT)",
        "INSERT INTO `a` VALUES (1)",
        "DROP TABLE `a`",
        "SET x = 1",
        "COPY `a` TO '/tmp/x.csv'",
        "EXPLAIN SELECT * FROM `a`",
        "DELETE FROM `a`",
    ] {
        let (_, _, message) = malformed(sql::prepare(ddl).await.unwrap_err());
        assert!(message.contains("Only read-only SELECT"), "{ddl}: {message}");
    }
    let (_, _, message) = malformed(sql::prepare("SELECT 1").await.unwrap_err());
    assert!(message.contains("FROM"), "{message}");
    let (_, _, message) = malformed(sql::prepare("SELECT 1 FROM `a`; SELECT 2 FROM `b`").await.unwrap_err());
    assert!(message.contains("single statement"), "{message}");
    let (_, _, message) = malformed(sql::prepare("SELECT no_such_function(`@message`) FROM `a`").await.unwrap_err());
    assert!(message.contains("no_such_function"), "{message}");
    let (_, _, message) =
        malformed(sql::prepare("SELECT * FROM `logGroups(logGroupIdentifier: [])`").await.unwrap_err());
    assert!(message.contains("logGroupIdentifier"), "{message}");
    let query = sql::prepare("SELECT * FROM `/aws/lambda/nope`").await.unwrap();
    match sql::resolve_in(&s, ACCOUNT, &query) {
        Err(QueryError::NotFound(m)) => assert!(m.contains("/aws/lambda/nope"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn star_and_field_discovery() {
    let q =
        sql::prepare("SELECT Operation, `user.id`, `@message` FROM `g` AS A WHERE A.level = 'x' ORDER BY Operation")
            .await
            .unwrap();
    assert_eq!(q.fields(), ["level", "Operation", "user.id"]);
    assert_eq!(q.tables()[0].name, "g");
    // Aliases are not fields.
    let q =
        sql::prepare("SELECT level AS l, count(*) AS c FROM `g` GROUP BY level HAVING c > 1 ORDER BY l").await.unwrap();
    assert_eq!(q.fields(), ["level"]);
    let dir = tempfile::tempdir().unwrap();
    let s = storage(dir.path()).await;
    let rows = run(&s, "SELECT * FROM payments WHERE requestId = 'r1'").await;
    assert_eq!(rows.len(), 1);
    let names: Vec<&str> = rows[0].iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["@timestamp", "@message", "@logStream", "@log", "@ingestionTime", "requestId"]);
}
