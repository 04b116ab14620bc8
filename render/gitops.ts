// The render's manifests as a tree a GitOps tool (Flux, Argo CD) or `kubectl apply -k` applies as is:
// a kustomization with the Namespace first, one folder per orchestrator, the Camunda chart as a Flux
// HelmRelease or an Argo CD Application, and no secret values: each Secret becomes an ExternalSecret
// or an entry in the list of Secrets the operator creates.
import { stringify } from "yaml";
import { StackSettings } from "../components/settings";
import { HELM_RELEASE_TYPE, isKubernetesObjectType, RenderedResource, RenderResult } from "./types";

export const ORCHESTRATOR_TYPE = "camunda-orchestrator:index:CamundaOrchestrator";

/** API versions the tree uses, each checked against the upstream CRD the test suite validates with. */
export const GITOPS_API = {
  helmRelease: "helm.toolkit.fluxcd.io/v2",
  helmRepository: "source.toolkit.fluxcd.io/v1",
  fluxKustomization: "kustomize.toolkit.fluxcd.io/v1",
  gitRepository: "source.toolkit.fluxcd.io/v1",
  argoApplication: "argoproj.io/v1alpha1",
  externalSecret: "external-secrets.io/v1",
  kustomization: "kustomize.config.k8s.io/v1beta1",
} as const;

/** Settings that shape the tree. */
export type GitopsSettings = Pick<StackSettings, "gitopsTool" | "gitopsSecrets" | "externalSecretStore" | "externalSecretStoreKind" | "argocdNamespace">;

/** One Secret the stack needs, with what each key must hold: the operator supplies the values. */
export interface SecretToProvide {
  orchestrator: string | null;
  namespace: string;
  name: string;
  keys: Array<{ key: string; holds: string }>;
  /** Where the ExternalSecret reads it: one remote secret whose properties are the keys. */
  remoteKey: string;
}

/** A resource `pulumi up` creates outside Kubernetes: GitOps cannot apply it. */
export interface OutsideKubernetes {
  orchestrator: string | null;
  type: string;
  name: string;
}

export interface GitopsTree {
  /** Path under `manifests/` → file content. */
  files: Record<string, string>;
  secrets: SecretToProvide[];
  outsideKubernetes: OutsideKubernetes[];
  /** Orchestrator name → its folder under `manifests/`. */
  orchestratorFolders: Record<string, string>;
}

type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

/** What each key of the Secrets the orchestrators use must hold (naming.ts SECRET_KEYS). */
const KEY_MEANINGS: Record<string, string> = {
  ZEEBE_CLIENT_ID: "the Camunda 8 SaaS client id",
  ZEEBE_CLIENT_SECRET: "the Camunda 8 SaaS client secret",
  DATABASE_URL: "postgresql:// URL of the saga-log role and database, password included (for the in-cluster PostgreSQL: the password of POSTGRES_PASSWORD)",
  REDIS_URL: "redis:// or rediss:// URL, password included (for the in-cluster Redis: the password of REDIS_PASSWORD)",
  REDIS_PASSWORD: "the password the in-cluster Redis requires",
  POSTGRES_PASSWORD: "the password of the in-cluster PostgreSQL's worker role",
  KAFKA_SASL_USERNAME: "the Kafka SASL user name",
  KAFKA_SASL_PASSWORD: "the Kafka SASL password",
};

/**
 * Pulumi types that never become objects of their own: plumbing, values the GitOps store supplies, and
 * the scaffolded repositories (they hold the tree; they are not part of the deployment).
 */
function isPlumbing(type: string): boolean {
  return type.startsWith("pulumi:") || type.startsWith("github:") || type === "random:index/randomPassword:RandomPassword";
}

/** Kubernetes object as `kubectl apply` takes it: apiVersion, kind, metadata first. */
export function manifestOf(resource: RenderedResource): Manifest {
  const { apiVersion, kind, metadata, ...rest } = resource.inputs as Manifest;
  return { apiVersion, kind, metadata, ...rest } as Manifest;
}

/** `<kind>[.<group>]_<name>.yaml`, with the namespace in front for objects outside an orchestrator folder. */
export function manifestFileName(manifest: Manifest, withNamespace = true): string {
  const group = manifest.apiVersion.split("/").slice(0, -1).join("/").replace(/\//g, "_");
  const parts = [`${manifest.kind.toLowerCase()}${group ? "." + group : ""}`, manifest.metadata.name];
  if (withNamespace) parts.unshift(manifest.metadata.namespace ?? "cluster");
  return parts.join("_") + ".yaml";
}

/** The orchestrator (component name) a resource belongs to, or null for stack-level objects. */
export function orchestratorOf(result: Pick<RenderResult, "resources">): (resource: RenderedResource) => string | null {
  const byName = new Map(result.resources.map((r) => [r.name, r]));
  return (resource) => {
    let current: RenderedResource | undefined = resource;
    while (current && current.type !== ORCHESTRATOR_TYPE) current = current.parent ? byName.get(current.parent) : undefined;
    return current?.name ?? null;
  };
}

/** Apply order inside a kustomization; kustomize and Flux sort again, `kubectl apply -f` does not. */
const KIND_ORDER = [
  "Namespace",
  "ServiceAccount",
  "ExternalSecret",
  "Secret",
  "ConfigMap",
  "ClusterRole",
  "Role",
  "ClusterRoleBinding",
  "RoleBinding",
  "Service",
  "StatefulSet",
  "Deployment",
  "HelmRepository",
  "HelmRelease",
  "Application",
];
const rank = (m: Manifest) => {
  const i = KIND_ORDER.indexOf(m.kind);
  return i < 0 ? KIND_ORDER.length : i;
};

const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });

/**
 * Keys in one order whatever order the inputs came in (the offline render's mocks keep the program's,
 * a real `pulumi up` resolves them sorted): apiVersion, kind, metadata, then the rest alphabetically.
 * The render and the GitHub repository then write the same bytes.
 */
export function canonical(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, false));
  if (value === null || typeof value !== "object") return value;
  const first = top ? ["apiVersion", "kind", "metadata"] : [];
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  const ordered = [...first.filter((k) => keys.includes(k)), ...keys.filter((k) => !first.includes(k)).sort()];
  return Object.fromEntries(ordered.map((k) => [k, canonical((value as Record<string, unknown>)[k], false)]));
}

/** Builds the GitOps tree of a render: pure, from the registered resources and the stack settings. */
export function gitopsTree(result: Pick<RenderResult, "stack" | "resources">, settings: GitopsSettings): GitopsTree {
  const ownerOf = orchestratorOf(result);
  const perFolder = new Map<string, Manifest[]>();
  const secrets: SecretToProvide[] = [];
  const outsideKubernetes: OutsideKubernetes[] = [];
  const orchestratorFolders: Record<string, string> = {};
  const add = (folder: string, manifest: Manifest) => perFolder.set(folder, [...(perFolder.get(folder) ?? []), manifest]);

  for (const resource of result.resources) {
    if (!resource.custom) continue;
    const owner = ownerOf(resource);
    const folder = owner ?? "";
    if (owner) orchestratorFolders[owner] = owner;
    if (resource.type === HELM_RELEASE_TYPE) {
      for (const manifest of helmReleaseManifests(resource, settings)) add(folder, manifest);
    } else if (isKubernetesObjectType(resource.type, resource.custom)) {
      const manifest = manifestOf(resource);
      if (manifest.kind === "Secret" && manifest.apiVersion === "v1") {
        const secret = secretToProvide(result.stack, owner, manifest);
        secrets.push(secret);
        if (settings.gitopsSecrets === "external-secrets") add(folder, externalSecret(manifest, secret, settings));
      } else {
        add(folder, manifest);
      }
    } else if (!isPlumbing(resource.type)) {
      outsideKubernetes.push({ orchestrator: owner, type: resource.type, name: resource.name });
    }
  }

  const files: Record<string, string> = {};
  const rootResources: string[] = [];
  const sorted = (manifests: Manifest[]) => [...manifests].sort((a, b) => rank(a) - rank(b) || a.metadata.name.localeCompare(b.metadata.name));
  for (const manifest of sorted(perFolder.get("") ?? [])) {
    const file = manifestFileName(manifest);
    files[file] = yaml(canonical(manifest));
    rootResources.push(file);
  }
  for (const owner of Object.keys(orchestratorFolders).sort()) {
    const names: string[] = [];
    for (const manifest of sorted(perFolder.get(owner) ?? [])) {
      const file = manifestFileName(manifest);
      files[`${owner}/${file}`] = yaml(canonical(manifest));
      names.push(file);
    }
    files[`${owner}/kustomization.yaml`] = kustomization(names, `orchestrator ${owner}`);
    rootResources.push(owner);
  }
  files["kustomization.yaml"] = kustomization(rootResources, `stack ${result.stack}`);
  secrets.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  return { files, secrets, outsideKubernetes, orchestratorFolders };
}

/**
 * A kustomization over files and folders. Folders are listed under `bases`, which every kustomize
 * since the one in kubectl 1.14 reads (kubectl 1.20's kustomize 2.0 takes only files in `resources`);
 * kustomize 5 reads it too, with a deprecation note.
 */
export function kustomization(entries: readonly string[], what: string): string {
  const files = entries.filter((e) => e.endsWith(".yaml"));
  const folders = entries.filter((e) => !e.endsWith(".yaml"));
  const body: Record<string, unknown> = { apiVersion: GITOPS_API.kustomization, kind: "Kustomization", resources: files };
  if (folders.length > 0) body.bases = folders;
  return `# ${what}: generated by camunda-orchestrator's render; apply with \`kubectl apply -k\` or point Flux / Argo CD at this folder.\n${yaml(body)}`;
}

function secretToProvide(stack: string, orchestrator: string | null, manifest: Manifest): SecretToProvide {
  const data = { ...(manifest.stringData as Record<string, unknown> | undefined), ...(manifest.data as Record<string, unknown> | undefined) };
  const namespace = manifest.metadata.namespace ?? "default";
  return {
    orchestrator,
    namespace,
    name: manifest.metadata.name,
    keys: Object.keys(data)
      .sort()
      .map((key) => ({ key, holds: KEY_MEANINGS[key] ?? "see the component that uses it" })),
    remoteKey: `${stack}/${namespace}/${manifest.metadata.name}`,
  };
}

/** The Secret, produced by External Secrets Operator from one remote secret of the operator's store. */
function externalSecret(manifest: Manifest, secret: SecretToProvide, settings: GitopsSettings): Manifest {
  return {
    apiVersion: GITOPS_API.externalSecret,
    kind: "ExternalSecret",
    metadata: { name: manifest.metadata.name, namespace: manifest.metadata.namespace, labels: manifest.metadata.labels },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: settings.externalSecretStoreKind, name: settings.externalSecretStore },
      target: {
        name: manifest.metadata.name,
        creationPolicy: "Owner",
        template: { type: (manifest.type as string | undefined) ?? "Opaque", metadata: { labels: manifest.metadata.labels ?? {} } },
      },
      data: secret.keys.map(({ key }) => ({ secretKey: key, remoteRef: { key: secret.remoteKey, property: key } })),
    },
  };
}

interface HelmReleaseInputs {
  name: string;
  namespace: string;
  chart: string;
  version: string;
  repositoryOpts?: { repo?: string };
  values?: Record<string, unknown>;
  atomic?: boolean;
  timeout?: number;
}

/** A Pulumi Helm release as the GitOps tool's own objects: Flux HelmRepository + HelmRelease, or an Argo CD Application. */
function helmReleaseManifests(resource: RenderedResource, settings: GitopsSettings): Manifest[] {
  const release = resource.inputs as unknown as HelmReleaseInputs;
  const repo = release.repositoryOpts?.repo;
  if (!repo) throw new Error(`Helm release ${resource.name}: no chart repository; the GitOps tree needs one`);
  const timeout = `${Math.ceil((release.timeout ?? 300) / 60)}m`;
  const labels = { "app.kubernetes.io/part-of": "camunda-orchestrator", "app.kubernetes.io/managed-by": "camunda-orchestrator-render" };
  if (settings.gitopsTool === "argocd") {
    return [
      {
        apiVersion: GITOPS_API.argoApplication,
        kind: "Application",
        // Argo CD watches Applications in its own namespace only (unless "apps in any namespace" is set up).
        metadata: { name: `${release.namespace}-${release.name}`, namespace: settings.argocdNamespace, labels },
        spec: {
          project: "default",
          source: {
            repoURL: repo,
            chart: release.chart,
            targetRevision: release.version,
            helm: { releaseName: release.name, valuesObject: release.values ?? {} },
          },
          destination: { server: "https://kubernetes.default.svc", namespace: release.namespace },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            retry: { limit: 3, backoff: { duration: "30s", factor: 2, maxDuration: "10m" } },
          },
        },
      },
    ];
  }
  // Pulumi's `atomic` (roll back a failed install or upgrade) is Flux's remediation.
  const remediation = release.atomic ? { retries: 3 } : undefined;
  return [
    {
      apiVersion: GITOPS_API.helmRepository,
      kind: "HelmRepository",
      metadata: { name: release.name, namespace: release.namespace, labels },
      spec: { url: repo, interval: "1h" },
    },
    {
      apiVersion: GITOPS_API.helmRelease,
      kind: "HelmRelease",
      metadata: { name: release.name, namespace: release.namespace, labels },
      spec: {
        interval: "10m",
        releaseName: release.name,
        timeout,
        chart: { spec: { chart: release.chart, version: release.version, sourceRef: { kind: "HelmRepository", name: release.name } } },
        install: { remediation },
        upgrade: { remediation: remediation && { ...remediation, remediateLastFailure: true } },
        values: release.values ?? {},
      },
    },
  ];
}

/** SECRETS.md: each Secret, its keys and what they hold, and how to provide it in the chosen mode. */
export function secretsDocument(tree: GitopsTree, settings: GitopsSettings): string {
  const lines = ["# Secrets this stack needs", ""];
  if (tree.secrets.length === 0) return [...lines, "None.", ""].join("\n");
  if (settings.gitopsSecrets === "external-secrets") {
    lines.push(
      `Each Secret below is an \`ExternalSecret\` (${GITOPS_API.externalSecret}) in the tree, read from the ${settings.externalSecretStoreKind}`,
      `\`${settings.externalSecretStore}\`, which you configure for your secret manager. Store one secret per entry, under the remote key`,
      "shown, with one property per key. Until it exists, External Secrets reports the ExternalSecret as not synced and the",
      "workload waits for its Secret: nothing runs with a made-up value.",
      "",
    );
  } else {
    lines.push(
      "The tree holds no Secrets: create each one below in the cluster before the workloads that use it start",
      "(e.g. with `kubectl create secret generic`, or your own sealed-secrets / SOPS flow).",
      "",
    );
  }
  for (const secret of tree.secrets) {
    lines.push(`## ${secret.namespace}/${secret.name}${secret.orchestrator ? ` (orchestrator ${secret.orchestrator})` : ""}`, "");
    if (settings.gitopsSecrets === "external-secrets") lines.push(`remote key: \`${secret.remoteKey}\``, "");
    for (const { key, holds } of secret.keys) lines.push(`- \`${key}\`: ${holds}`);
    if (settings.gitopsSecrets === "manual") {
      lines.push("", "```bash", `kubectl create secret generic ${secret.name} --namespace ${secret.namespace} \\`);
      lines.push(secret.keys.map(({ key }) => `  --from-literal=${key}="$${key}"`).join(" \\\n"), "```");
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** What to do after the render, for the console and NEXT-STEPS.md. */
export function nextSteps(tree: GitopsTree, settings: GitopsSettings, outDir: string): string[] {
  const steps: string[] = [];
  const controllers = settings.gitopsTool === "flux" ? "Flux (source-controller, helm-controller)" : "Argo CD";
  steps.push(
    `Cluster prerequisites: Knative Serving, Istio, ${controllers}${settings.gitopsSecrets === "external-secrets" ? ", External Secrets Operator" : ""}, and the operators of the custom resources in the tree (Strimzi, Prometheus Operator).`,
  );
  if (tree.secrets.length > 0) {
    steps.push(
      settings.gitopsSecrets === "external-secrets"
        ? `Provide ${tree.secrets.length} secret(s) in the ${settings.externalSecretStoreKind} "${settings.externalSecretStore}": see ${outDir}/SECRETS.md.`
        : `Create ${tree.secrets.length} Secret(s) by hand before applying: see ${outDir}/SECRETS.md.`,
    );
  }
  if (tree.outsideKubernetes.length > 0) {
    const kinds = [...new Set(tree.outsideKubernetes.map((r) => r.type))].join(", ");
    steps.push(
      `Not in the tree (outside Kubernetes, created only by \`pulumi up\`): ${tree.outsideKubernetes.length} resource(s) of type ${kinds}; create them yourself when you deploy with GitOps.`,
    );
  }
  steps.push(
    `Apply: commit ${outDir}/manifests to the repository your GitOps tool watches (it is a kustomization), or run \`kubectl apply -k ${outDir}/manifests\`.`,
  );
  return steps;
}
