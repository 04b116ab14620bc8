import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../render/errors";
import { checkOutDir, MARKER, writeIntoOutDir } from "../render/out-dir";
import { snapshot } from "./support/cli";

/** A render writing these files (path → content). */
const writing = (files: Record<string, string>) => (dir: string) => {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
};

const markerOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, MARKER), "utf8")) as { stack: string; files: string[] };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error.message;
  }
  return assert.fail("expected the output folder to be refused");
}

describe("the render's output folder", () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "out-dir-"))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("creates a new folder and lists what it wrote in the marker", () => {
    const out = path.join(root, "a", "b");
    const { written } = writeIntoOutDir(out, "dev", writing({ "resources.json": "[]", "manifests/x.yaml": "x" }));
    assert.deepEqual(written, ["manifests/x.yaml", "resources.json"]);
    assert.deepEqual(markerOf(out), { writtenBy: "camunda-orchestrator render", stack: "dev", files: ["manifests/x.yaml", "resources.json"] });
  });

  it("refuses a folder with files but no marker, and a file given as folder, changing nothing", () => {
    fs.mkdirSync(path.join(root, ".git"));
    fs.writeFileSync(path.join(root, ".git", "HEAD"), "ref: refs/heads/main\n");
    fs.writeFileSync(path.join(root, "notes.md"), "mine");
    const before = snapshot(root);
    assert.match(
      refusal(() => checkOutDir(root)),
      /the folder is not empty \(.git, notes.md\) and holds no render \(no \.camunda-orchestrator-render\.json\)/,
    );
    assert.match(
      refusal(() => writeIntoOutDir(root, "dev", writing({ "notes.md": "render" }))),
      /holds no render/,
    );
    assert.match(
      refusal(() => checkOutDir(path.join(root, "notes.md"))),
      /is a file, not a folder/,
    );
    assert.deepEqual(snapshot(root), before);
  });

  it("replaces an earlier render's files, removes those it no longer writes, and keeps the user's", () => {
    writeIntoOutDir(root, "dev", writing({ "helm/orders.values.yaml": "o", "manifests/a.yaml": "a1", "resources.json": "1" }));
    fs.writeFileSync(path.join(root, "manifests", "mine.yaml"), "mine");
    fs.writeFileSync(path.join(root, "README.md"), "mine");
    const { removed } = writeIntoOutDir(root, "dev", writing({ "manifests/a.yaml": "a2", "resources.json": "2" }));
    assert.deepEqual(removed, ["helm/orders.values.yaml"]);
    assert.ok(!fs.existsSync(path.join(root, "helm")), "a folder the render emptied goes too");
    assert.deepEqual(snapshot(root), {
      [MARKER]: JSON.stringify({ writtenBy: "camunda-orchestrator render", stack: "dev", files: ["manifests/a.yaml", "resources.json"] }, null, 2) + "\n",
      "README.md": "mine",
      "manifests/a.yaml": "a2",
      "manifests/mine.yaml": "mine",
      "resources.json": "2",
    });
  });

  it("writes nothing when a new file would overwrite one of the user's", () => {
    writeIntoOutDir(root, "dev", writing({ "resources.json": "1" }));
    fs.mkdirSync(path.join(root, "manifests"));
    fs.writeFileSync(path.join(root, "manifests", "a.yaml"), "the user's");
    fs.writeFileSync(path.join(root, "helm"), "a file where the render wants a folder");
    const before = snapshot(root);
    const message = refusal(() => writeIntoOutDir(root, "dev", writing({ "resources.json": "2", "manifests/a.yaml": "render", "helm/x.yaml": "x" })));
    assert.match(message, /would overwrite "helm", "manifests\/a\.yaml", which an earlier render did not write; nothing was written/);
    assert.deepEqual(snapshot(root), before);
  });

  it("deletes nothing on the word of a marker that names files outside the folder", () => {
    const out = path.join(root, "out");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(root, "precious.txt"), "keep");
    for (const files of [["../precious.txt"], ["/etc/hostname"], ["manifests/../../precious.txt"]]) {
      fs.writeFileSync(path.join(out, MARKER), JSON.stringify({ writtenBy: "camunda-orchestrator render", stack: "dev", files }));
      assert.match(
        refusal(() => writeIntoOutDir(out, "dev", writing({ "a.yaml": "a" }))),
        /which is not a file inside the folder; the render will not delete anything on its word/,
      );
    }
    fs.writeFileSync(path.join(out, MARKER), "{ not json");
    assert.match(
      refusal(() => checkOutDir(out)),
      /not valid JSON/,
    );
    assert.equal(fs.readFileSync(path.join(root, "precious.txt"), "utf8"), "keep");
    assert.deepEqual(fs.readdirSync(out), [MARKER]);
  });

  it("after a crash while copying, the marker names every file of either render, so the next render cleans up", () => {
    writeIntoOutDir(root, "dev", writing({ "old.yaml": "old", "kept.yaml": "1" }));
    // The module object itself: the namespace `import * as fs` gives has getters only, which read through to it.
    const nodeFs = require("fs") as typeof fs;
    const copy = nodeFs.copyFileSync;
    let copies = 0;
    nodeFs.copyFileSync = (...args: Parameters<typeof fs.copyFileSync>) => {
      if (++copies === 2) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      return copy(...args);
    };
    try {
      assert.throws(() => writeIntoOutDir(root, "dev", writing({ "kept.yaml": "2", "new-a.yaml": "a", "new-b.yaml": "b" })), /ENOSPC/);
    } finally {
      nodeFs.copyFileSync = copy;
    }
    assert.deepEqual(markerOf(root).files, ["kept.yaml", "new-a.yaml", "new-b.yaml", "old.yaml"]);
    writeIntoOutDir(root, "dev", writing({ "kept.yaml": "3" }));
    assert.deepEqual(Object.keys(snapshot(root)).sort(), [MARKER, "kept.yaml"]);
    assert.deepEqual(markerOf(root).files, ["kept.yaml"]);
  });
});
