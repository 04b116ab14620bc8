// Loaded by mocha before any test file (.mocharc.json `require`): the settings of a whole test run.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// Every temporary file of the run (child processes included: they inherit TMPDIR) goes into one private
// folder. When the run ends, anything left there fails it, and the folder is removed either way: nothing
// accumulates in /tmp, and concurrent runs on one machine do not see each other's files.
const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), "camunda-orchestrator-test-"));
fs.chmodSync(runTmp, 0o755); // test PostgreSQL servers run as the postgres user and must reach their folders
process.env.TMPDIR = runTmp;

/** What may remain: caches that tools keep across runs on purpose, not folders a test forgot. */
const CACHES = [/^v8-compile-cache-/]; // ts-node's compile cache, in CLIs the tests start

// Checked on exit, after every `after` hook of every file has cleaned up.
process.on("exit", () => {
  const left = fs.readdirSync(runTmp).filter((entry) => !CACHES.some((cache) => cache.test(entry)));
  fs.rmSync(runTmp, { recursive: true, force: true });
  if (left.length > 0) {
    process.stderr.write(`\nFAILED: the tests left temporary files behind: ${left.join(", ")} (each test removes what it creates)\n`);
    process.exitCode = 1;
  }
});

// The SDK's own gRPC client logs ("Grpc channel closed") would land between the test results.
process.env.ZEEBE_CLIENT_LOG_LEVEL ??= "NONE";
