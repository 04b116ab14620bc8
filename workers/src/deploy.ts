// BPMN models shipped with the worker (or mounted from the ConfigMap) are deployed at start-up.
import * as fs from "fs";
import * as path from "path";
import { taskTypesOf as taskTypesOfModel } from "./contract";
import type { ZeebeClient } from "./zeebe";

export interface WorkflowFile {
  name: string;
  content: Buffer;
}

export function readWorkflows(dir: string): WorkflowFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`WORKFLOWS_DIR ${dir} is not a directory`);
  // ConfigMap mounts contain "..data" symlink dirs: only plain *.bpmn entries at the top level count.
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".bpmn") && !f.startsWith("."))
    .sort()
    .map((name) => ({ name, content: fs.readFileSync(path.join(dir, name)) }));
}

/** Static job types the models use (FEEL expressions, "=...", are resolved by Zeebe at runtime and skipped). */
export function taskTypesOf(files: WorkflowFile[]): string[] {
  return [...new Set(files.flatMap((f) => taskTypesOfModel(f.content.toString("utf8"))))].sort();
}

export async function deployWorkflows(zeebe: ZeebeClient, files: WorkflowFile[]): Promise<string[]> {
  const deployed: string[] = [];
  for (const f of files) {
    const res = await zeebe.deployResource({ name: f.name, process: f.content });
    for (const d of res.deployments) if ("process" in d) deployed.push(`${d.process.bpmnProcessId}@${d.process.version}`);
  }
  return deployed;
}
