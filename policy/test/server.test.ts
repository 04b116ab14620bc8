import assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { renderStack } from "../../render/render";
import { RenderedResource } from "../../render/types";
import { PolicyPackConfig } from "@pulumi/policy";
import { runPolicies } from "../offline";
import { policies } from "../policies/all";
import { BAD_APP } from "./support";

// The Pulumi CLI path without the CLI: start policy/index.ts as `pulumi preview --policy-pack` does (it prints
// its port), then call the analyzer RPCs the engine calls. The offline adapter must report exactly the same.

const LEVELS = Object.fromEntries(Object.entries(pb.EnforcementLevel).map(([k, v]) => [v, k.toLowerCase()]));

function options(parentUrn?: string): pb.AnalyzerResourceOptions {
  const o = new pb.AnalyzerResourceOptions();
  if (parentUrn) o.setParent(parentUrn);
  return o;
}

/** `policy|urn|message-without-description|level`, the shape both paths are compared in. */
function rows(diagnostics: pb.AnalyzeDiagnostic[], urn?: string): string[] {
  return diagnostics.map((d) => {
    const message = d.getMessage().slice(d.getDescription().length + 1);
    return [d.getPolicyname(), d.getUrn() || urn, message, LEVELS[d.getEnforcementlevel()]].join("|");
  });
}

describe("policy pack served to the Pulumi engine (analyzer gRPC)", function () {
  let child: ChildProcess;
  let client: rpc.AnalyzerClient;
  const call = <Req, Res>(method: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req) =>
    new Promise<Res>((resolve, reject) => method.call(client, req, (e, r) => (e ? reject(e) : resolve(r))));

  before(async () => {
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "../index.ts")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}`)));
    });
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  it("announces every policy with its default level", async () => {
    const info = await call<Empty, pb.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
    assert.strictEqual(info.getName(), "camunda-orchestrator-policies");
    const levels = Object.fromEntries(info.getPoliciesList().map((p) => [p.getName(), LEVELS[p.getEnforcementlevel()]]));
    assert.deepStrictEqual(Object.keys(levels).sort(), policies.map((p) => p.name).sort());
    assert.strictEqual(levels["kafka-topic-durability"], "mandatory");
  });

  /** Diagnostics of `analyze` on every resource plus `analyzeStack` on all, as comparable rows. */
  async function served(resources: RenderedResource[]): Promise<string[]> {
    const byName = new Map(resources.map((r) => [r.name, r]));
    const parentUrn = (r: RenderedResource) => (r.parent ? byName.get(r.parent)?.urn : undefined);
    // Both request shapes describe a resource the same way.
    const describe = <T extends pb.AnalyzeRequest | pb.AnalyzerResource>(target: T, r: RenderedResource): T => {
      target.setType(r.type);
      target.setName(r.name);
      target.setUrn(r.urn);
      target.setProperties(Struct.fromJavaScript(r.inputs as any));
      target.setOptions(options(parentUrn(r)));
      return target;
    };
    const result: string[] = [];
    for (const r of resources) {
      const req = describe(new pb.AnalyzeRequest(), r);
      result.push(...rows((await call<pb.AnalyzeRequest, pb.AnalyzeResponse>(client.analyze, req)).getDiagnosticsList(), r.urn));
    }
    const stackReq = new pb.AnalyzeStackRequest();
    stackReq.setResourcesList(
      resources.map((r) => {
        const a = describe(new pb.AnalyzerResource(), r);
        a.setParent(parentUrn(r) ?? "");
        return a;
      }),
    );
    result.push(...rows((await call<pb.AnalyzeStackRequest, pb.AnalyzeResponse>(client.analyzeStack, stackReq)).getDiagnosticsList()));
    return result.sort();
  }

  const offline = async (resources: RenderedResource[], config: PolicyPackConfig = {}) =>
    (await runPolicies(policies, resources, config)).map((v) => [v.policy, v.resource, v.message, v.level].join("|")).sort();

  it("reports on the bad Application exactly what the offline check reports, stack policy included", async () => {
    const { resources } = await renderStack(BAD_APP);
    const expected = await offline(resources);
    assert.ok(expected.length >= 3, "the fixture violates several policies");
    assert.deepStrictEqual(await served(resources), expected);

    const withoutAlerts = resources.filter((r) => !r.type.endsWith(":PrometheusRule"));
    const expectedStack = await offline(withoutAlerts);
    assert.ok(expectedStack.some((row) => row.startsWith("orchestrator-completeness|")));
    assert.deepStrictEqual(await served(withoutAlerts), expectedStack);
  });

  it("applies a pack config (levels and options) the same way", async () => {
    const config: PolicyPackConfig = {
      "pinned-images": "advisory",
      "kafka-topic-durability": { enforcementLevel: "mandatory", productionStacks: ["staging"] },
      "no-plaintext-credentials": { allowedNames: ["PAYMENT_API_TOKEN"] },
    };
    // The engine sends every configured policy with its level resolved (the policy's default when unset).
    const req = new pb.ConfigureAnalyzerRequest();
    for (const [name, c] of Object.entries(config)) {
      const { enforcementLevel, ...props } = typeof c === "string" ? { enforcementLevel: c } : c;
      const level = enforcementLevel ?? policies.find((p) => p.name === name)!.enforcementLevel!;
      const pc = new pb.PolicyConfig();
      pc.setEnforcementlevel(pb.EnforcementLevel[level.toUpperCase() as keyof typeof pb.EnforcementLevel]);
      pc.setProperties(Struct.fromJavaScript(props));
      req.getPolicyconfigMap().set(name, pc);
    }
    await call<pb.ConfigureAnalyzerRequest, Empty>(client.configure, req);
    const { resources } = await renderStack(BAD_APP);
    const expected = await offline(resources, config);
    assert.deepStrictEqual(
      expected.map((row) => row.split("|")[0]),
      ["pinned-images"],
      "only the image remains, as advisory",
    );
    assert.ok(expected[0].endsWith("|advisory"));
    assert.deepStrictEqual(await served(resources), expected);
  });
});
