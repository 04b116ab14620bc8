import * as fs from "fs";
import * as path from "path";
import { contentHash } from "./naming";

export interface WorkflowFiles {
  /** File name → BPMN XML. */
  files: Record<string, string>;
  /** Hash of every name and content. */
  hash: string;
}

/** Where the bundled BPMN templates are, from the source tree or the packed library (dist/components). */
export function defaultWorkflowsDir(): string {
  const candidates = [path.resolve(__dirname, "..", "workers", "workflows"), path.resolve(__dirname, "..", "..", "workers", "workflows")];
  return candidates.find((dir) => fs.existsSync(dir)) ?? candidates[0];
}

/** Reads every `.bpmn` file of a directory; an empty or missing directory is an error, not an empty ConfigMap. */
export function readWorkflowFiles(dir: string): WorkflowFiles {
  if (!fs.existsSync(dir)) throw new Error(`workflows directory ${dir} does not exist; it must hold the .bpmn models the worker deploys`);
  const names = fs.readdirSync(dir).filter((name) => name.endsWith(".bpmn")).sort();
  if (names.length === 0) throw new Error(`workflows directory ${dir} holds no .bpmn files`);
  const files: Record<string, string> = {};
  for (const name of names) files[name] = fs.readFileSync(path.join(dir, name), "utf8");
  return { files, hash: contentHash(Object.entries(files)) };
}
