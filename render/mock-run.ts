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
  /** What the program logged with `pulumi.log.warn` (and `info`), in order. */
  warnings: string[];
}

/**
 * The program failed while its resources were being registered, as `pulumi up` would report it: errors
 * thrown in an `apply` or while serializing inputs, or logged with `pulumi.log.error`.
 */
export class ProgramError extends Error {
  constructor(
    readonly problems: string[],
    /** True when every problem is one the program reports on purpose (`ResourceError`, `RunError`, `log.error`), not a crash. */
    readonly reportedByProgram: boolean,
    /** Stacks the program referenced whose outputs were not given. */
    readonly unansweredStacks: string[],
  ) {
    super(problems.join("\n"));
    this.name = "ProgramError";
  }
}

/**
 * Runs `program` as the body of a Pulumi stack under the mock runtime and returns what it registered,
 * secrets redacted. `program` returns the stack's outputs (a program module's exports). Rejects with a
 * {@link ProgramError} when a registration fails.
 */
export async function runUnderMocks(options: MockRunOptions, program: () => Record<string, unknown>): Promise<MockRunResult> {
  const mocks = new PreviewMocks(options.stack, options.stackOutputs ?? {});
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  await pulumi.runtime.setMocks(mocks, options.project, options.stack, true);
  const monitor = settings.getMonitor();
  captureParents(monitor, mocks);

  let exported: Record<string, unknown> = {};
  const log = captureRuntimeLog();
  const failures = watchFailures();
  let outputs: Record<string, unknown> | undefined;
  try {
    // An error the program throws itself (e.g. a ValidationError from its first lines) is the one to report;
    // the SDK then also rejects the stack's own registrations, unhandled.
    let thrown: { error: unknown } | undefined;
    const body = async () => {
      try {
        return (exported = program());
      } catch (error) {
        thrown = { error };
        throw error;
      }
    };
    const run = (async () => {
      const result = (await pulumi.runtime.runInPulumiStack(body)) as Record<string, unknown> | undefined;
      await settings.waitForRPCs();
      await failures.settled(); // a rejection from the last registrations surfaces a turn later
      return result;
    })();
    let runError: { error: unknown } | undefined;
    run.catch((error: unknown) => (runError = { error }));
    const failed = await Promise.race([
      run.then(
        () => false,
        () => false,
      ),
      failures.first.then(() => true),
    ]);
    // A failed registration leaves what depends on it pending for ever: stop waiting for the program.
    // After the program's own error, let the rejections that follow from it arrive here, not after.
    if (failed || thrown) await failures.settled();
    if (thrown) throw thrown.error;
    if (runError) throw runError.error;
    if (!failed) outputs = await run;
  } finally {
    failures.dispose();
    log.restore();
  }
  if (failures.list.length > 0 || log.errors.length > 0) {
    const problems = [...new Set([...failures.list.map(problemText), ...log.errors])];
    const reported = log.errors.length > 0 || failures.list.every((e) => pulumi.ResourceError.isInstance(e) || pulumi.RunError.isInstance(e));
    throw new ProgramError(problems, reported, [...new Set(mocks.unansweredStacks)]);
  }

  const secretOutputs = new Set<string>();
  for (const [key, value] of Object.entries(exported)) {
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.add(key);
  }
  const redactedOutputs = Object.fromEntries(Object.entries(outputs ?? {}).map(([k, v]) => [k, secretOutputs.has(k) ? REDACTED : v]));
  return {
    resources: toRenderedResources(options, monitor, mocks.registrations),
    outputs: redactedOutputs,
    generatedSecrets: mocks.generatedSecrets,
    warnings: log.warnings,
  };
}

/** An error's message without the SDK's `error serializing property "x": ` prefixes, which name no user input. */
function problemText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^(error serializing property "[^"]*": )+/, "");
}

/**
 * Rejections nobody handles during the run: how the SDK reports a failed registration (the Pulumi
 * language host treats them as program errors too). Watched only while the program runs.
 */
function watchFailures() {
  const list: unknown[] = [];
  let lastAt = 0;
  let notify = () => {};
  const first = new Promise<void>((resolve) => (notify = resolve));
  const listener = (reason: unknown) => {
    if (!list.includes(reason)) list.push(reason);
    lastAt = Date.now();
    notify();
  };
  process.on("unhandledRejection", listener);
  return {
    list,
    first,
    /** Resolves once no new failure has come for a few turns of the event loop. */
    settled: async () => {
      for (let quiet = 0; quiet < 3;) {
        const before = lastAt;
        await new Promise((resolve) => setTimeout(resolve, 10));
        quiet = lastAt === before ? quiet + 1 : 0;
      }
    },
    dispose: () => process.off("unhandledRejection", listener),
  };
}

/**
 * Without an engine (as under mocks) Pulumi's `log` functions write `<level>: [runtime] <message>` to the
 * console. Collect those lines, so that the render returns them and tests stay quiet; let others through.
 */
function captureRuntimeLog() {
  const warnings: string[] = [];
  const errors: string[] = [];
  const original = { log: console.log, warn: console.warn, error: console.error };
  const line = /^(debug|info|warning|error): \[runtime\] ([\s\S]*)$/;
  const capture =
    (fallback: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      const match = args.length === 1 && typeof args[0] === "string" ? line.exec(args[0]) : null;
      if (!match) return fallback.apply(console, args);
      if (match[1] === "error") errors.push(match[2]);
      else if (match[1] !== "debug") warnings.push(match[2]);
    };
  console.log = capture(original.log);
  console.warn = capture(original.warn);
  console.error = capture(original.error);
  return { warnings, errors, restore: () => Object.assign(console, original) };
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
    .map((r) =>
      withRawInputs(r.inputs, {
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
        aliases: r.aliases.map((alias) => ({
          ...alias,
          parentUrn: alias.parentUrn && byMonitorUrn.get(alias.parentUrn) ? urnOf(byMonitorUrn.get(alias.parentUrn)!) : alias.parentUrn,
        })),
        ...(r.provider ? { provider: r.provider } : {}),
      }),
    );
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
