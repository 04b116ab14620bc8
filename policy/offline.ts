import {
  EnforcementLevel,
  Policies,
  PolicyPackConfig,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { RenderedResource } from "../render/types";
import { stackOf } from "./lib/settings";

/** One violation, as the CLI prints it. */
export interface Violation {
  policy: string;
  /** URN of the offending resource, or the stack name for a stack-wide violation. */
  resource: string;
  message: string;
  level: EnforcementLevel;
}

/** Thrown by `notApplicable`, as the CrossGuard server does, so a policy stops there. */
class NotApplicable extends Error {}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

function options(parentUrn?: string): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(parentUrn ? { parent: parentUrn } : {}),
  };
}

// Same test as the CrossGuard server: a resource class's registered Pulumi type token.
const typeOf = (resourceClass: unknown) => (resourceClass as { __pulumiType?: string } | undefined)?.__pulumiType;

/** The parent's type, from the child's URN (`...::<parent types$>type::name`), if the URN carries it. */
function parentTypeOf(urn: string): string | undefined {
  const chain = (urn.split("::")[2] ?? "").split("$");
  return chain.length > 1 ? chain[chain.length - 2] : undefined;
}

/** A rendered resource's parent: named by `parent`, disambiguated by the type its URN names (names repeat across types). */
function parentsOf(resources: RenderedResource[]): Map<RenderedResource, RenderedResource> {
  const result = new Map<RenderedResource, RenderedResource>();
  for (const r of resources) {
    if (r.parent === null) continue;
    const candidates = resources.filter((p) => p.name === r.parent && p !== r);
    const parent = candidates.find((p) => p.type === parentTypeOf(r.urn)) ?? candidates.find((p) => !p.custom) ?? candidates[0];
    if (parent) result.set(r, parent);
  }
  return result;
}

/** CrossGuard `validateResource` args for one rendered resource. */
export function resourceArgs(r: RenderedResource, getConfig: <T extends object>() => T, parentUrn?: string): ResourceValidationArgs {
  return {
    type: r.type,
    props: r.inputs,
    urn: r.urn,
    name: r.name,
    opts: options(parentUrn),
    stackTags: new Map(),
    isType: (cls) => typeOf(cls) === r.type,
    asType: (cls: unknown) => (typeOf(cls) === r.type ? (r.inputs as any) : undefined),
    getConfig,
    notApplicable,
  };
}

/** CrossGuard `validateStack` resources, with `parent` objects linked like the server links them. */
export function stackResources(resources: RenderedResource[]): PolicyResource[] {
  const parents = parentsOf(resources);
  const byRendered = new Map<RenderedResource, PolicyResource>();
  for (const r of resources) {
    byRendered.set(r, {
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: options(parents.get(r)?.urn),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => typeOf(cls) === r.type,
      asType: (cls: unknown) => (typeOf(cls) === r.type ? (r.inputs as any) : undefined),
    });
  }
  for (const [r, p] of parents) byRendered.get(r)!.parent = byRendered.get(p);
  return resources.map((r) => byRendered.get(r)!);
}

/**
 * A policy's effective level and options from a pack config in `--policy-pack-config` format:
 * `"<level>"` or `{ enforcementLevel?, ...options }`; like the server, options exclude the level.
 */
export function policyConfig(
  policy: { name: string; enforcementLevel?: EnforcementLevel },
  packConfig: PolicyPackConfig,
): { level: EnforcementLevel; options: object } {
  const c = packConfig[policy.name];
  const fallback = policy.enforcementLevel ?? "advisory";
  if (c === undefined) return { level: fallback, options: {} };
  if (typeof c === "string") return { level: c, options: {} };
  const { enforcementLevel, ...rest } = c;
  return { level: enforcementLevel ?? fallback, options: rest };
}

/** Runs `check`, treating `notApplicable` as "nothing to report", as the server does. */
async function unlessNotApplicable(check: () => unknown): Promise<void> {
  try {
    await check();
  } catch (e) {
    if (!(e instanceof NotApplicable)) throw e;
  }
}

/** Runs every enabled policy over the rendered resources (resource policies) and the whole set (stack policies). */
export async function runPolicies(policies: Policies, resources: RenderedResource[], packConfig: PolicyPackConfig = {}): Promise<Violation[]> {
  const violations: Violation[] = [];
  const parents = parentsOf(resources);
  for (const policy of policies) {
    const { level: configured, options } = policyConfig(policy, packConfig);
    if (configured === "disabled") continue;
    // The server reports a violation of a "remediate" policy (no remediation here) as mandatory.
    const level: EnforcementLevel = configured === "remediate" ? "mandatory" : configured;
    const getConfig = <T extends object>() => options as T;
    const report = (resource: string, message: string) => violations.push({ policy: policy.name, resource, message, level });

    if ("validateStack" in policy) {
      const args: StackValidationArgs = { resources: stackResources(resources), stackTags: new Map(), getConfig, notApplicable };
      const stack = resources.length > 0 ? stackOf(resources[0].urn) : "";
      await unlessNotApplicable(() => policy.validateStack(args, (message, urn) => report(urn ?? stack, message)));
      continue;
    }
    const validations = [policy.validateResource ?? []].flat();
    for (const r of resources) {
      const args = resourceArgs(r, getConfig, parents.get(r)?.urn);
      for (const validate of validations) {
        await unlessNotApplicable(() => validate(args, (message) => report(r.urn, message)));
      }
    }
  }
  return violations;
}
