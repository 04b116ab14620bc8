import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { isKubernetesObjectType } from "./types";

/** Options of a registration the mocks do not receive, read off the monitor's request. */
export interface RegistrationOptions {
  /** URN of the parent as the mock monitor knows it. */
  parentUrn: string | null;
  /** URNs (as the mock monitor knows them) of the resources it depends on (`dependsOn`, expanded to children). */
  dependencies: string[];
  /** Aliases: earlier names or parents this resource had, as `{ name?, type?, parentUrn?, noParent?, urn? }`. */
  aliases: Array<{ name?: string; type?: string; parentUrn?: string; noParent?: boolean; urn?: string }>;
}

/** One registration as the mock monitor saw it, secrets still marked. */
export interface Registration extends RegistrationOptions {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  /** Reference of the provider managing it (`<provider urn>::<id>`), for custom resources. */
  provider?: string;
}

/** Deterministic stand-in for a provider-generated suffix, so renders are stable. */
function suffix(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

/**
 * Mocks that answer as a preview would: inputs come back as outputs, Kubernetes objects without a
 * name get one the way the Kubernetes provider auto-names (`<logical name>-<8 chars>`), ids are
 * stable, generated passwords are placeholders, and stack references answer from given outputs.
 */
export class PreviewMocks implements pulumi.runtime.Mocks {
  readonly registrations: Registration[] = [];
  /** Placeholder values handed out for generated secrets; they must never appear in plain text. */
  readonly generatedSecrets: string[] = [];
  /** Parent, dependencies and aliases of each registration, by type and name, captured from the monitor's requests. */
  readonly options = new Map<string, RegistrationOptions>();
  /** Stacks the program referenced whose outputs were not given. */
  readonly unansweredStacks: string[] = [];

  constructor(
    private readonly stack: string,
    private readonly stackOutputs: Record<string, Record<string, unknown>>,
  ) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const state: Record<string, unknown> = { ...args.inputs };
    // What the render records: the inputs, plus the name a preview shows for auto-named objects.
    const recorded: Record<string, unknown> = { ...args.inputs };
    let id = `${args.name}-id`;
    if (args.type === "pulumi:pulumi:StackReference") {
      const name = String(args.inputs.name);
      if (this.stackOutputs[name] === undefined) this.unansweredStacks.push(name);
      state.outputs = this.stackOutputs[name] ?? {};
      state.secretOutputNames = [];
      id = name;
    } else if (args.type === "random:index/randomPassword:RandomPassword") {
      const placeholder = `render-generated-${suffix(args.name, 16)}`;
      this.generatedSecrets.push(placeholder);
      state.result = placeholder;
    } else if (isKubernetesObjectType(args.type, args.custom ?? false)) {
      const metadata = { ...((args.inputs.metadata as Record<string, unknown> | undefined) ?? {}) };
      if (metadata.name === undefined) metadata.name = `${args.name}-${suffix(`${this.stack}/${args.type}/${args.name}`, 8)}`;
      state.metadata = metadata;
      recorded.metadata = metadata;
      id = metadata.namespace ? `${metadata.namespace}/${metadata.name}` : String(metadata.name);
    }
    const options = this.options.get(`${args.type}::${args.name}`) ?? { parentUrn: null, dependencies: [], aliases: [] };
    this.registrations.push({
      type: args.type,
      name: args.name,
      ...options,
      custom: args.custom ?? false,
      inputs: recorded,
      ...(args.provider ? { provider: args.provider } : {}),
    });
    return { id: args.custom ? id : undefined, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    return args.inputs;
  }
}
