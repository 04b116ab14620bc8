import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "../components/validation";
import { PreviewMocks, Registration } from "./mocks";
import { findLeaks, redactSecretPayload, redactSecrets } from "./redact";
import { loadRunConfig } from "./stack-file";
import { RenderedResource, RenderOptions, RenderResult, REDACTED } from "./types";

// Internal SDK modules (pinned @pulumi/pulumi): the monitor, to see each registration's parent, and
// the RPC queue, to know when the program has finished registering.
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): MockMonitor; waitForRPCs(): Promise<void> };

interface MockMonitor {
  registerResource(request: { getType(): string; getName(): string; getParent(): string }, callback: unknown): unknown;
  /** The URN the mock monitor gives a resource; parents are named by it. */
  newUrn(parent: string, type: string, name: string): string;
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/** Repository root: where Pulumi.yaml and index.ts live. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/**
 * Runs the stack program (`index.ts`) in-process under Pulumi's mock runtime with the stack's config,
 * as a preview would, and returns every registered resource and the stack outputs, secrets redacted.
 * Invalid input rejects with a ValidationError before anything is returned.
 */
export async function renderStack(options: RenderOptions & { stackOutputs?: Record<string, Record<string, unknown>> }): Promise<RenderResult> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const overrides = { config: { ...options.config }, secrets: options.secrets };
  if (options.appFile) overrides.config.application = path.resolve(options.appFile);
  const runConfig = loadRunConfig(projectDir, options.stack, overrides);

  const mocks = new PreviewMocks(options.stack, options.stackOutputs ?? {});
  pulumi.runtime.setAllConfig(runConfig.values, runConfig.secretKeys);
  await pulumi.runtime.setMocks(mocks, runConfig.project, options.stack, true);
  captureParents(mocks);

  const programPath = require.resolve(path.join(projectDir, "index.ts"));
  delete require.cache[programPath];
  let program: Record<string, unknown>;
  let outputs: Record<string, unknown>;
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(async () => {
      program = require(programPath);
      return program;
    })) as Record<string, unknown>;
    await settings.waitForRPCs();
  } catch (error) {
    throw explainEncrypted(error, runConfig.encryptedKeys);
  }

  const secretOutputs = new Set<string>();
  for (const [key, value] of Object.entries(program!)) {
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.add(key);
  }
  const redactedOutputs = Object.fromEntries(Object.entries(outputs ?? {}).map(([k, v]) => [k, secretOutputs.has(k) ? REDACTED : v]));

  const monitor = settings.getMonitor();
  const byMonitorUrn = new Map(mocks.registrations.map((r) => [monitor.newUrn(r.parentUrn ?? "", r.type, r.name), r]));
  const parentOf = (r: Registration) => {
    const parent = r.parentUrn ? byMonitorUrn.get(r.parentUrn) : undefined;
    return parent && parent.type !== STACK_TYPE ? parent : undefined;
  };
  // The engine leaves the root stack out of URNs' type chains; the mock monitor does not.
  const qualifiedType = (r: Registration): string => {
    const parent = parentOf(r);
    return parent ? `${qualifiedType(parent)}$${r.type}` : r.type;
  };
  const resources: RenderedResource[] = mocks.registrations
    .filter((r) => r.type !== STACK_TYPE)
    .map((r) => ({
      type: r.type,
      name: r.name,
      urn: `urn:pulumi:${options.stack}::${runConfig.project}::${qualifiedType(r)}::${r.name}`,
      parent: parentOf(r)?.name ?? null,
      custom: r.custom,
      inputs: redactSecrets(redactSecretPayload(r.type, r.inputs)) as Record<string, unknown>,
    }));

  const knownSecrets = [...mocks.generatedSecrets, ...runConfig.secretKeys.map((k) => runConfig.values[k]).filter((v) => v.length >= 4)];
  const leaks = [
    ...resources.flatMap((r) => findLeaks(r.inputs, knownSecrets).map((where) => `${r.type} ${r.name}: inputs.${where}`)),
    ...findLeaks(redactedOutputs, knownSecrets).map((where) => `stack output ${where}`),
  ];
  if (leaks.length > 0) throw new Error(`secret values reached these places in plain text; nothing was written:\n${leaks.join("\n")}`);
  return { stack: options.stack, resources, outputs: redactedOutputs };
}

/** The mock monitor does not hand the parent to the mocks; read it off each registration request. */
function captureParents(mocks: PreviewMocks): void {
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    mocks.parents.set(`${request.getType()}::${request.getName()}`, request.getParent());
    return register(request, callback);
  };
}

/** A missing credential that the stack file holds encrypted needs a different hint than a missing one. */
function explainEncrypted(error: unknown, encryptedKeys: string[]): unknown {
  if (!(error instanceof ValidationError) || encryptedKeys.length === 0) return error;
  const hint = `the stack file holds ${encryptedKeys.join(", ")} encrypted, which the offline render cannot decrypt: pass each with --secret key=value`;
  return new ValidationError([...error.problems, hint]);
}
