// npm run mutation [-- <group>...] [--incremental]: StrykerJS mutation testing of the saga core, the component
// properties and settings, and the policies, one Stryker run per group (see groups.ts), then a score per target.
// Exits 1 when a target keeps fewer than MIN_SCORE % of its mutants detected. Reports: reports/mutation/.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { GROUPS, MIN_SCORE, MutantOutcome, MutantStatus, MutationGroup, scoreTargets, TargetScore } from "./groups";

const PROJECT_DIR = path.resolve(__dirname, "../..");
const REPORT_DIR = "reports/mutation";

const USAGE = `usage: npm run mutation [-- [${GROUPS.map((g) => g.name).join("|")}]... [--incremental]]
  no group: every group, one after the other
  --incremental  reuse ${REPORT_DIR}/<group>.incremental.json from the last run: only mutants in changed
                 files, or covered by changed tests, are tested again (Stryker's incremental mode)`;

/** The part of Stryker's MutantResult read here. */
interface StrykerMutant {
  fileName: string;
  status: MutantStatus;
  mutatorName: string;
  replacement: string;
  location: { start: { line: number; column: number } };
}

function strykerOptions(group: MutationGroup, incremental: boolean): Record<string, unknown> {
  return {
    testRunner: "mocha",
    // Mocha loads the project's .mocharc.json (ts-node, test-run.ts); only these spec files.
    mochaOptions: { spec: group.specs },
    mutate: group.targets.flatMap((t) => t.mutate),
    coverageAnalysis: "perTest",
    ignoreStatic: group.ignoreStatic ?? false,
    // One test runner per core (Stryker's own default keeps one core free, and there are only two here);
    // STRYKER_CONCURRENCY overrides it on a machine shared with other work.
    concurrency: Number(process.env.STRYKER_CONCURRENCY) || os.availableParallelism(),
    // Tests against real servers take seconds; a mutant that only slows them down must not pass for a hang.
    timeoutMS: 10000,
    // Every run records its results for a later --incremental run; without --incremental, `force` tests
    // every mutant afresh.
    incremental: true,
    force: !incremental,
    incrementalFile: `${REPORT_DIR}/${group.name}.incremental.json`,
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: `${REPORT_DIR}/${group.name}.html` },
    jsonReporter: { fileName: `${REPORT_DIR}/${group.name}.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    tempDirName: ".stryker-tmp",
    cleanTempDir: true,
    thresholds: { high: 90, low: MIN_SCORE, break: null },
  };
}

function pct(score: number): string {
  return Number.isNaN(score) ? "-" : `${score.toFixed(1)}%`;
}

function printScores(scores: TargetScore[], seconds: Map<string, number>): void {
  const rows = scores.map((s) => [s.target, pct(s.score), s.killed, s.timeout, s.survived, s.noCoverage, s.errors].map(String));
  const head = ["target", "score", "killed", "timeout", "survived", "no coverage", "errors"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(`\nmutation scores (minimum ${MIN_SCORE}% per target)`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  for (const [group, s] of seconds) console.log(`${group}: ${Math.round(s / 60)} min`);
  for (const s of scores.filter((x) => x.survivors.length > 0)) {
    console.log(`\nsurvivors in ${s.target}:`);
    for (const m of s.survivors)
      console.log(
        `  ${m.file}:${m.line}:${m.column} ${m.mutatorName} -> ${m.replacement.replace(/\s+/g, " ").slice(0, 100)}${m.status === "NoCoverage" ? " (no test reaches it)" : ""}`,
      );
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { incremental: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const unknown = positionals.filter((p) => !GROUPS.some((g) => g.name === p));
  if (unknown.length > 0) {
    console.error(`unknown group ${unknown.join(", ")}: use ${GROUPS.map((g) => g.name).join(", ")}\n${USAGE}`);
    return 2;
  }
  const groups = positionals.length > 0 ? GROUPS.filter((g) => positionals.includes(g.name)) : GROUPS;
  process.chdir(PROJECT_DIR);
  // Stryker ends a test runner that timed out with SIGKILL, so its exit handlers (test-run.ts removes the run's
  // temporary folder) never run: the runners get a temporary folder of their own, removed here at the end.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mutation-"));
  fs.chmodSync(tmp, 0o755); // test PostgreSQL servers run as the postgres user and must reach their folders
  process.env.TMPDIR = tmp;
  try {
    return await runGroups(groups, values.incremental);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function runGroups(groups: MutationGroup[], incremental: boolean): Promise<number> {
  // Stryker is an ES module with its own CLI; this CommonJS script loads it as Node 20.19+ allows.
  const { Stryker } = require("@stryker-mutator/core") as { Stryker: new (o: Record<string, unknown>) => { runMutationTest(): Promise<StrykerMutant[]> } };

  const scores: TargetScore[] = [];
  const seconds = new Map<string, number>();
  for (const group of groups) {
    const started = Date.now();
    console.log(`\n== mutation testing: ${group.name} (${group.targets.map((t) => t.name).join(", ")})`);
    const results = await new Stryker(strykerOptions(group, incremental)).runMutationTest();
    seconds.set(group.name, (Date.now() - started) / 1000);
    const outcomes: MutantOutcome[] = results.map((m) => ({
      file: path.relative(PROJECT_DIR, path.resolve(PROJECT_DIR, m.fileName)).split(path.sep).join("/"),
      status: m.status,
      mutatorName: m.mutatorName,
      replacement: m.replacement,
      line: m.location.start.line,
      column: m.location.start.column + 1,
    }));
    scores.push(...scoreTargets(group.targets, outcomes));
  }
  printScores(scores, seconds);
  const low = scores.filter((s) => !(s.score >= MIN_SCORE));
  if (low.length > 0) {
    console.error(`\nbelow ${MIN_SCORE}%: ${low.map((s) => `${s.target} (${pct(s.score)})`).join(", ")}`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
