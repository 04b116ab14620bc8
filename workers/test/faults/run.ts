// `npm run test:faults`: runs every fault scenario against the real worker process, prints the table
// scenario -> outcome, and exits 1 on any loss, duplicate execution, out-of-order undo or failed check.
// Arguments: scenario names to run only those. FAULT_SEED picks other crash points; FAULT_WORKER=ts-node
// starts workers/src/main.ts through ts-node instead of the compiled main.js.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// Every temporary file of the run, the worker processes' included, goes into one private folder.
const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), "fault-suite-"));
fs.chmodSync(runTmp, 0o755); // the test PostgreSQL runs as the postgres user and must reach its folder
process.env.TMPDIR = runTmp;
process.env.ZEEBE_CLIENT_LOG_LEVEL ??= "NONE";

import { removeWorkflowsDirs } from "../support/harness";
import { startPostgres } from "../support/servers";
import { suiteSeed } from "./random";
import { SCENARIOS } from "./scenarios";
import { passed, renderTable } from "./table";
import { compileWorker, WorkerLaunch } from "./worker-process";
import type { ScenarioResult } from "./world";

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario(s) ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}\n`);
    return 2;
  }
  const scenarios = only.length > 0 ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  const seed = suiteSeed();
  const t = Date.now();
  const log = (line: string) => process.stderr.write(`[faults ${((Date.now() - t) / 1000).toFixed(1)}s] ${line}\n`);
  log(`seed ${seed}; ${scenarios.length} scenario(s)`);
  const started = Date.now();
  const compiled = process.env.FAULT_WORKER === "ts-node" ? undefined : compileWorker();
  const launch: WorkerLaunch = compiled?.launch ?? { kind: "ts-node" };
  const pg = await startPostgres();
  const results: ScenarioResult[] = [];
  try {
    for (const s of scenarios) {
      log(`${s.name}: ${s.proves}`);
      const t0 = Date.now();
      let r: Omit<ScenarioResult, "seconds">;
      try {
        r = await s.run({ pg, launch, seed, log });
      } catch (err) {
        const message = `the scenario itself failed: ${(err as Error)?.stack ?? err}`;
        r = {
          name: s.name,
          items: s.items,
          sagas: 0,
          kills: 0,
          lost: 0,
          duplicates: 0,
          outOfOrder: 0,
          sameKeyRetries: 0,
          problems: [message],
          details: [message],
          notes: [],
        };
      }
      const result = { ...r, seconds: (Date.now() - t0) / 1000 };
      results.push(result);
      log(`${s.name}: ${passed(result) ? "PASS" : "FAIL"} in ${result.seconds.toFixed(0)} s`);
    }
  } finally {
    await pg.stop();
    compiled?.remove();
    removeWorkflowsDirs();
  }
  process.stdout.write(`\nFault suite (seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s)\n\n${renderTable(results)}\n`);
  return results.every(passed) ? 0 : 1;
}

main().then(
  (code) => {
    fs.rmSync(runTmp, { recursive: true, force: true });
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`fault suite failed: ${(err as Error)?.stack ?? err}\n`);
    fs.rmSync(runTmp, { recursive: true, force: true });
    process.exit(1);
  },
);
