// larch end-to-end tests with the AWS SDK for JavaScript v3 (@aws-sdk/client-cloudwatch-logs).
// One `larch serve` for the whole file; every test uses its own log groups.

import assert from "node:assert/strict";
import { after, before, test as nodeTest } from "node:test";
import {
  CloudWatchLogsServiceException,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  GetQueryResultsCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  StartQueryCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
} from "@aws-sdk/client-cloudwatch-logs";
import { DAY_MS, HOUR_MS, MINUTE_MS, LarchServer, renderTs, sleep, uniqueName } from "./larch.mjs";

let server;
let logs;

before(async () => {
  server = await LarchServer.start();
  logs = server.client();
});

after(async () => {
  logs?.destroy();
  const res = await server?.stop();
  if (res) assert.equal(res.code, 0, `larch exited with ${JSON.stringify(res)} after SIGTERM`);
});

/** A test whose failure message carries the tail of the server log. */
function test(name, fn) {
  nodeTest(name, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      if (err && typeof err === "object" && server) {
        err.message = `${err.message}\n----- larch log (tail) -----\n${server.logTail(30)}`;
      }
      throw err;
    }
  });
}

/** Runs fn, expects it to throw, and returns the error. */
async function rejection(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  assert.fail("expected the call to fail");
}

async function groupWithStream(prefix, stream = "s1") {
  const group = uniqueName(prefix);
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  return { group, stream };
}

async function put(group, stream, events) {
  return logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: stream,
      logEvents: events.map(([timestamp, message]) => ({ timestamp, message })),
    }),
  );
}

// ---------------------------------------------------------------- log groups

test("log groups: create, paginate with paginateDescribeLogGroups, delete", async () => {
  const prefix = `/js/groups/${uniqueName("p")}`;
  const names = ["e", "a", "d", "b", "c"].map((s) => `${prefix}/${s}`);
  const before = Date.now();
  for (const name of names) await logs.send(new CreateLogGroupCommand({ logGroupName: name }));

  const dup = await rejection(() => logs.send(new CreateLogGroupCommand({ logGroupName: names[0] })));
  assert.ok(dup instanceof ResourceAlreadyExistsException, `got ${dup.name}`);
  assert.equal(dup.$metadata.httpStatusCode, 400);

  const pages = [];
  for await (const page of paginateDescribeLogGroups({ client: logs, pageSize: 2 }, { logGroupNamePrefix: prefix })) {
    pages.push(page.logGroups.map((g) => g.logGroupName));
    if (pages.length > 10) break;
  }
  assert.deepEqual(pages, [
    [`${prefix}/a`, `${prefix}/b`],
    [`${prefix}/c`, `${prefix}/d`],
    [`${prefix}/e`],
  ]);

  const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `${prefix}/a` }));
  assert.equal(logGroups.length, 1);
  const g = logGroups[0];
  assert.equal(g.logGroupName, `${prefix}/a`);
  assert.equal(g.arn, `${server.groupArn(`${prefix}/a`)}:*`);
  assert.equal(g.logGroupArn, server.groupArn(`${prefix}/a`));
  assert.equal(g.retentionInDays, undefined);
  assert.ok(g.creationTime >= before - 1000 && g.creationTime <= Date.now() + 1000, `creationTime ${g.creationTime}`);

  await logs.send(new DeleteLogGroupCommand({ logGroupName: `${prefix}/c` }));
  const left = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }));
  assert.deepEqual(
    left.logGroups.map((x) => x.logGroupName),
    ["a", "b", "d", "e"].map((s) => `${prefix}/${s}`),
  );
  assert.equal(left.nextToken, undefined);

  const gone = await rejection(() => logs.send(new DeleteLogGroupCommand({ logGroupName: `${prefix}/c` })));
  assert.ok(gone instanceof ResourceNotFoundException, `got ${gone.name}`);

  const none = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `${prefix}/zzz` }));
  assert.deepEqual(none.logGroups, []);
});

// ---------------------------------------------------------------- log streams

test("log streams: create, describe, delete", async () => {
  const { group } = await groupWithStream("/js/streams", "web-2");
  for (const s of ["web-1", "worker-1", "2026/11/25/[$LATEST]ab12"]) {
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s }));
  }
  const dup = await rejection(() => logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "web-1" })));
  assert.ok(dup instanceof ResourceAlreadyExistsException, `got ${dup.name}`);

  const all = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
  assert.deepEqual(
    all.logStreams.map((s) => s.logStreamName),
    ["2026/11/25/[$LATEST]ab12", "web-1", "web-2", "worker-1"],
  );
  const web1 = all.logStreams.find((s) => s.logStreamName === "web-1");
  assert.equal(web1.arn, `${server.groupArn(group)}:log-stream:web-1`);
  assert.equal(typeof web1.creationTime, "number");

  const web = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: "web-" }));
  assert.deepEqual(web.logStreams.map((s) => s.logStreamName), ["web-1", "web-2"]);

  await logs.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: "web-2" }));
  const after = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: "web-" }));
  assert.deepEqual(after.logStreams.map((s) => s.logStreamName), ["web-1"]);

  const gone = await rejection(() => logs.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: "web-2" })));
  assert.ok(gone instanceof ResourceNotFoundException, `got ${gone.name}`);
});

// ---------------------------------------------------------------- events

test("PutLogEvents: accepted batch, and rejectedLogEventsInfo for too-old events", async () => {
  const { group, stream } = await groupWithStream("/js/put");
  const now = Date.now();
  const ok = await put(group, stream, [
    [now - 2000, "first"],
    [now - 1000, "second"],
  ]);
  assert.equal(ok.$metadata.httpStatusCode, 200);
  assert.equal(ok.rejectedLogEventsInfo, undefined);
  assert.equal(typeof ok.nextSequenceToken, "string");

  const old = now - 14 * DAY_MS - 2 * HOUR_MS; // older than 14 days
  const inRange = now - 14 * DAY_MS + 2 * HOUR_MS; // the batch spans only 4 h
  const res = await put(group, stream, [
    [old, "too old"],
    [inRange, "accepted"],
  ]);
  assert.equal(res.$metadata.httpStatusCode, 200);
  assert.deepEqual({ ...res.rejectedLogEventsInfo }, { tooOldLogEventEndIndex: 1 });

  const got = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }));
  assert.deepEqual(
    got.events.map((e) => [e.timestamp, e.message]),
    [
      [inRange, "accepted"],
      [now - 2000, "first"],
      [now - 1000, "second"],
    ],
  );
  for (const e of got.events) assert.equal(typeof e.ingestionTime, "number");
});

test("GetLogEvents: forward paging to the end returns the same token", async () => {
  const { group, stream } = await groupWithStream("/js/get");
  const base = Date.now() - 10 * MINUTE_MS;
  const events = Array.from({ length: 25 }, (_, i) => [base + i * 1000, `line ${String(i).padStart(2, "0")}`]);
  await put(group, stream, events);

  const seen = [];
  const pageSizes = [];
  let token;
  let sameTokenAtEnd = false;
  for (let i = 0; i < 20; i++) {
    const res = await logs.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: stream,
        startFromHead: true,
        limit: 10,
        ...(token ? { nextToken: token } : {}),
      }),
    );
    assert.match(res.nextForwardToken, /^f\//);
    assert.match(res.nextBackwardToken, /^b\//);
    pageSizes.push(res.events.length);
    seen.push(...res.events.map((e) => [e.timestamp, e.message]));
    if (res.nextForwardToken === token) {
      sameTokenAtEnd = true;
      assert.deepEqual(res.events, []);
      break;
    }
    token = res.nextForwardToken;
  }
  assert.ok(sameTokenAtEnd, "the forward token never repeated");
  assert.deepEqual(pageSizes, [10, 10, 5, 0]);
  assert.deepEqual(seen, events);

  // Without startFromHead the newest `limit` events come back, still oldest first.
  const tail = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: 3 }));
  assert.deepEqual(
    tail.events.map((e) => e.message),
    ["line 22", "line 23", "line 24"],
  );
});

test("FilterLogEvents: filter pattern across streams, and paginateFilterLogEvents", async () => {
  const group = uniqueName("/js/filter");
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  const base = Date.now() - 30 * MINUTE_MS;
  const expected = [];
  for (const stream of ["api", "worker"]) {
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    const events = [];
    for (let i = 0; i < 12; i++) {
      const ts = base + i * 1000 + (stream === "worker" ? 500 : 0);
      const level = i % 3 === 0 ? "ERROR" : "INFO";
      const message = `${level} ${stream} request ${i}`;
      events.push([ts, message]);
      if (level === "ERROR") expected.push({ ts, message, stream });
    }
    await put(group, stream, events);
  }
  expected.sort((a, b) => a.ts - b.ts);

  const one = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: "ERROR" }));
  assert.deepEqual(
    one.events.map((e) => [e.timestamp, e.message, e.logStreamName]),
    expected.map((e) => [e.ts, e.message, e.stream]),
  );
  for (const e of one.events) assert.equal(typeof e.eventId, "string");

  const pages = [];
  for await (const page of paginateFilterLogEvents(
    { client: logs, pageSize: 3 },
    { logGroupName: group, filterPattern: "ERROR", startTime: base - 1000, endTime: Date.now() },
  )) {
    pages.push(page.events.map((e) => e.message));
    if (pages.length > 20) break;
  }
  assert.ok(pages.length >= 3, `expected several pages, got ${JSON.stringify(pages)}`);
  for (const p of pages) assert.ok(p.length <= 3, `page larger than the limit: ${p}`);
  assert.deepEqual(pages.flat(), expected.map((e) => e.message));

  // Term AND term, restricted to one stream.
  const worker = await logs.send(
    new FilterLogEventsCommand({ logGroupName: group, logStreamNames: ["worker"], filterPattern: '"request 1" INFO' }),
  );
  assert.deepEqual(
    worker.events.map((e) => e.message),
    ["INFO worker request 1", "INFO worker request 10", "INFO worker request 11"],
  );
});

// ---------------------------------------------------------------- tags, retention

test("tags: TagResource / ListTagsForResource / UntagResource with the log group ARN", async () => {
  const group = uniqueName("/js/tags");
  await logs.send(new CreateLogGroupCommand({ logGroupName: group, tags: { team: "core" } }));
  const arn = server.groupArn(group);

  await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { env: "test", cost: "42" } }));
  let res = await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  assert.deepEqual({ ...res.tags }, { team: "core", env: "test", cost: "42" });

  await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["cost", "team"] }));
  res = await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  assert.deepEqual({ ...res.tags }, { env: "test" });

  const missing = await rejection(() =>
    logs.send(new ListTagsForResourceCommand({ resourceArn: server.groupArn(`${group}-missing`) })),
  );
  assert.ok(missing instanceof ResourceNotFoundException, `got ${missing.name}`);
});

test("retention: put, describe, delete; a bad value is InvalidParameterException", async () => {
  const group = uniqueName("/js/retention");
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  const describe = async () =>
    (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }))).logGroups[0];

  await logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 7 }));
  assert.equal((await describe()).retentionInDays, 7);

  const bad = await rejection(() => logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 8 })));
  assert.ok(bad instanceof InvalidParameterException, `got ${bad.name}`);
  assert.equal(bad.name, "InvalidParameterException");
  assert.equal(bad.$metadata.httpStatusCode, 400);
  assert.equal(typeof bad.message, "string");
  assert.ok(bad.message.length > 0);
  assert.equal((await describe()).retentionInDays, 7, "the rejected call changed the retention");

  await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: group }));
  assert.equal((await describe()).retentionInDays, undefined);
});

// ---------------------------------------------------------------- errors, auth

test("errors: ResourceNotFoundException is a modeled exception with name, message and status", async () => {
  const err = await rejection(() =>
    logs.send(new GetLogEventsCommand({ logGroupName: uniqueName("/js/nope"), logStreamName: "s" })),
  );
  assert.ok(err instanceof ResourceNotFoundException, `got ${err.name}`);
  assert.ok(err instanceof CloudWatchLogsServiceException);
  assert.equal(err.name, "ResourceNotFoundException");
  assert.equal(err.$fault, "client");
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.ok(err.$metadata.requestId, "no request id");
  assert.equal(err.message, "The specified log group does not exist.");

  const { group } = await groupWithStream("/js/nostream");
  const noStream = await rejection(() =>
    logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: "absent" })),
  );
  assert.ok(noStream instanceof ResourceNotFoundException, `got ${noStream.name}`);
  assert.equal(noStream.message, "The specified log stream does not exist.");
});

test("auth: a wrong secret key is InvalidSignatureException", async () => {
  const bad = server.client({ accessKeyId: server.creds.accessKeyId, secretAccessKey: "x".repeat(40) });
  try {
    const err = await rejection(() => bad.send(new DescribeLogGroupsCommand({})));
    assert.equal(err.name, "InvalidSignatureException");
    assert.ok(err instanceof CloudWatchLogsServiceException);
    const status = err.$metadata.httpStatusCode;
    assert.ok(status >= 400 && status < 500, `status ${status}`);
    assert.ok(err.message.length > 0);
  } finally {
    bad.destroy();
  }
});

// ---------------------------------------------------------------- Logs Insights

test("Insights: stats count(*) as n by bin(5m) through StartQuery / GetQueryResults", async () => {
  const { group, stream } = await groupWithStream("/js/insights");
  const FIVE_MIN = 5 * MINUTE_MS;
  const base = Math.floor((Date.now() - HOUR_MS) / FIVE_MIN) * FIVE_MIN;
  const perBin = [3, 5, 0, 2]; // events in the bins base, base+5m, base+10m, base+15m
  const events = [];
  perBin.forEach((n, b) => {
    for (let i = 0; i < n; i++) events.push([base + b * FIVE_MIN + i * 7000, `event ${b}.${i}`]);
  });
  const res = await put(group, stream, events);
  assert.equal(res.rejectedLogEventsInfo, undefined);

  const { queryId } = await logs.send(
    new StartQueryCommand({
      logGroupName: group,
      startTime: Math.floor(base / 1000) - 60,
      endTime: Math.floor(Date.now() / 1000) + 60,
      queryString: "stats count(*) as n by bin(5m)",
    }),
  );
  assert.match(queryId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  let out;
  const deadline = Date.now() + 15_000;
  for (;;) {
    out = await logs.send(new GetQueryResultsCommand({ queryId }));
    if (!["Scheduled", "Running"].includes(out.status) || Date.now() > deadline) break;
    await sleep(100);
  }
  assert.equal(out.status, "Complete");

  const rows = out.results.map((row) => Object.fromEntries(row.map(({ field, value }) => [field, value])));
  rows.sort((a, b) => (a["bin(5m)"] < b["bin(5m)"] ? -1 : a["bin(5m)"] > b["bin(5m)"] ? 1 : 0));
  const expected = perBin
    .map((n, b) => ({ "bin(5m)": renderTs(base + b * FIVE_MIN), n: String(n) }))
    .filter((r) => r.n !== "0");
  assert.deepEqual(rows, expected);
  for (const r of rows) assert.match(r["bin(5m)"], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00\.000$/);

  assert.equal(out.statistics.recordsMatched, events.length);
  assert.equal(out.statistics.recordsScanned, events.length);
  assert.ok(out.statistics.bytesScanned > 0);
});
