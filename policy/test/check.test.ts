import assert from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { stackSettingsSchema } from "../../components/settings";
import { ValidationError } from "../../components/validation";
import { RenderOptions, RenderResult } from "../../render/types";
import { runCheck } from "../check";
import { policies } from "../policies/all";
import { resource } from "./support";

/** Stands in for renderStack: records its options and returns the given resources, or throws like it. */
function fakeRender(resources: ReturnType<typeof resource>[], seen: RenderOptions[] = []) {
  return async (options: RenderOptions): Promise<RenderResult> => {
    seen.push(options);
    if (options.stack === "nope") throw new ValidationError(["no stack file Pulumi.nope.yaml"]);
    if (options.stack === "buggy") throw new TypeError("cannot read properties of undefined");
    return { stack: options.stack, resources, outputs: {}, warnings: [], settings: stackSettingsSchema.parse({}), orchestrators: [] };
  };
}

const latestRedis = resource("kubernetes:apps/v1:Deployment", "redis", {
  spec: { template: { spec: { containers: [{ name: "redis", image: "redis:latest" }] } } },
});
const pinnedRedis = resource("kubernetes:apps/v1:Deployment", "redis", {
  spec: { template: { spec: { containers: [{ name: "redis", image: "redis:7.4.1" }] } } },
});

async function run(argv: string[], resources = [pinnedRedis], seen: RenderOptions[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { env: {}, cwd: "/work/project", readFile: () => "", readStdin: () => "" };
  const code = await runCheck(argv, fakeRender(resources, seen), io, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let scratch: string;
beforeEach(() => (scratch = mkdtempSync(join(tmpdir(), "policy-"))));
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe("offline check CLI", () => {
  it("passes the parsed options to the render and exits 0 when nothing is violated", async () => {
    const seen: RenderOptions[] = [];
    const { code, out } = await run(["--stack", "dev", "--app", "a.yaml", "--config", "workerImage=w:1", "--secret", "pw=x"], [pinnedRedis], seen);
    assert.strictEqual(code, 0);
    assert.deepStrictEqual(seen, [
      {
        stack: "dev",
        appFile: "/work/project/a.yaml",
        config: { "camunda-orchestrator:workerImage": "w:1" },
        secrets: { "camunda-orchestrator:pw": "x" },
        stackOutputs: undefined,
      },
    ]);
    assert.ok(out.includes(`stack dev: 1 resources, ${policies.length} policies, 0 violations (0 mandatory, 0 advisory)`), out);
  });

  it("prints policy, resource, message and level, and exits 1 on a mandatory violation", async () => {
    const { code, out } = await run(["--stack", "dev"], [latestRedis]);
    assert.strictEqual(code, 1);
    assert.match(out, /mandatory +pinned-images\n {2}resource: urn:pulumi:dev::.*::redis\n {2}container "redis": image "redis:latest" uses the latest tag/);
    assert.match(out, /1 violations \(1 mandatory, 0 advisory\)/);
  });

  it("exits 0 when a policy config makes the violation advisory", async () => {
    const file = join(scratch, "cfg.json");
    writeFileSync(file, JSON.stringify({ "pinned-images": "advisory" }));
    const { code, out } = await run(["--stack", "dev", "--policy-config", file], [latestRedis]);
    assert.strictEqual(code, 0);
    assert.match(out, /^advisory +pinned-images/m);
  });

  it("exits 2 with the message on stderr on bad arguments, a bad policy config or a render error", async () => {
    let r = await run(["--stack"]);
    assert.deepStrictEqual([r.code, r.out], [2, ""]);
    assert.match(r.err, /^policy check not run:\nOption '--stack <value>' argument missing/);
    const file = join(scratch, "cfg.json");
    writeFileSync(file, JSON.stringify({ "pinned-image": "advisory" }));
    r = await run(["--stack", "dev", "--policy-config", file]);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /unknown policy "pinned-image"/);
    r = await run(["--stack", "nope"]);
    assert.deepStrictEqual([r.code, r.out, r.err], [2, "", "policy check not run:\nno stack file Pulumi.nope.yaml"]);
  });

  it("exits 3 on an unexpected error, with its stack on stderr", async () => {
    const r = await run(["--stack", "buggy"]);
    assert.strictEqual(r.code, 3);
    assert.match(
      r.err,
      /^policy check not run, internal error \(a bug: please report it with this output\):\nTypeError: cannot read properties of undefined\n +at /,
    );
  });

  it("prints its options and exit codes with --help, and exits 0", async () => {
    const r = await run(["--help"]);
    assert.strictEqual(r.code, 0);
    assert.match(r.out, /^Usage: npm run policy -- --stack <name> \[options\]/);
    assert.match(r.out, /--policy-config <file>/);
    assert.match(r.out, /--stack-outputs <file>/);
    assert.match(
      r.out,
      /Exit codes:\n {2}0 {2}no mandatory .*\n {2}1 {2}at least one mandatory policy violated\n {2}2 {2}invalid input .*\n {2}3 {2}internal error/,
    );
  });
});
