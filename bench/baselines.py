#!/usr/bin/env python3
"""Baselines for the larch benchmark: DuckDB and chDB over the same events.

Driven by `larch-bench run` over stdin/stdout, one JSON object per line:

  prepare:  {"op": "prepare", "corpus": DIR, "work": DIR}
            -> loads events.ndjson into Parquet (ZSTD), a DuckDB database file and a chDB
               MergeTree table; answers load times and on-disk sizes.
  query:    {"op": "query", "engine": "duckdb"|"chdb", "format": "ndjson"|"parquet"|"native",
             "sql": "... {src} ..."}
            -> {"ms": float, "rows": int, "first_row": [...]} (time of execution + fetch only)
  quit

Each engine keeps one connection for the whole run, as an embedded database would.
"""

import json
import os
import sys
import time

import chdb
import duckdb
from chdb import session as chdb_session

COLUMNS_DUCK = "{'grp': 'VARCHAR', 'stream': 'VARCHAR', 'ts': 'BIGINT', 'message': 'VARCHAR'}"
COLUMNS_CH = "grp String, stream String, ts Int64, message String"


def dir_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


class Baselines:
    def __init__(self):
        self.duck_mem = None
        self.duck_native = None
        self.ch = None
        self.ndjson = self.parquet = None

    def prepare(self, corpus, work):
        os.makedirs(work, exist_ok=True)
        self.ndjson = os.path.join(corpus, "events.ndjson")
        self.parquet = os.path.join(work, "events.parquet")
        duck_file = os.path.join(work, "events.duckdb")
        ch_dir = os.path.join(work, "chdb")
        out = {}

        self.duck_mem = duckdb.connect()
        t = time.perf_counter()
        if not os.path.exists(self.parquet):
            self.duck_mem.execute(
                f"COPY (SELECT * FROM read_json('{self.ndjson}', format='newline_delimited', columns={COLUMNS_DUCK})) "
                f"TO '{self.parquet}' (FORMAT parquet, COMPRESSION zstd)"
            )
        out["parquet_write_s"] = time.perf_counter() - t
        out["parquet_bytes"] = os.path.getsize(self.parquet)

        t = time.perf_counter()
        fresh = not os.path.exists(duck_file)
        self.duck_native = duckdb.connect(duck_file)
        if fresh:
            self.duck_native.execute(
                f"CREATE TABLE events AS SELECT * FROM read_json('{self.ndjson}', format='newline_delimited', columns={COLUMNS_DUCK})"
            )
            self.duck_native.execute("CHECKPOINT")
        out["duckdb_load_s"] = time.perf_counter() - t
        out["duckdb_bytes"] = os.path.getsize(duck_file)

        t = time.perf_counter()
        fresh = not os.path.exists(ch_dir)
        self.ch = chdb_session.Session(ch_dir)
        if fresh:
            self.ch.query("CREATE DATABASE IF NOT EXISTS bench")
            self.ch.query(
                "CREATE TABLE bench.events (grp LowCardinality(String), stream LowCardinality(String), ts Int64, message String) "
                "ENGINE = MergeTree ORDER BY (grp, ts) SETTINGS index_granularity = 8192"
            )
            self.ch.query(
                f"INSERT INTO bench.events SELECT * FROM file('{self.ndjson}', 'JSONEachRow', '{COLUMNS_CH}')"
            )
            self.ch.query("OPTIMIZE TABLE bench.events FINAL")
        out["chdb_load_s"] = time.perf_counter() - t
        out["chdb_bytes"] = dir_bytes(os.path.join(ch_dir, "store")) or dir_bytes(ch_dir)
        out["duckdb_version"] = duckdb.__version__
        out["chdb_version"] = chdb.__version__ if hasattr(chdb, "__version__") else "?"
        return out

    def source(self, engine, fmt):
        if engine == "duckdb":
            return {
                "ndjson": f"read_json('{self.ndjson}', format='newline_delimited', columns={COLUMNS_DUCK})",
                "parquet": f"read_parquet('{self.parquet}')",
                "native": "events",
            }[fmt]
        return {
            "ndjson": f"file('{self.ndjson}', 'JSONEachRow', '{COLUMNS_CH}')",
            "parquet": f"file('{self.parquet}', 'Parquet')",
            "native": "bench.events",
        }[fmt]

    def query(self, engine, fmt, sql):
        sql = sql.replace("{src}", self.source(engine, fmt))
        if engine == "duckdb":
            con = self.duck_native if fmt == "native" else self.duck_mem
            t = time.perf_counter()
            rows = con.execute(sql).fetchall()
            ms = (time.perf_counter() - t) * 1e3
            first = [str(v) for v in rows[0]] if rows else None
            return {"ms": ms, "rows": len(rows), "first_row": first}
        # ClickHouse's query condition cache (on by default since 25.3) remembers which granules
        # matched a filter, so repeating the same query skips the scan: a cache of this
        # benchmark's repetitions, which larch does not have. Measure the scan.
        sql += " SETTINGS use_query_condition_cache = 0"
        t = time.perf_counter()
        res = self.ch.query(sql, "JSONCompact")
        ms = (time.perf_counter() - t) * 1e3
        data = json.loads(res.bytes() or b"{}").get("data", [])
        first = [str(v) for v in data[0]] if data else None
        return {"ms": ms, "rows": len(data), "first_row": first}


def main():
    b = Baselines()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            if req["op"] == "prepare":
                resp = b.prepare(req["corpus"], req["work"])
            elif req["op"] == "query":
                resp = b.query(req["engine"], req["format"], req["sql"])
            elif req["op"] == "quit":
                break
            else:
                resp = {"error": f"unknown op {req['op']}"}
        except Exception as e:  # reported, not fatal: a failed baseline is a row that says so
            resp = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
