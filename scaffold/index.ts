// Repository scaffolding: pure generators from an orchestrator's description to file maps.
import { goRepository } from "./go";
import { javaRepository } from "./java";
import { ScaffoldModel } from "./model";
import { pythonRepository } from "./python";
import { FileMap } from "./template";
import { javascriptRepository, typescriptRepository } from "./typescript";

export { gitopsRepository, GitopsRepositoryInput } from "./gitops";
export { DISCOVERY_LABEL, ScaffoldError, ScaffoldModel, scaffoldModel } from "./model";
export { FileMap } from "./template";

/** The source repository of an orchestrator, in its language. */
export function sourceRepository(model: ScaffoldModel): FileMap {
  switch (model.language) {
    case "typescript":
      return typescriptRepository(model);
    case "javascript":
      return javascriptRepository(model);
    case "java":
      return javaRepository(model);
    case "go":
      return goRepository(model);
    case "python":
      return pythonRepository(model);
  }
}

/** GitOps repository files that are written once and then belong to the team: the stack overlays. */
export function isCreatedOnce(file: string): boolean {
  return file.startsWith("overlays/");
}
