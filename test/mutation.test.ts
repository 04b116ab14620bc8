// `npm run mutation` is not part of CI (it takes long): these checks keep it runnable from a clean clone, and
// keep its figures in the README for every target it reports.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { GROUPS, inTarget, MIN_SCORE, MutantOutcome, scoreTargets } from "./mutation/groups";
import { REPO } from "./support/readme";

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(path.join(REPO, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(`${dir}/${e.name}`) : [`${dir}/${e.name}`]));
}

describe("mutation testing setup", () => {
  it("runs test files that exist and that npm test runs too", () => {
    for (const group of GROUPS) {
      for (const spec of group.specs) {
        assert.ok(fs.existsSync(path.join(REPO, spec)), `${group.name}: ${spec} does not exist`);
        assert.match(spec, /^(test|policy\/test|workers\/test)\/.*\.test\.ts$/, `${group.name}: ${spec} is not one of npm test's files`);
      }
    }
  });

  it("pins StrykerJS and its mocha runner to one exact version", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
    const [core, runner] = ["@stryker-mutator/core", "@stryker-mutator/mocha-runner"].map((name) => pkg.devDependencies?.[name] ?? pkg.dependencies?.[name]);
    assert.match(String(core), /^\d+\.\d+\.\d+$/, "@stryker-mutator/core is pinned");
    assert.equal(runner, core, "the mocha runner has the core's version (Stryker's plugins move in lockstep)");
    assert.match(pkg.scripts.mutation, /test\/mutation\/run\.ts/);
  });

  it("mutates source files under every target, and no file twice", () => {
    const sources = ["workers/src", "components", "policy"].flatMap(filesUnder).filter((f) => f.endsWith(".ts") && !f.includes("/test/"));
    const targets = GROUPS.flatMap((g) => g.targets);
    for (const target of targets)
      assert.ok(
        sources.some((f) => inTarget(f, target)),
        `${target.name} matches no source file`,
      );
    for (const f of sources) assert.ok(targets.filter((t) => inTarget(f, t)).length <= 1, `${f} is in two targets`);
  });

  it("scores a target by its killed and timed-out mutants among those the tests could run", () => {
    const target = { name: "workers/src/saga", mutate: ["workers/src/saga/**/*.ts"] };
    const file = { name: "workers/src/idempotency.ts", mutate: ["workers/src/idempotency.ts"] };
    const m = (f: string, status: MutantOutcome["status"], line = 1): MutantOutcome => ({
      file: f,
      status,
      mutatorName: "StringLiteral",
      replacement: '""',
      line,
      column: 1,
    });
    const [saga, idem] = scoreTargets(
      [target, file],
      [
        m("workers/src/saga/log.ts", "Killed"),
        m("workers/src/saga/log.ts", "Killed"),
        m("workers/src/saga/batcher.ts", "Timeout"),
        m("workers/src/saga/log.ts", "Survived", 9),
        m("workers/src/saga/log.ts", "NoCoverage", 3),
        m("workers/src/saga/log.ts", "RuntimeError"),
        m("workers/src/sagas.ts", "Survived"),
        m("workers/src/idempotency.ts", "Killed"),
      ],
    );
    assert.deepEqual([saga.killed, saga.timeout, saga.survived, saga.noCoverage, saga.errors], [2, 1, 1, 1, 1]);
    assert.equal(saga.score, 60);
    assert.deepEqual(
      saga.survivors.map((s) => s.line),
      [3, 9],
    );
    assert.equal(idem.score, 100);
    assert.ok(Number.isNaN(scoreTargets([target], [])[0].score));
  });

  // The figures come from a real run (`npm run mutation`), copied by hand: this keeps the table whole and its
  // arithmetic right, and every target under the minimum (or not measured) named as such; it measures nothing.
  it("has every target's measured score in the README, consistent with its counts", () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const start = readme.indexOf("## Mutation testing");
    assert.ok(start >= 0, "README: no '## Mutation testing' section");
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
    assert.match(section, /npm run mutation/);
    for (const target of GROUPS.flatMap((g) => g.targets)) {
      const row = section.split("\n").find((line) => line.startsWith(`| \`${target.name}\` |`));
      assert.ok(row, `README mutation table: no row for ${target.name}`);
      if (/\| not measured/.test(row)) continue; // a run that could not finish says so instead of giving a figure
      // | target | score | killed | timed out | survived | no coverage |
      const [score, killed, timeout, survived, noCoverage] = row
        .split("|")
        .slice(2, 7)
        .map((c) => Number.parseFloat(c));
      const expected = (100 * (killed + timeout)) / (killed + timeout + survived + noCoverage);
      assert.ok(Math.abs(score - expected) < 0.05, `README: ${target.name} at ${score}%, but its counts give ${expected.toFixed(1)}%`);
      if (score < MIN_SCORE) assert.match(row, /below the minimum/, `README: ${target.name} is under ${MIN_SCORE}% and must say so`);
    }
  });
});
