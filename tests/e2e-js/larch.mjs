// Starts a `larch serve` for the JavaScript end-to-end tests and builds SDK clients for it.
//
// Binary: env LARCH_BIN, else $CARGO_TARGET_DIR/debug/larch, else <repo>/target/debug/larch.
// A missing binary is an error, never a skip.

import { spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";

// The pinned SDK warns on Node < 22 about its future releases; that says nothing about these tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const REGION = "us-east-1";
export const ACCOUNT = "000000000000";
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function larchBin() {
  if (process.env.LARCH_BIN) return resolve(process.env.LARCH_BIN);
  if (process.env.CARGO_TARGET_DIR) return join(process.env.CARGO_TARGET_DIR, "debug", "larch");
  return join(REPO_ROOT, "target", "debug", "larch");
}

export function genCreds() {
  const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const pick = (alphabet, n) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
  return {
    accessKeyId: "AKIA" + pick(upper, 16),
    secretAccessKey: randomBytes(30).toString("base64"), // 40 characters
  };
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class LarchServer {
  static async start() {
    const s = new LarchServer();
    await s.#start();
    return s;
  }

  async #start() {
    this.binary = larchBin();
    if (!existsSync(this.binary)) {
      throw new Error(`larch binary not found at ${this.binary} (set LARCH_BIN or build it with \`cargo build -p larch\`)`);
    }
    this.dataDir = mkdtempSync(join(tmpdir(), "larch-e2e-js-"));
    this.logPath = join(this.dataDir, "server.log");
    this.port = await freePort();
    this.endpoint = `http://127.0.0.1:${this.port}`;
    this.creds = genCreds();
    const logFd = openSync(this.logPath, "a");
    this.proc = spawn(
      this.binary,
      ["serve", "--listen", `127.0.0.1:${this.port}`, "--data", join(this.dataDir, "data")],
      {
        env: {
          ...process.env,
          LARCH_ACCESS_KEY_ID: this.creds.accessKeyId,
          LARCH_SECRET_ACCESS_KEY: this.creds.secretAccessKey,
          LARCH_ACCOUNT_ID: ACCOUNT,
          RUST_BACKTRACE: process.env.RUST_BACKTRACE ?? "1",
        },
        stdio: ["ignore", logFd, logFd],
      },
    );
    closeSync(logFd);
    this.exited = new Promise((r) => this.proc.once("exit", (code, signal) => r({ code, signal })));
    let exitInfo = null;
    this.exited.then((e) => (exitInfo = e));

    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (exitInfo) {
        throw new Error(`larch exited during startup (${JSON.stringify(exitInfo)}):\n${this.logTail()}`);
      }
      try {
        const r = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    await this.stop();
    throw new Error(`larch did not become healthy within 30 s:\n${this.logTail()}`);
  }

  /** SIGTERM, wait up to 20 s (then SIGKILL and fail); removes the data dir unless keepData. */
  async stop({ keepData = false } = {}) {
    if (!this.proc) return null;
    const proc = this.proc;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    let timer;
    const timeout = new Promise((r) => (timer = setTimeout(() => r("timeout"), 20_000)));
    const res = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (res === "timeout") {
      proc.kill("SIGKILL");
      await this.exited;
      throw new Error(`larch did not stop within 20 s after SIGTERM:\n${this.logTail()}`);
    }
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
    return res;
  }

  logTail(n = 60) {
    try {
      return readFileSync(this.logPath, "utf8").split("\n").slice(-n).join("\n");
    } catch {
      return "(no server log)";
    }
  }

  /** A CloudWatch Logs client for this server; no retries (a retried PutLogEvents could hide server errors). */
  client(creds = this.creds) {
    return new CloudWatchLogsClient({
      endpoint: this.endpoint,
      region: REGION,
      credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
      maxAttempts: 1,
    });
  }

  groupArn(name) {
    return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
  }
}

/** A unique log-group name for one test. */
export function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

/** Insights renders timestamps as `YYYY-MM-DD HH:MM:SS.mmm` in UTC. */
export function renderTs(ms) {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

export { sleep };
