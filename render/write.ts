import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { GitopsTree, gitopsTree, nextSteps, orchestratorOf, secretsDocument } from "./gitops";
import { HELM_RELEASE_TYPE, isKubernetesObjectType, RenderedResource, RenderResult } from "./types";

/** Pulumi types that stand for Kubernetes API objects (a Helm release is not one; it gets its own file). */
export function isKubernetesObject(resource: RenderedResource): boolean {
  return isKubernetesObjectType(resource.type, resource.custom);
}

/**
 * Writes `resources.json`, `outputs.json`, the GitOps tree under `manifests/` (a kustomization with
 * one folder per orchestrator, see gitops.ts), `SECRETS.md`, `NEXT-STEPS.md`, and one values file per
 * Helm release under `helm/`, into an empty or new directory (the CLI writes through `out-dir.ts`, which
 * never deletes what the render did not write; the scaffolded repositories are written beside, by
 * repositories.ts). Returns the next steps for the console, naming the folder `shownAs`.
 */
export function writeRender(result: RenderResult, outDir: string, shownAs: string = outDir): string[] {
  fs.mkdirSync(path.join(outDir, "manifests"), { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "resources.json"),
    JSON.stringify(
      result.resources.map(({ type, name, parent, inputs }) => ({ type, name, parent, inputs })),
      null,
      2,
    ) + "\n",
  );
  fs.writeFileSync(path.join(outDir, "outputs.json"), JSON.stringify(result.outputs, null, 2) + "\n");
  const tree = gitopsTree(result, result.settings);
  for (const [file, content] of Object.entries(tree.files)) {
    fs.mkdirSync(path.dirname(path.join(outDir, "manifests", file)), { recursive: true });
    fs.writeFileSync(path.join(outDir, "manifests", file), content);
  }
  for (const resource of result.resources) if (resource.type === HELM_RELEASE_TYPE) writeHelmValues(resource, path.join(outDir, "helm"));
  fs.writeFileSync(path.join(outDir, "SECRETS.md"), secretsDocument(tree, result.settings));
  fs.writeFileSync(path.join(outDir, "NEXT-STEPS.md"), nextStepsDocument(tree, nextSteps(tree, result.settings, ".")));
  return nextSteps(tree, result.settings, shownAs);
}

/** Where the scaffolded repositories go, beside the render's own files. */
export const REPOSITORIES_DIR = "repositories";

function nextStepsDocument(tree: GitopsTree, steps: string[]): string {
  const lines = ["# Next steps", "", ...steps.map((s) => `- ${s}`), ""];
  if (tree.outsideKubernetes.length > 0) {
    lines.push("## Created outside Kubernetes (not in manifests/)", "", "| orchestrator | type | Pulumi name |", "|---|---|---|");
    for (const r of tree.outsideKubernetes) lines.push(`| ${r.orchestrator ?? "(stack)"} | \`${r.type}\` | ${r.name} |`);
    lines.push("");
  }
  return lines.join("\n");
}

/** A Helm release is not a Kubernetes object: write its values file, with the install command on top. */
function writeHelmValues(resource: RenderedResource, dir: string): void {
  const { name, namespace, chart, version, repositoryOpts, values } = resource.inputs as {
    name: string;
    namespace: string;
    chart: string;
    version: string;
    repositoryOpts?: { repo?: string };
    values: unknown;
  };
  fs.mkdirSync(dir, { recursive: true });
  const file = `${name}.values.yaml`;
  const header = `# For Helm users; the GitOps tree holds the same values in manifests/. helm upgrade --install ${name} ${chart} --repo ${repositoryOpts?.repo} --version ${version} --namespace ${namespace} --values ${file}\n`;
  fs.writeFileSync(path.join(dir, file), header + stringify(values, { lineWidth: 0 }));
}

/** Objects per kind and per orchestrator, for the console. */
export function summarize(result: RenderResult): string {
  const ownerOf = orchestratorOf(result);
  const counts = new Map<string, Map<string, number>>();
  for (const resource of result.resources.filter((r) => r.custom)) {
    const owner = ownerOf(resource) ?? "(stack)";
    const kind = kindLabel(resource);
    const perKind = counts.get(owner) ?? new Map<string, number>();
    perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    counts.set(owner, perKind);
  }
  const lines = [`stack ${result.stack}: ${result.resources.length} resources (${result.resources.filter((r) => !r.custom).length} components)`];
  for (const [owner, perKind] of counts) {
    lines.push(
      `  ${owner}: ${[...perKind]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, n]) => `${kind} ${n}`)
        .join(", ")}`,
    );
  }
  return lines.join("\n");
}

/** `Secret`, `Service.serving.knative.dev`, `helm Release`, `kafka Topic`: short and unambiguous. */
function kindLabel(resource: RenderedResource): string {
  const [pkg, group, kind] = resource.type.split(":");
  if (pkg === "pulumi" && group === "providers") return `provider ${kind}`;
  if (!isKubernetesObject(resource)) return `${pkg === "kubernetes" ? "helm" : pkg} ${kind}`;
  const apiGroup = group.split("/").slice(0, -1).join("/");
  return apiGroup && apiGroup !== "core" ? `${kind}.${apiGroup}` : kind;
}
