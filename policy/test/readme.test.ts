// The README's command to see the check fail, run as written.
import assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { fencedBlockAfter, REPO } from "../../test/support/readme";

describe("policy/README.md", () => {
  it("its command for the bad Application exits 1 with exactly the three violations it names", function () {
    this.timeout(120_000);
    const script = fencedBlockAfter(path.join(REPO, "policy/README.md"), "runs this block from the repository root");
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "INIT_CWD"));
    const run = spawnSync("bash", ["-euo", "pipefail", "-c", script], { cwd: REPO, env, encoding: "utf8", timeout: 120_000 });
    assert.strictEqual(run.status, 1, `${run.stdout}\n${run.stderr}`);
    const violated = [...run.stdout.matchAll(/^mandatory +(\S+)$/gm)].map((m) => m[1]);
    assert.deepStrictEqual([...new Set(violated)].sort(), ["kafka-topic-durability", "no-plaintext-credentials", "pinned-images"]);
  });
});
