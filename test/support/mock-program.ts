import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks, MockRunResult } from "../../render/mock-run";
import { RenderedResource } from "../../render/types";

/** Runs a program under the preview mocks and returns what it registered and exported. */
export function runProgram(
  program: () => Record<string, unknown>,
  options: { config?: Record<string, string>; secretKeys?: string[] } = {},
): Promise<MockRunResult> {
  return runUnderMocks({ stack: "test", project: "camunda-orchestrator", config: options.config ?? {}, secretKeys: options.secretKeys ?? [] }, program);
}

/** Resources of one Pulumi type. */
export function ofType(resources: RenderedResource[], type: string): RenderedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource of a type; fails when there are none or several. */
export function single(resources: RenderedResource[], type: string): RenderedResource {
  const found = ofType(resources, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  return found[0];
}

/** Reads a nested input by path, e.g. `spec.template.spec.containers.0.image`. */
export function at(resource: RenderedResource, path: string): any {
  return path.split(".").reduce<any>((value, key) => (value == null ? undefined : value[key]), resource.inputs);
}

/**
 * Whether the input at `path` was registered wrapped in Pulumi's secret marker, or inside a value that was:
 * what the engine encrypts in state. The redacted `inputs` cannot tell, since the render masks every Secret
 * payload whatever the component did.
 */
export function isSecretAt(resource: RenderedResource, path: string): boolean {
  let value: unknown = resource.rawInputs;
  for (const key of path.split(".")) {
    if (isSecretMarker(value)) return true;
    value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  }
  return isSecretMarker(value);
}

function isSecretMarker(value: unknown): boolean {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}
