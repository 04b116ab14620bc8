// The worker as a process (src/main.ts, through ts-node), for tests that need its real start-up from the environment.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { getJson } from "./harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const MAIN = path.join(ROOT, "workers", "src", "main.ts");

export interface MainProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts main.ts with only PATH and `env` in its environment; stdout and stderr are collected together. */
export function runMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

export async function waitReady(run: MainProcess, port: number): Promise<void> {
  const deadline = Date.now() + 60000;
  for (;;) {
    const ok = await getJson(`http://127.0.0.1:${port}/actuator/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`worker never became ready:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function waitForOutput(run: MainProcess, pattern: RegExp, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`no ${what} in the worker's output:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Log lines of the process that are JSON (pino), parsed. */
export function jsonLines(run: MainProcess): Record<string, any>[] {
  return run
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}
