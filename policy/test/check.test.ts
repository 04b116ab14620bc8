import assert from "assert";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { RenderOptions, RenderResult } from "../../render/types";
import { runCheck } from "../check";
import { resource } from "./support";

/** Stands in for renderStack: records its options and returns the given resources, or throws like it. */
function fakeRender(resources: ReturnType<typeof resource>[], seen: RenderOptions[] = []) {
  return async (options: RenderOptions): Promise<RenderResult> => {
    seen.push(options);
    if (options.stack === "nope") throw new Error("no stack file Pulumi.nope.yaml");
    return { stack: options.stack, resources, outputs: {} };
  };
}

const latestRedis = resource("kubernetes:apps/v1:Deployment", "redis", {
  spec: { template: { spec: { containers: [{ name: "redis", image: "redis:latest" }] } } },
});
const pinnedRedis = resource("kubernetes:apps/v1:Deployment", "redis", {
  spec: { template: { spec: { containers: [{ name: "redis", image: "redis:7.4.1" }] } } },
});

async function run(argv: string[], resources = [pinnedRedis], seen: RenderOptions[] = []) {
  const lines: string[] = [];
  const code = await runCheck(argv, fakeRender(resources, seen), (l) => lines.push(l));
  return { code, out: lines.join("\n") };
}

describe("offline check CLI", () => {
  it("passes the parsed options to the render and exits 0 when nothing is violated", async () => {
    const seen: RenderOptions[] = [];
    const { code, out } = await run(["--stack", "dev", "--app", "a.yaml", "--config", "workerImage=w:1", "--secret", "pw=x"], [pinnedRedis], seen);
    assert.strictEqual(code, 0);
    assert.deepStrictEqual(seen, [{ stack: "dev", appFile: "a.yaml", config: { workerImage: "w:1" }, secrets: { pw: "x" } }]);
    assert.match(out, /stack dev: 1 resources, 13 policies, 0 violations \(0 mandatory, 0 advisory\)/);
  });

  it("prints policy, resource, message and level, and exits 1 on a mandatory violation", async () => {
    const { code, out } = await run(["--stack", "dev"], [latestRedis]);
    assert.strictEqual(code, 1);
    assert.match(out, /mandatory +pinned-images\n {2}resource: urn:pulumi:dev::.*::redis\n {2}container "redis": image "redis:latest" uses the latest tag/);
    assert.match(out, /1 violations \(1 mandatory, 0 advisory\)/);
  });

  it("exits 0 when a policy config makes the violation advisory", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "policy-")), "cfg.json");
    writeFileSync(file, JSON.stringify({ "pinned-images": "advisory" }));
    const { code, out } = await run(["--stack", "dev", "--policy-config", file], [latestRedis]);
    assert.strictEqual(code, 0);
    assert.match(out, /^advisory +pinned-images/m);
  });

  it("exits 2 with the message on bad arguments, a bad policy config or a render error", async () => {
    let r = await run(["--stack"]);
    assert.deepStrictEqual([r.code, r.out.split("\n")[0]], [2, "error: --stack needs a value"]);
    const file = join(mkdtempSync(join(tmpdir(), "policy-")), "cfg.json");
    writeFileSync(file, JSON.stringify({ "pinned-image": "advisory" }));
    r = await run(["--stack", "dev", "--policy-config", file]);
    assert.strictEqual(r.code, 2);
    assert.match(r.out, /unknown policy "pinned-image"/);
    r = await run(["--stack", "nope"]);
    assert.deepStrictEqual([r.code, r.out], [2, "error: no stack file Pulumi.nope.yaml"]);
  });
});
