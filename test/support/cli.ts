import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO = path.resolve(__dirname, "../..");

export interface CliRun {
  status: number | null;
  /** Everything on stdout, npm's echo of the script line included. */
  stdout: string;
  /** stdout without npm's echo of the script line: what the command itself printed. */
  output: string;
  stderr: string;
}

/**
 * Runs `npm run <script> -- <args>` as a user in `cwd` would, with this repository as the project
 * (`npm --prefix`), so relative paths are the user's. The environment is the test's, without what a
 * parent `npm test` exports about itself.
 */
export function npmRun(script: "render" | "policy", args: string[], options: { cwd: string; input?: string; env?: Record<string, string> }): CliRun {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "INIT_CWD"));
  const run = spawnSync("npm", ["--prefix", REPO, "run", script, "--", ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 120_000,
  });
  if (run.error) throw run.error;
  const output = run.stdout.replace(/^\n?> [^\n]*\n> [^\n]*\n\n/, "");
  return { status: run.status, stdout: run.stdout, output, stderr: run.stderr };
}

/** Every file under `dir` with its content (symbolic links as their target), for before/after comparisons. */
export function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (current: string, prefix: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const relative = prefix + entry.name;
      if (entry.isDirectory()) walk(full, `${relative}/`);
      else if (entry.isSymbolicLink()) result[relative] = `-> ${fs.readlinkSync(full)}`;
      else result[relative] = fs.readFileSync(full, "utf8");
    }
  };
  walk(dir, "");
  return result;
}
