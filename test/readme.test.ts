// What the README tells a newcomer must hold: which example goes with which stack, how to build the image.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { exampleStacks, fencedBlockAfter, REPO } from "./support/readme";

/** Docker's .dockerignore patterns, as far as ours use them: `**` for any folders, `*` within a name. */
function ignoredBy(patterns: string[], file: string): string | undefined {
  const parts = file.split("/");
  return patterns.find((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*\//g, "(.*/)?")
        .replace(/\*/g, "[^/]*")}$`,
    );
    return parts.some((_, i) => regex.test(parts.slice(0, i + 1).join("/")));
  });
}

describe("the README", () => {
  it("says which stacks each example Application renders in, for every file in examples/", () => {
    const table = exampleStacks();
    const stacks = fs.readdirSync(REPO).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    assert.deepEqual(
      table.map((row) => row.file).sort(),
      fs
        .readdirSync(path.join(REPO, "examples"))
        .map((f) => `examples/${f}`)
        .sort(),
    );
    for (const row of table) {
      assert.ok(row.stacks.length > 0, `${row.file}: no stack`);
      for (const stack of row.stacks) assert.ok(stacks.includes(stack), `${row.file}: no stack file for ${stack}`);
    }
    // The renders themselves: policy/test/examples.test.ts renders every row in every stack it names.
  });

  it("builds the worker image from a context that holds everything workers/Dockerfile copies", () => {
    const commands = fencedBlockAfter(path.join(REPO, "README.md"), "checks this command's Dockerfile and build context");
    const build = /^docker build -f (\S+) -t (\S+) (\S+)$/m.exec(commands);
    assert.ok(build, `no docker build command in:\n${commands}`);
    const [, dockerfile, tag, contextArg] = build;
    assert.match(commands, new RegExp(`^docker push ${tag.replace(/[.]/g, "\\.")}$`, "m"), "the README pushes what it builds");
    const context = path.resolve(REPO, contextArg);
    assert.equal(context, REPO, "the README builds from the repository root, as the Dockerfile expects");
    const ignore = fs
      .readFileSync(path.join(context, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    assert.ok(ignoredBy(ignore, "node_modules/zod/package.json") && ignoredBy(ignore, "workers/node_modules/x"), "node_modules stays out of the context");
    const copies = fs
      .readFileSync(path.join(context, dockerfile), "utf8")
      .split("\n")
      .filter((l) => /^COPY /.test(l) && !l.includes("--from="));
    assert.ok(copies.length > 0);
    for (const line of copies) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        assert.ok(fs.existsSync(path.join(context, source)), `${dockerfile}: ${line}: ${source} is not in the build context`);
        assert.equal(ignoredBy(ignore, source), undefined, `${dockerfile}: ${line}: .dockerignore drops ${source}`);
      }
    }
  });
});
