import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { findLeaks } from "../render/redact";
import { RenderedResource } from "../render/types";
import { isCreatedOnce, scaffoldModel, sourceRepository } from "./index";
import { stackRepositories } from "./repositories";
import { OrchestratorSpec } from "../components/properties";
import { OrchestratorRepositories } from "../components/repositories";
import { SECRET_SETTING_KEYS, StackSettings } from "../components/settings";
import { defaultWorkflowsDir, readWorkflowFiles } from "../components/workflow-files";

export interface GithubRepositoriesInput {
  settings: StackSettings;
  specs: readonly OrchestratorSpec[];
  /** The stack's registered resources, resolved (see stack-snapshot.ts). */
  snapshot: pulumi.Output<RenderedResource[]>;
}

/**
 * Creates, for every orchestrator with `language` and `repository`, its two GitHub repositories with a
 * provider built from the stack settings (owner, token as a secret). Returns their URLs by orchestrator.
 */
export function githubRepositories(input: GithubRepositoriesInput): Record<string, pulumi.Output<{ source: string; gitops: string }>> {
  const { settings } = input;
  const provider = new github.Provider("github", { owner: settings.repositoryOwner, token: pulumi.secret(settings.githubToken!) });
  const secretValues = [...SECRET_SETTING_KEYS, "githubToken" as const]
    .map((key) => settings[key])
    .filter((v): v is string => typeof v === "string" && v.length >= 4);
  const repositories = input.snapshot.apply((resources) =>
    stackRepositories({ stack: pulumi.getStack(), resources, settings, orchestrators: [...input.specs] }),
  );
  const result: Record<string, pulumi.Output<{ source: string; gitops: string }>> = {};
  for (const spec of input.specs.filter((s) => s.properties.language !== undefined && s.properties.repository !== undefined)) {
    const model = scaffoldModel({
      orchestrator: spec.name,
      properties: spec.properties,
      namespace: settings.namespace,
      workflows: readWorkflowFiles(defaultWorkflowsDir()).files,
    });
    // The GitOps files hold no secret value (Secrets become ExternalSecrets or a list): checked, then
    // unmarked, since the stack's Secrets make every derived value secret.
    const gitopsFiles = pulumi.unsecret(
      repositories.apply((all) => {
        const files = all.find((r) => r.orchestrator === spec.name)!.gitops;
        const leaks = findLeaks(files, secretValues);
        if (leaks.length > 0)
          throw new Error(`orchestrator ${spec.name}: secret values would reach the GitOps repository (${leaks.join(", ")}); nothing was pushed`);
        return files;
      }),
    );
    const repos = new OrchestratorRepositories(
      `${spec.name}-repositories`,
      {
        sourceName: model.repository,
        gitopsName: model.gitopsRepository,
        visibility: settings.repositoryVisibility,
        description: `the ${spec.name} orchestrator (camunda-orchestrator)`,
        sourceFiles: sourceRepository(model),
        gitopsFiles,
        gitopsCreatedOnce: isCreatedOnce,
      },
      { providers: [provider] },
    );
    result[spec.name] = pulumi.all([repos.sourceRepositoryUrl, repos.gitopsRepositoryUrl]).apply(([source, gitops]) => ({ source, gitops }));
  }
  return result;
}
