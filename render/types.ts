import { OrchestratorSpec } from "../components/properties";
import { REPOSITORY_SECRET_KEYS, SECRET_SETTING_KEYS, StackSettings } from "../components/settings";

/** One resource the program registered, as the offline render records it. */
export interface RenderedResource {
  /** Pulumi type token, e.g. `kubernetes:core/v1:Secret` or `camunda-orchestrator:index:CamundaOrchestrator`. */
  type: string;
  /** Pulumi logical name. */
  name: string;
  /** URN as Pulumi would build it: `urn:pulumi:<stack>::<project>::<parent types$>type::<name>`. */
  urn: string;
  /** Logical name of the parent resource, or null for top-level resources. */
  parent: string | null;
  /** True for custom resources, false for component resources. */
  custom: boolean;
  /** Inputs with every secret value replaced by {@link REDACTED}. */
  inputs: Record<string, unknown>;
  /** URNs of the resources it waits for (`dependsOn`; a component stands for its children). */
  dependsOn?: string[];
  /** Earlier identities (`aliases` option): what keeps a renamed resource from being replaced. */
  aliases?: Array<{ name?: string; type?: string; parentUrn?: string; noParent?: boolean; urn?: string }>;
  /** The provider reference of a custom resource (`<provider urn>::<id>`). */
  provider?: string;
  /**
   * Inputs as registered, secret values still wrapped in Pulumi's secret marker: for tests that must see what
   * the component marked secret (the redacted `inputs` hide the difference). Never written to a file.
   */
  rawInputs?: Record<string, unknown>;
}

/** A Helm release registers as a Kubernetes-package resource but is not a Kubernetes API object. */
export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/** Whether a registration stands for a Kubernetes API object (custom resources included). */
export function isKubernetesObjectType(type: string, custom: boolean): boolean {
  return custom && type.startsWith("kubernetes:") && type !== HELM_RELEASE_TYPE;
}

/** What stands in for every secret value in rendered files. */
export const REDACTED = "[secret]";

export interface RenderOptions {
  /** Stack name; its config comes from `Pulumi.<stack>.yaml` in `projectDir`. */
  stack: string;
  /** Directory holding `Pulumi.yaml` and the stack files; default: the repository root. */
  projectDir?: string;
  /** OAM Application file that overrides the stack's `application` key. */
  appFile?: string;
  /** Config overrides; keys without a namespace belong to `camunda-orchestrator`. */
  config?: Record<string, string>;
  /** Secret config overrides, same key rules. */
  secrets?: Record<string, string>;
  /** Outputs of other stacks by stack name, answering StackReferences (e.g. a realtime platform's Kafka). */
  stackOutputs?: Record<string, Record<string, unknown>>;
}

export interface RenderResult {
  stack: string;
  resources: RenderedResource[];
  /** Stack outputs with secrets redacted. */
  outputs: Record<string, unknown>;
  /** What the program warned about (`pulumi.log.warn`), e.g. components it skipped. */
  warnings: string[];
  /** The stack's settings as the program parsed them, credentials left out. */
  settings: Omit<StackSettings, (typeof SECRET_SETTING_KEYS)[number] | (typeof REPOSITORY_SECRET_KEYS)[number]>;
  /** The orchestrators the program created, validated, defaults applied. */
  orchestrators: OrchestratorSpec[];
}
