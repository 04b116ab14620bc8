import { spawnSync } from "child_process";
import { parseAllDocuments } from "yaml";

/** kubectl to assemble kustomizations with: $KUBECTL, else the one on PATH (Debian: kubernetes-client). */
export function kubectlBinary(): string | undefined {
  const candidate = process.env.KUBECTL ?? "kubectl";
  const probe = spawnSync(candidate, ["version", "--client"], { encoding: "utf8" });
  return probe.status === 0 ? candidate : undefined;
}

export const KUBECTL_MISSING = "needs kubectl for `kubectl kustomize` (apt-get install kubernetes-client, or set KUBECTL); .ci/run installs it";

/** `kubectl kustomize <dir>`: the objects a GitOps tool would apply, in kustomize's order. Throws with kubectl's message. */
export function kustomizeBuild(kubectl: string, dir: string): Array<Record<string, unknown>> {
  const run = spawnSync(kubectl, ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr || run.stdout}`);
  return parseAllDocuments(run.stdout)
    .map((d) => d.toJS() as Record<string, unknown>)
    .filter((o) => o !== null);
}
