// The GitOps repository of one orchestrator: its part of the render's GitOps tree as a kustomize base,
// one overlay per stack, a discovery configuration, and the Flux or Argo CD object that syncs it.
import { stringify } from "yaml";
import { GITOPS_API, kustomization, SecretToProvide } from "../render/gitops";
import { DISCOVERY_LABEL, ScaffoldModel } from "./model";
import { FileMap, fill, readTemplate } from "./template";

export interface GitopsRepositoryInput {
  model: ScaffoldModel;
  stack: string;
  /** The orchestrator's folder of the render's tree (file → YAML), its kustomization.yaml included. */
  orchestratorFiles: Record<string, string>;
  /** The Namespace manifest when the stack creates it: it goes into the stack's overlay. */
  namespaceManifest?: string;
  secrets: SecretToProvide[];
  gitopsTool: "flux" | "argocd";
  argocdNamespace: string;
  /** Clone URL of this GitOps repository; without it no sync object is written (the README says why). */
  repositoryUrl?: string;
  /** Private repositories need credentials in the GitOps tool. */
  privateRepository: boolean;
  /** Namespaces the worker discovers services in (empty: its own). */
  discoveryNamespaces: readonly string[];
}

const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });

/** The discovery configuration: which services the orchestrator calls, and the label each must carry. */
export function discoveryConfigMap(input: GitopsRepositoryInput): Record<string, unknown> {
  const { model } = input;
  const services = model.services.map((name) => ({
    name,
    taskTypes: model.workers.filter((w) => w.kind !== "publish" && w.service === name).map((w) => w.type),
    label: `${DISCOVERY_LABEL.key}=${DISCOVERY_LABEL.value}`,
    endpoints: { process: "/api/process", compensate: "/api/compensate" },
  }));
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: `${model.orchestrator}-discovery`,
      namespace: model.namespace,
      labels: {
        "app.kubernetes.io/instance": model.orchestrator,
        "app.kubernetes.io/component": "discovery",
        "app.kubernetes.io/part-of": "camunda-orchestrator",
      },
    },
    data: {
      "services.yaml": yaml({
        label: { [DISCOVERY_LABEL.key]: DISCOVERY_LABEL.value },
        namespaces: input.discoveryNamespaces.length > 0 ? [...input.discoveryNamespaces] : [model.namespace],
        services,
      }),
    },
  };
}

/** The object that makes the GitOps tool apply overlays/<stack>: Flux GitRepository + Kustomization, or an Argo CD Application. */
export function syncManifests(input: GitopsRepositoryInput, url: string): Array<Record<string, unknown>> {
  const { model, stack } = input;
  const name = `${model.gitopsRepository}-${stack}`.slice(0, 63).replace(/-+$/, "");
  const labels = { "app.kubernetes.io/part-of": "camunda-orchestrator" };
  if (input.gitopsTool === "argocd") {
    return [
      {
        apiVersion: GITOPS_API.argoApplication,
        kind: "Application",
        metadata: { name, namespace: input.argocdNamespace, labels },
        spec: {
          project: "default",
          source: { repoURL: url, targetRevision: "main", path: `overlays/${stack}` },
          destination: { server: "https://kubernetes.default.svc", namespace: model.namespace },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    ];
  }
  return [
    {
      apiVersion: GITOPS_API.gitRepository,
      kind: "GitRepository",
      metadata: { name: model.gitopsRepository, namespace: "flux-system", labels },
      spec: {
        interval: "1m",
        url,
        ref: { branch: "main" },
        ...(input.privateRepository ? { secretRef: { name: `${model.gitopsRepository}-git` } } : {}),
      },
    },
    {
      apiVersion: GITOPS_API.fluxKustomization,
      kind: "Kustomization",
      metadata: { name, namespace: "flux-system", labels },
      spec: { interval: "10m", path: `./overlays/${stack}`, prune: true, sourceRef: { kind: "GitRepository", name: model.gitopsRepository } },
    },
  ];
}

function secretsSection(secrets: SecretToProvide[]): string {
  if (secrets.length === 0) return "None.";
  return secrets
    .map((s) => [`- \`${s.namespace}/${s.name}\` (remote key \`${s.remoteKey}\`):`, ...s.keys.map((k) => `  - \`${k.key}\`: ${k.holds}`)].join("\n"))
    .join("\n");
}

export function gitopsRepository(input: GitopsRepositoryInput): FileMap {
  const { model, stack } = input;
  const files: FileMap = {};
  const baseFiles = Object.keys(input.orchestratorFiles)
    .filter((f) => f !== "kustomization.yaml")
    .sort();
  for (const file of baseFiles) files[`base/${file}`] = input.orchestratorFiles[file];
  files["base/discovery-config.yaml"] = yaml(discoveryConfigMap(input));
  files["base/kustomization.yaml"] = kustomization([...baseFiles, "discovery-config.yaml"], `orchestrator ${model.orchestrator}, rendered for stack ${stack}`);

  const overlayEntries = ["../../base"];
  if (input.namespaceManifest) {
    files[`overlays/${stack}/namespace.yaml`] = input.namespaceManifest;
    overlayEntries.unshift("namespace.yaml");
  }
  files[`overlays/${stack}/kustomization.yaml`] =
    kustomization(overlayEntries, `stack ${stack}`) +
    [
      "# Stack-specific changes go here, e.g. run the image this team's source repository builds:",
      "# images:",
      "#   - name: <the worker image in base/>",
      `#     newName: ghcr.io/<owner>/${model.repository}`,
      "#     newTag: <a pushed tag or digest>",
      "",
    ].join("\n");

  const url = input.repositoryUrl;
  if (url)
    files[`clusters/${stack}/sync.yaml`] = syncManifests(input, url)
      .map((m) => yaml(m))
      .join("---\n");
  const tool = input.gitopsTool === "flux" ? "Flux" : "Argo CD";
  files["README.md"] = fill(
    readTemplate("gitops/README.md"),
    {
      gitopsRepository: model.gitopsRepository,
      repository: model.repository,
      orchestrator: model.orchestrator,
      stack,
      tool,
      namespace: model.namespace,
      label: `${DISCOVERY_LABEL.key}: "${DISCOVERY_LABEL.value}"`,
      services: model.services.map((s) => `\`${s}\``).join(", ") || "none",
      bootstrap: url
        ? `kubectl apply -f clusters/${stack}/sync.yaml${
            input.privateRepository
              ? input.gitopsTool === "flux"
                ? `\n# private repository: first give Flux read access, e.g.\n# flux create secret git ${model.gitopsRepository}-git --url=${url} --username=git --password=<read token>`
                : "\n# private repository: first add it to Argo CD with read credentials (argocd repo add ...)"
              : ""
          }`
        : `# no clone URL was configured (repositoryBaseUrl or repositoryOwner), so clusters/${stack}/sync.yaml was not written;\n# set one and render again, or point ${tool} at overlays/${stack} yourself`,
      secrets: secretsSection(input.secrets),
    },
    "gitops/README.md",
  );
  return files;
}
