// Both repositories of every orchestrator that asks for them, from what the stack program registered:
// the source repository from the orchestrator's properties and its deployed BPMN models, the GitOps
// repository from the orchestrator's part of the render's GitOps tree. Pure.
import { OrchestratorSpec } from "../components/properties";
import { StackSettings } from "../components/settings";
import { gitopsTree, GitopsTree, orchestratorOf } from "../render/gitops";
import { RenderedResource } from "../render/types";
import { gitopsRepository } from "./gitops";
import { sourceRepository } from "./index";
import { ScaffoldError, ScaffoldModel, scaffoldModel } from "./model";
import { FileMap } from "./template";

type RepositorySettings = Pick<
  StackSettings,
  | "namespace"
  | "gitopsTool"
  | "gitopsSecrets"
  | "externalSecretStore"
  | "externalSecretStoreKind"
  | "argocdNamespace"
  | "repositoryOwner"
  | "repositoryVisibility"
  | "repositoryBaseUrl"
  | "discoveryNamespaces"
>;

/** What the scaffold reads from a stack: the same shape the offline render produces. */
export interface StackSnapshot {
  stack: string;
  resources: RenderedResource[];
  settings: RepositorySettings;
  orchestrators: OrchestratorSpec[];
}

export interface OrchestratorRepositories {
  orchestrator: string;
  model: ScaffoldModel;
  source: FileMap;
  gitops: FileMap;
}

/** The clone URL of a repository: under repositoryBaseUrl, else on GitHub under repositoryOwner, else unknown. */
export function cloneUrl(settings: RepositorySettings, name: string): string | undefined {
  const base = settings.repositoryBaseUrl ?? (settings.repositoryOwner ? `https://github.com/${settings.repositoryOwner}` : undefined);
  return base ? `${base.replace(/\/+$/, "")}/${name}.git` : undefined;
}

/** The BPMN models an orchestrator deploys: the data of its workflow ConfigMap. */
function workflowsOf(snapshot: StackSnapshot, orchestrator: string): Record<string, string> {
  const ownerOf = orchestratorOf(snapshot);
  const configMap = snapshot.resources.find(
    (r) =>
      r.type === "kubernetes:core/v1:ConfigMap" &&
      ownerOf(r) === orchestrator &&
      (r.inputs.metadata as { labels?: Record<string, string> } | undefined)?.labels?.["app.kubernetes.io/component"] === "workflows",
  );
  if (!configMap) throw new ScaffoldError(`orchestrator "${orchestrator}": no workflow ConfigMap was registered, so there are no models to scaffold from`);
  return { ...(configMap.inputs.data as Record<string, string>) };
}

/** Repositories of every orchestrator with `language` and `repository`. */
export function stackRepositories(snapshot: StackSnapshot, tree: GitopsTree = gitopsTree(snapshot, snapshot.settings)): OrchestratorRepositories[] {
  const namespaceFile = Object.keys(tree.files).find((f) => !f.includes("/") && f.includes("_namespace_"));
  return snapshot.orchestrators
    .filter((spec) => spec.properties.language !== undefined && spec.properties.repository !== undefined)
    .map((spec) => {
      const model = scaffoldModel({
        orchestrator: spec.name,
        properties: spec.properties,
        namespace: snapshot.settings.namespace,
        workflows: workflowsOf(snapshot, spec.name),
      });
      const prefix = `${spec.name}/`;
      const orchestratorFiles = Object.fromEntries(
        Object.entries(tree.files)
          .filter(([f]) => f.startsWith(prefix))
          .map(([f, c]) => [f.slice(prefix.length), c]),
      );
      const gitops = gitopsRepository({
        model,
        stack: snapshot.stack,
        orchestratorFiles,
        namespaceManifest: namespaceFile ? tree.files[namespaceFile] : undefined,
        secrets: tree.secrets.filter((s) => s.orchestrator === spec.name),
        gitopsTool: snapshot.settings.gitopsTool,
        argocdNamespace: snapshot.settings.argocdNamespace,
        repositoryUrl: cloneUrl(snapshot.settings, model.gitopsRepository),
        privateRepository: snapshot.settings.repositoryVisibility !== "public",
        discoveryNamespaces: snapshot.settings.discoveryNamespaces,
      });
      return { orchestrator: spec.name, model, source: sourceRepository(model), gitops };
    });
}
