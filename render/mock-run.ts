import * as pulumi from "@pulumi/pulumi";
import { PreviewMocks, Registration } from "./mocks";
import { redactSecretPayload, redactSecrets } from "./redact";
import { RenderedResource, REDACTED } from "./types";

// Internal SDK modules (pinned @pulumi/pulumi): the monitor, to see each registration's parent, and
// the RPC queue, to know when the program has finished registering.
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MockMonitor; waitForRPCs(): Promise<void> };

interface AliasMessage {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getAliasesList(): AliasMessage[];
}

interface MockMonitor {
  registerResource(request: RegisterRequest, callback: unknown): unknown;
  /** The URN the mock monitor gives a resource; parents are named by it. */
  newUrn(parent: string, type: string, name: string): string;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

export interface MockRunOptions {
  stack: string;
  project: string;
  /** Full config keys (`namespace:key`) to string values. */
  config: Record<string, string>;
  secretKeys: string[];
  /** Outputs of other stacks, by stack name, for StackReferences. */
  stackOutputs?: Record<string, Record<string, unknown>>;
}

export interface MockRunResult {
  resources: RenderedResource[];
  /** Stack outputs; outputs the program marks secret are redacted. */
  outputs: Record<string, unknown>;
  /** Placeholder values handed out for generated secrets. */
  generatedSecrets: string[];
}

/**
 * Runs `program` as the body of a Pulumi stack under the mock runtime and returns what it registered,
 * secrets redacted. `program` returns the stack's outputs (a program module's exports).
 */
export async function runUnderMocks(options: MockRunOptions, program: () => Record<string, unknown>): Promise<MockRunResult> {
  const mocks = new PreviewMocks(options.stack, options.stackOutputs ?? {});
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  await pulumi.runtime.setMocks(mocks, options.project, options.stack, true);
  const monitor = settings.getMonitor();
  captureParents(monitor, mocks);

  let exported: Record<string, unknown> = {};
  const outputs = (await pulumi.runtime.runInPulumiStack(async () => (exported = program()))) as Record<string, unknown> | undefined;
  await settings.waitForRPCs();

  const secretOutputs = new Set<string>();
  for (const [key, value] of Object.entries(exported)) {
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.add(key);
  }
  const redactedOutputs = Object.fromEntries(Object.entries(outputs ?? {}).map(([k, v]) => [k, secretOutputs.has(k) ? REDACTED : v]));
  return { resources: toRenderedResources(options, monitor, mocks.registrations), outputs: redactedOutputs, generatedSecrets: mocks.generatedSecrets };
}

function toRenderedResources(options: MockRunOptions, monitor: MockMonitor, registrations: Registration[]): RenderedResource[] {
  const byMonitorUrn = new Map(registrations.map((r) => [monitor.newUrn(r.parentUrn ?? "", r.type, r.name), r]));
  const parentOf = (r: Registration) => {
    const parent = r.parentUrn ? byMonitorUrn.get(r.parentUrn) : undefined;
    return parent && parent.type !== STACK_TYPE ? parent : undefined;
  };
  // The engine leaves the root stack out of URNs' type chains; the mock monitor does not.
  const qualifiedType = (r: Registration): string => {
    const parent = parentOf(r);
    return parent ? `${qualifiedType(parent)}$${r.type}` : r.type;
  };
  const urnOf = (r: Registration) => `urn:pulumi:${options.stack}::${options.project}::${qualifiedType(r)}::${r.name}`;
  return registrations
    .filter((r) => r.type !== STACK_TYPE)
    .map((r) => withRawInputs(r.inputs, {
      type: r.type,
      name: r.name,
      urn: urnOf(r),
      parent: parentOf(r)?.name ?? null,
      custom: r.custom,
      inputs: redactSecrets(redactSecretPayload(r.type, r.inputs)) as Record<string, unknown>,
      dependsOn: r.dependencies.flatMap((urn) => {
        const dependency = byMonitorUrn.get(urn);
        return dependency && dependency.type !== STACK_TYPE ? [urnOf(dependency)] : [];
      }),
      aliases: r.aliases.map((alias) => ({ ...alias, parentUrn: alias.parentUrn && byMonitorUrn.get(alias.parentUrn) ? urnOf(byMonitorUrn.get(alias.parentUrn)!) : alias.parentUrn })),
      ...(r.provider ? { provider: r.provider } : {}),
    }));
}

/** Attaches the unredacted inputs without making them enumerable: JSON and file writers never see them. */
function withRawInputs(raw: Record<string, unknown>, resource: RenderedResource): RenderedResource {
  return Object.defineProperty(resource, "rawInputs", { value: raw, enumerable: false });
}

/** The mock monitor does not hand parent, dependencies or aliases to the mocks; read them off each registration request. */
function captureParents(monitor: MockMonitor, mocks: PreviewMocks): void {
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    mocks.options.set(`${request.getType()}::${request.getName()}`, {
      parentUrn: request.getParent() || null,
      dependencies: request.getDependenciesList(),
      aliases: request.getAliasesList().map((alias) => {
        const spec = alias.getSpec();
        if (!spec) return { urn: alias.getUrn() };
        const fields = { name: spec.getName(), type: spec.getType(), parentUrn: spec.getParenturn(), noParent: spec.getNoparent() };
        return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== "" && value !== false));
      }),
    });
    return register(request, callback);
  };
}
