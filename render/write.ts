import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { HELM_RELEASE_TYPE, isKubernetesObjectType, RenderedResource, RenderResult } from "./types";

/** Pulumi types that stand for Kubernetes API objects (a Helm release is not one; it gets its own file). */
export function isKubernetesObject(resource: RenderedResource): boolean {
  return isKubernetesObjectType(resource.type, resource.custom);
}

/** Kubernetes object as `kubectl apply` takes it: apiVersion, kind, metadata first. */
export function manifestOf(resource: RenderedResource): Record<string, unknown> {
  const { apiVersion, kind, metadata, ...rest } = resource.inputs as Record<string, unknown>;
  return { apiVersion, kind, metadata, ...rest };
}

function manifestFileName(manifest: Record<string, unknown>): string {
  const metadata = manifest.metadata as { name: string; namespace?: string };
  const group = String(manifest.apiVersion).split("/").slice(0, -1).join("/").replace(/\//g, "_");
  return [metadata.namespace ?? "cluster", `${String(manifest.kind).toLowerCase()}${group ? "." + group : ""}`, metadata.name].join("_") + ".yaml";
}

/**
 * Writes `resources.json`, `outputs.json`, one YAML file per Kubernetes object under `manifests/`,
 * and one file per Helm release under `helm/`, into an empty or new directory (the CLI writes through
 * `out-dir.ts`, which never deletes what the render did not write).
 */
export function writeRender(result: RenderResult, outDir: string): void {
  fs.mkdirSync(path.join(outDir, "manifests"), { recursive: true });
  fs.writeFileSync(path.join(outDir, "resources.json"), JSON.stringify(result.resources.map(({ type, name, parent, inputs }) => ({ type, name, parent, inputs })), null, 2) + "\n");
  fs.writeFileSync(path.join(outDir, "outputs.json"), JSON.stringify(result.outputs, null, 2) + "\n");
  for (const resource of result.resources) {
    if (isKubernetesObject(resource)) {
      const manifest = manifestOf(resource);
      const header = manifest.kind === "Secret" && manifest.apiVersion === "v1" ? SECRET_HEADER : "";
      fs.writeFileSync(path.join(outDir, "manifests", manifestFileName(manifest)), header + stringify(manifest, { lineWidth: 0 }));
    } else if (resource.type === HELM_RELEASE_TYPE) {
      writeHelmValues(resource, path.join(outDir, "helm"));
    }
  }
}

const SECRET_HEADER = "# Values redacted: `pulumi up` creates this Secret; in GitOps, supply it through your secret manager.\n";

/** A Helm release is not a Kubernetes object: write its values file, with the install command on top. */
function writeHelmValues(resource: RenderedResource, dir: string): void {
  const { name, namespace, chart, version, repositoryOpts, values } = resource.inputs as {
    name: string; namespace: string; chart: string; version: string; repositoryOpts?: { repo?: string }; values: unknown;
  };
  fs.mkdirSync(dir, { recursive: true });
  const file = `${name}.values.yaml`;
  const header = `# helm upgrade --install ${name} ${chart} --repo ${repositoryOpts?.repo} --version ${version} --namespace ${namespace} --values ${file}\n`;
  fs.writeFileSync(path.join(dir, file), header + stringify(values, { lineWidth: 0 }));
}

/** Objects per kind and per orchestrator, for the console. */
export function summarize(result: RenderResult): string {
  const byName = new Map(result.resources.map((r) => [r.name, r]));
  const orchestratorOf = (resource: RenderedResource): string => {
    let current: RenderedResource | undefined = resource;
    while (current && current.type !== "camunda-orchestrator:index:CamundaOrchestrator") current = current.parent ? byName.get(current.parent) : undefined;
    return current?.name ?? "(stack)";
  };
  const counts = new Map<string, Map<string, number>>();
  for (const resource of result.resources.filter((r) => r.custom)) {
    const owner = orchestratorOf(resource);
    const kind = kindLabel(resource);
    const perKind = counts.get(owner) ?? new Map<string, number>();
    perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    counts.set(owner, perKind);
  }
  const lines = [`stack ${result.stack}: ${result.resources.length} resources (${result.resources.filter((r) => !r.custom).length} components)`];
  for (const [owner, perKind] of counts) {
    lines.push(`  ${owner}: ${[...perKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
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
