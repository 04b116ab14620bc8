// The offline render's scaffolded repositories: each a git repository under out/<stack>/repositories/.
// A source repository is created once and never touched again; a GitOps repository gets its generated
// files rewritten (overlays excepted) and a commit when they changed.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { isCreatedOnce } from "../scaffold";
import { OrchestratorRepositories, stackRepositories } from "../scaffold/repositories";
import { FileMap } from "../scaffold/template";
import { RenderResult } from "./types";
import { REPOSITORIES_DIR } from "./write";

/** Author of the generated commits, set through the environment so no global git config is needed. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: "camunda-orchestrator render",
  GIT_AUTHOR_EMAIL: "render@camunda-orchestrator.invalid",
  GIT_COMMITTER_NAME: "camunda-orchestrator render",
  GIT_COMMITTER_EMAIL: "render@camunda-orchestrator.invalid",
};

export interface RepositoryReport {
  orchestrator: string;
  source: { dir: string; action: "created" | "kept" };
  gitops: { dir: string; action: "created" | "committed" | "unchanged" };
}

function git(dir: string, args: string[]): string {
  const run = spawnSync("git", ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ...GIT_ENV },
  });
  if (run.error) throw new Error(`git ${args[0]} in ${dir}: ${run.error.message} (is git installed?)`);
  if (run.status !== 0) throw new Error(`git ${args.join(" ")} in ${dir} failed: ${run.stderr || run.stdout}`);
  return run.stdout;
}

function writeFiles(dir: string, files: FileMap, keep: (file: string) => boolean = () => false): void {
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dir, file);
    if (keep(file) && fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}

function initialCommit(dir: string, files: FileMap, message: string): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFiles(dir, files);
  git(dir, ["init", "--quiet", "--initial-branch=main"]);
  git(dir, ["add", "--all"]);
  git(dir, ["commit", "--quiet", "-m", message]);
}

/**
 * The generated folders of a GitOps repository for one stack: replaced as a whole, so a file the
 * render no longer produces (e.g. a renamed ConfigMap) goes away.
 */
function generatedFolders(files: FileMap): string[] {
  return [
    ...new Set(
      Object.keys(files)
        .filter((f) => !isCreatedOnce(f) && f.includes("/"))
        .map((f) =>
          f
            .split("/")
            .slice(0, f.startsWith("clusters/") ? 2 : 1)
            .join("/"),
        ),
    ),
  ];
}

/** Writes both repositories of each orchestrator under `dir` and returns what it did. */
export function writeRepositories(dir: string, repositories: OrchestratorRepositories[], stack: string): RepositoryReport[] {
  return repositories.map(({ orchestrator, model, source, gitops }) => {
    const sourceDir = path.join(dir, model.repository);
    let sourceAction: "created" | "kept" = "kept";
    if (!fs.existsSync(sourceDir)) {
      initialCommit(sourceDir, source, `Generated ${model.language} (${model.framework}) job workers of orchestrator ${orchestrator}`);
      sourceAction = "created";
    }

    const gitopsDir = path.join(dir, model.gitopsRepository);
    let gitopsAction: "created" | "committed" | "unchanged";
    if (!fs.existsSync(path.join(gitopsDir, ".git"))) {
      initialCommit(gitopsDir, gitops, `Generated GitOps tree of orchestrator ${orchestrator} for stack ${stack}`);
      gitopsAction = "created";
    } else {
      for (const folder of generatedFolders(gitops)) fs.rmSync(path.join(gitopsDir, folder), { recursive: true, force: true });
      writeFiles(gitopsDir, gitops, isCreatedOnce);
      git(gitopsDir, ["add", "--all"]);
      const changed = git(gitopsDir, ["status", "--porcelain"]).trim() !== "";
      if (changed) git(gitopsDir, ["commit", "--quiet", "-m", `Render of stack ${stack}`]);
      gitopsAction = changed ? "committed" : "unchanged";
    }
    return { orchestrator, source: { dir: sourceDir, action: sourceAction }, gitops: { dir: gitopsDir, action: gitopsAction } };
  });
}

/** Scaffolds the repositories of a render into `<outDir>/repositories` and returns what to tell the user. */
export function scaffoldRender(result: RenderResult, outDir: string, shownAs: string = outDir): string[] {
  const repositories = stackRepositories(result);
  if (repositories.length === 0) return [];
  const reports = writeRepositories(path.join(outDir, REPOSITORIES_DIR), repositories, result.stack);
  const shown = (dir: string) => path.join(shownAs, path.relative(outDir, dir));
  return reports.flatMap((r) => [
    `${r.orchestrator}: source repository ${shown(r.source.dir)} ${r.source.action === "created" ? "created (yours from now on: a new render never touches it)" : "exists: left as it is"}`,
    `${r.orchestrator}: GitOps repository ${shown(r.gitops.dir)} ${r.gitops.action}`,
  ]);
}
