"""StartQuery with queryLanguage=SQL (OpenSearch SQL as CloudWatch Logs accepts it), end to end
through boto3: log groups named in FROM, system fields, discovered JSON fields, JSON functions,
errors."""

from __future__ import annotations

import json

import pytest

from larch_e2e import client_error, group_arn, now_ms, put_events, wait_query


def rows_of(res: dict) -> list[dict[str, str]]:
    out = []
    for row in res["results"]:
        d = {}
        for cell in row:
            assert isinstance(cell["value"], str), cell
            d[cell["field"]] = cell["value"]
        out.append(d)
    return out


@pytest.fixture(scope="module")
def groups(logs):
    """Two log groups with JSON events; returns (group a, group b, base ms)."""
    suffix = str(now_ms())
    a, b = f"/e2e/sql/orders-{suffix}", f"/e2e/sql/payments-{suffix}"
    base = now_ms() - 60_000
    for name, stream, events in [
        (
            a,
            "s1",
            [
                (base, json.dumps({"level": "INFO", "Operation": "Get", "user": {"id": 7}})),
                (base + 1, json.dumps({"level": "ERROR", "Operation": "Put", "user": {"id": 8}})),
                (base + 2, json.dumps({"level": "INFO", "Operation": "Put", "user": {"id": 7}})),
            ],
        ),
        (b, "p1", [(base + 3, json.dumps({"level": "WARN", "requestId": "r1"})), (base + 4, "plain text")]),
    ]:
        logs.create_log_group(logGroupName=name)
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        put_events(logs, name, stream, events)
    return a, b, base


def sql(logs, query: str, **kw) -> dict:
    now = now_ms() // 1000
    q = logs.start_query(queryLanguage="SQL", startTime=now - 3600, endTime=now + 60, queryString=query, **kw)
    return wait_query(logs, q["queryId"])


def test_sql_select_system_fields(logs, groups):
    a, _, base = groups
    res = sql(logs, f"SELECT `@timestamp`, `@message`, `@logStream`, `@log` FROM `{a}` ORDER BY `@timestamp` DESC LIMIT 2")
    assert res["queryLanguage"] == "SQL"
    rows = rows_of(res)
    assert len(rows) == 2
    assert set(rows[0]) == {"@timestamp", "@message", "@logStream", "@log"}
    assert json.loads(rows[0]["@message"])["user"]["id"] == 7
    assert rows[0]["@logStream"] == "s1"
    assert rows[0]["@log"].endswith(":" + a)
    assert len(rows[0]["@timestamp"]) == len("2025-01-01 00:00:00.000")
    stats = res["statistics"]
    assert stats["recordsScanned"] == 3 and stats["logGroupsScanned"] == 1 and stats["bytesScanned"] > 0


def test_sql_group_by_discovered_fields(logs, groups):
    a, _, _ = groups
    res = sql(
        logs,
        f"SELECT Operation, COUNT(*) AS log_count FROM `{a}` WHERE level = 'INFO' OR level = 'ERROR' "
        "GROUP BY Operation HAVING log_count >= 1 ORDER BY Operation",
    )
    assert rows_of(res) == [{"Operation": "Get", "log_count": "1"}, {"Operation": "Put", "log_count": "2"}]


def test_sql_json_functions(logs, groups):
    a, _, _ = groups
    res = sql(logs, f"SELECT get_json_object(`@message`, '$.user.id') AS uid, json_extract(`@message`, '$.user') AS u FROM `{a}` WHERE level = 'ERROR'")
    assert rows_of(res) == [{"uid": "8", "u": '{"id":8}'}]


def test_sql_several_groups_and_arn(logs, groups, server):
    a, b, _ = groups
    res = sql(logs, f"SELECT `@log`, count(*) AS n FROM `logGroups(logGroupIdentifier: ['{a}', '{b}'])` GROUP BY `@log` ORDER BY n DESC")
    rows = rows_of(res)
    assert [r["n"] for r in rows] == ["3", "2"]
    assert res["statistics"]["logGroupsScanned"] == 2
    res = sql(logs, f"SELECT requestId FROM `{group_arn(server.account, b)}` WHERE requestId IS NOT NULL")
    assert rows_of(res) == [{"requestId": "r1"}]
    # A join across groups.
    res = sql(logs, f"SELECT A.level AS a, B.level AS b FROM `{a}` AS A INNER JOIN `{b}` AS B ON A.level < B.level WHERE A.level = 'ERROR'")
    assert rows_of(res) == [{"a": "ERROR", "b": "WARN"}]
    # The query shows up in DescribeQueries and ListLogGroupsForQuery with its language.
    qid = logs.start_query(queryLanguage="SQL", startTime=0, endTime=now_ms() // 1000, queryString=f"SELECT count(*) FROM `{b}`")["queryId"]
    wait_query(logs, qid)
    listed = logs.list_log_groups_for_query(queryId=qid)["logGroupIdentifiers"]
    assert listed == [group_arn(server.account, b)]
    described = [q for q in logs.describe_queries(queryLanguage="SQL")["queries"] if q["queryId"] == qid]
    assert described and described[0]["queryString"] == f"SELECT count(*) FROM `{b}`"


def test_sql_errors(logs, groups, server):
    a, _, _ = groups
    now = now_ms() // 1000

    def start(query: str, **kw):
        return client_error(logs.start_query, queryLanguage="SQL", startTime=now - 60, endTime=now, queryString=query, **kw)

    code, msg, _ = start(f"SELECT * FROM `{a}` WHERE")
    assert code == "MalformedQueryException", (code, msg)
    for ddl in [f"DROP TABLE `{a}`", f"INSERT INTO `{a}` VALUES (1)", "CREATE TABLE t (x INT)", "SET x = 1"]:
        code, msg, _ = start(ddl)
        assert code == "MalformedQueryException" and "read-only" in msg, (ddl, code, msg)
    missing = "/e2e/sql/missing-" + str(now_ms())
    code, msg, _ = start(f"SELECT * FROM `{missing}`")
    assert code == "ResourceNotFoundException"
    assert msg.startswith(f"Log group '{missing}' does not exist for account ID '{server.account}'"), msg
    code, msg, _ = client_error(logs.start_query, queryLanguage="PPL", logGroupName=a, startTime=now - 60, endTime=now, queryString="fields @message")
    assert code == "MalformedQueryException" and "not supported" in msg, (code, msg)
