"""The Insights API around the query itself, with real clients: the AWS CLI's start-query /
get-query-results, Grafana-style polling, paging results with maxItems, DescribeQueries,
StopQuery, GetLogRecord from @ptr, GetLogGroupFields, ListLogGroupsForQuery, saved queries,
and `larch query`."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from larch_e2e import MINUTE_MS, REGION, LarchServer, client_error, larch_bin, now_ms, wait_query


@pytest.fixture
def app_group(logs, log_group):
    logs.create_log_stream(logGroupName=log_group, logStreamName="web-1")
    base = now_ms() - 10 * MINUTE_MS
    events = [
        {"timestamp": base + i * 1000, "message": json.dumps({"level": "ERROR" if i % 4 == 0 else "INFO", "latency": i, "user": {"id": f"u{i % 3}"}})}
        for i in range(40)
    ]
    logs.put_log_events(logGroupName=log_group, logStreamName="web-1", logEvents=events)
    return log_group, base


def test_aws_cli_start_query_and_get_results(server, app_group):
    group, base = app_group
    started = server.cli(
        "logs", "start-query", "--log-group-name", group, "--start-time", str(base // 1000 - 60), "--end-time", str(now_ms() // 1000 + 60),
        "--query-string", "filter level = 'ERROR' | stats count(*) as errors, max(latency) as worst",
    )
    query_id = started["queryId"]
    deadline = time.monotonic() + 30
    while True:
        res = server.cli("logs", "get-query-results", "--query-id", query_id)
        if res["status"] == "Complete":
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert res["results"] == [[{"field": "errors", "value": "10"}, {"field": "worst", "value": "36"}]]
    assert res["statistics"]["recordsScanned"] == 40.0
    assert res["statistics"]["recordsMatched"] == 10.0


def test_grafana_style_polling_paging_and_describe(logs, app_group):
    group, base = app_group
    q = logs.start_query(logGroupName=group, startTime=base // 1000 - 60, endTime=now_ms() // 1000 + 60, queryString="fields @timestamp, latency | sort latency desc")
    # Poll like Grafana: repeatedly until Complete, statistics present on every answer.
    seen = set()
    while True:
        res = logs.get_query_results(queryId=q["queryId"])
        seen.add(res["status"])
        assert set(res["statistics"]) >= {"recordsMatched", "recordsScanned", "bytesScanned"}
        if res["status"] == "Complete":
            break
        time.sleep(0.05)
    assert [dict((c["field"], c["value"]) for c in r)["latency"] for r in res["results"][:3]] == ["39", "38", "37"]
    # Paging with maxItems / nextToken walks all 40 rows exactly once.
    rows, token = [], None
    while True:
        kw = {"queryId": q["queryId"], "maxItems": 15}
        if token:
            kw["nextToken"] = token
        page = logs.get_query_results(**kw)
        rows += page["results"]
        token = page.get("nextToken")
        if not token:
            break
    assert len(rows) == 40 and rows == res["results"]
    described = logs.describe_queries(logGroupName=group)["queries"]
    mine = [d for d in described if d["queryId"] == q["queryId"]]
    assert mine and mine[0]["status"] == "Complete" and mine[0]["queryLanguage"] == "CWLI"
    assert logs.describe_queries(logGroupName=group, status="Scheduled")["queries"] == []
    arns = logs.list_log_groups_for_query(queryId=q["queryId"])["logGroupIdentifiers"]
    assert arns == [f"arn:aws:logs:{REGION}:000000000000:log-group:{group}"]


def test_get_log_record_from_ptr(logs, app_group):
    group, base = app_group
    q = logs.start_query(logGroupName=group, startTime=base // 1000 - 60, endTime=now_ms() // 1000 + 60, queryString="filter latency = 7 | fields latency")
    res = wait_query(logs, q["queryId"])
    assert len(res["results"]) == 1
    ptr = dict((c["field"], c["value"]) for c in res["results"][0])["@ptr"]
    record = logs.get_log_record(logRecordPointer=ptr)["logRecord"]
    assert json.loads(record["@message"])["latency"] == 7
    assert record["@logStream"] == "web-1"
    assert record["latency"] == "7" and record["user.id"] == "u1"
    assert record["@log"] == f"000000000000:{group}"
    code, _, _ = client_error(logs.get_log_record, logRecordPointer="not-a-pointer")
    assert code == "InvalidParameterException"


def test_get_log_group_fields(logs, app_group):
    group, _ = app_group
    fields = {f["name"]: f["percent"] for f in logs.get_log_group_fields(logGroupName=group)["logGroupFields"]}
    assert fields["@message"] == 100 and fields["level"] == 100 and fields["user.id"] == 100


def test_start_query_answers_when_a_quick_query_is_done(tmp_path):
    """With `[query] start_wait_ms` long enough, StartQuery answers only once its query has
    finished: the first GetQueryResults is already Complete, with the rows."""
    config = tmp_path / "larch.toml"
    config.write_text("[query]\nstart_wait_ms = 60000\n")
    (tmp_path / "data").mkdir()
    srv = LarchServer(larch_bin(), tmp_path / "data", tmp_path / "server.log", ["--config", str(config)])
    srv.start()
    try:
        logs = srv.logs_client()
        logs.create_log_group(logGroupName="/wait")
        logs.create_log_stream(logGroupName="/wait", logStreamName="s")
        t = now_ms()
        events = [{"timestamp": t + i, "message": f"line {i} {'ERROR' if i % 4 == 0 else 'ok'}"} for i in range(40)]
        logs.put_log_events(logGroupName="/wait", logStreamName="s", logEvents=events)
        q = logs.start_query(
            logGroupName="/wait",
            startTime=t // 1000 - 60,
            endTime=t // 1000 + 60,
            queryString="filter @message like 'ERROR' | stats count(*) as n",
        )
        res = logs.get_query_results(queryId=q["queryId"])
        assert res["status"] == "Complete", res
        assert res["results"] == [[{"field": "n", "value": "10"}]]
    finally:
        srv.stop()


def test_stop_query(logs, app_group):
    group, base = app_group
    q = logs.start_query(logGroupName=group, startTime=base // 1000, endTime=now_ms() // 1000, queryString="fields @message")
    wait_query(logs, q["queryId"])
    code, _, _ = client_error(logs.stop_query, queryId=q["queryId"])
    assert code == "InvalidParameterException"
    code, _, _ = client_error(logs.stop_query, queryId="00000000-0000-0000-0000-000000000000")
    assert code == "ResourceNotFoundException"


def test_query_definitions(logs):
    name = f"e2e-def-{now_ms()}"
    qid = logs.put_query_definition(name=name, queryString="fields @timestamp | limit {{n}}", logGroupNames=["/a"])["queryDefinitionId"]
    defs = logs.describe_query_definitions(queryDefinitionNamePrefix=name)["queryDefinitions"]
    assert [(d["name"], d["queryString"], d["logGroupNames"]) for d in defs] == [(name, "fields @timestamp | limit {{n}}", ["/a"])]
    # Replacing by id is a full replacement (logGroupNames cleared when omitted).
    logs.put_query_definition(queryDefinitionId=qid, name=name, queryString="fields @message")
    d = logs.describe_query_definitions(queryDefinitionNamePrefix=name)["queryDefinitions"][0]
    assert d["queryString"] == "fields @message" and "logGroupNames" not in d
    assert logs.delete_query_definition(queryDefinitionId=qid)["success"] is True
    code, _, _ = client_error(logs.delete_query_definition, queryDefinitionId=qid)
    assert code == "ResourceNotFoundException"


def test_larch_query_command(server, app_group):
    group, _ = app_group
    env = {"AWS_ACCESS_KEY_ID": server.creds.access_key, "AWS_SECRET_ACCESS_KEY": server.creds.secret_key, "LARCH_ENDPOINT": server.endpoint, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [str(larch_bin()), "query", "stats count(*) as n by level | sort level", "--group", group, "--since", "1h", "--output", "json"],
        env=env, capture_output=True, timeout=60, check=False,
    )
    assert out.returncode == 0, out.stderr.decode()
    assert json.loads(out.stdout) == [{"level": "ERROR", "n": "10"}, {"level": "INFO", "n": "30"}]


def test_lookup_tables_and_the_lookup_command(logs, app_group, unique):
    group, base = app_group
    table = f"users_{unique}"
    arn = logs.create_lookup_table(lookupTableName=table, tableBody="id,name,team\nu0,Ana,blue\nu1,Bo,red\n")["lookupTableArn"]
    try:
        described = logs.describe_lookup_tables(lookupTableNamePrefix=table)["lookupTables"]
        assert [t["lookupTableArn"] for t in described] == [arn]
        q = logs.start_query(
            logGroupName=group, startTime=base // 1000 - 60, endTime=now_ms() // 1000 + 60,
            queryString=f"fields user.id as uid | lookup {table} uid as id OUTPUT team | stats count(*) as n by team | sort team",
        )
        res = wait_query(logs, q["queryId"])
        rows = [dict((c["field"], c["value"]) for c in r) for r in res["results"]]
        # u0 → blue (14 events), u1 → red (13); u2 is not in the table: team is null, sorted last.
        assert rows == [{"team": "blue", "n": "14"}, {"team": "red", "n": "13"}, {"n": "13"}], rows
        code, message, _ = client_error(
            logs.start_query, logGroupName=group, startTime=base // 1000, endTime=now_ms() // 1000,
            queryString="fields user.id as uid | lookup no_such_table uid as id OUTPUT team",
        )
        assert code == "MalformedQueryException", message
    finally:
        logs.delete_lookup_table(lookupTableArn=arn)
