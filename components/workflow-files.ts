import * as fs from "fs";
import * as path from "path";
import { ServedBy, unservedTaskTypes } from "../workers/src/contract";
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

/**
 * Reads the `.bpmn` files at the top level of a directory (subfolders, such as workers/workflows/examples, are
 * not deployed); an empty or missing directory is an error, not an empty ConfigMap.
 */
export function readWorkflowFiles(dir: string): WorkflowFiles {
  if (!fs.existsSync(dir)) throw new Error(`workflows directory ${dir} does not exist; it must hold the .bpmn models the worker deploys`);
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".bpmn"))
    .map((entry) => entry.name)
    .sort();
  if (names.length === 0) throw new Error(`workflows directory ${dir} holds no .bpmn files`);
  const files: Record<string, string> = {};
  for (const name of names) files[name] = fs.readFileSync(path.join(dir, name), "utf8");
  return { files, hash: contentHash(Object.entries(files)) };
}

/**
 * The models a worker serving `by` can run, and the others with the reason. None servable is an error: the
 * worker would start with nothing to do.
 */
export function servableModels(models: WorkflowFiles, by: ServedBy): WorkflowFiles & { skipped: Array<{ file: string; reason: string }> } {
  const files: Record<string, string> = {};
  const skipped: Array<{ file: string; reason: string }> = [];
  for (const [file, xml] of Object.entries(models.files)) {
    const unserved = unservedTaskTypes(xml, by);
    if (unserved.length === 0) files[file] = xml;
    else skipped.push({ file, reason: unserved.map((u) => `task type ${u.type}: ${u.reason}`).join("; ") });
  }
  if (Object.keys(files).length === 0) {
    throw new Error(
      `no model can be served with saga patterns [${by.sagaPatterns.join(", ")}] and event streaming ${by.eventStreaming ? "on" : "off"}: ${skipped.map((s) => `${s.file} (${s.reason})`).join("; ")}`,
    );
  }
  return { files, hash: contentHash(Object.entries(files)), skipped };
}
