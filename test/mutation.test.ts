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

  it("has every target's score in the README, each at least the minimum", () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Mutation testing"));
    assert.ok(section.length < readme.length, "README: no '## Mutation testing' section");
    for (const target of GROUPS.flatMap((g) => g.targets)) {
      const row = section.split("\n").find((line) => line.startsWith(`| \`${target.name}\``));
      assert.ok(row, `README mutation table: no row for ${target.name}`);
      const score = Number(/\| (\d+(?:\.\d+)?) ?% \|/.exec(row)?.[1]);
      assert.ok(score >= MIN_SCORE, `README: ${target.name} at ${score}%, below ${MIN_SCORE}%`);
    }
  });
});
