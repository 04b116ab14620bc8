// The worker as a real process (workers/src/main.ts), started, SIGKILLed and started again by the fault suite.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as http from "http";
import { freePort } from "../support/servers";

const ROOT = path.resolve(__dirname, "..", "..", "..");
export const WORKERS_DIR = path.join(ROOT, "workers");
const MAIN_TS = path.join(WORKERS_DIR, "src", "main.ts");

/**
 * How the process is started: through ts-node from workers/src/main.ts (as main-process.test.ts does), or as
 * the image runs it, `node main.js` compiled by tsc from the same sources (faster to start, which counts when
 * a scenario restarts the worker many times).
 */
export type WorkerLaunch = { kind: "ts-node" } | { kind: "compiled"; mainJs: string };

/** Compiles workers/src with the worker's own tsconfig into a fresh temporary folder; returns it with a remover. */
export function compileWorker(): { launch: WorkerLaunch; remove(): void } {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "fault-worker-"));
  const tsc = require.resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(WORKERS_DIR, "tsconfig.json"), "--outDir", outDir, "--sourceMap", "false"], { encoding: "utf8" });
  if (r.status !== 0) {
    fs.rmSync(outDir, { recursive: true, force: true });
    throw new Error(`compiling the worker failed: ${r.stdout}${r.stderr}`);
  }
  return { launch: { kind: "compiled", mainJs: path.join(outDir, "main.js") }, remove: () => fs.rmSync(outDir, { recursive: true, force: true }) };
}

export class WorkerProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private out = "";
  /** Deliberate SIGKILLs so far. */
  kills = 0;
  /** Exits nobody asked for (a crash of the worker itself): each is a finding. */
  unexpectedExits: string[] = [];
  /** When the running process was spawned: a request received before this came from an earlier (dead) process. */
  startedAt = 0;
  private expectingExit = false;
  private outputAtSpawn = 0;

  /** The ops port of the running process (a new one per process: an HTTP keep-alive connection to a dead process must not be reused). */
  port = 0;

  private constructor(
    private readonly env: Record<string, string>,
    private readonly launch: WorkerLaunch,
    private readonly preload: string[],
  ) {}

  /** preload: modules the process loads first (node -r), e.g. cluster-dns.js. */
  static async start(env: Record<string, string>, launch: WorkerLaunch, opts: { waitReady?: boolean; preload?: string[] } = {}): Promise<WorkerProcess> {
    const w = new WorkerProcess(env, launch, opts.preload ?? []);
    await w.spawn();
    if (opts.waitReady !== false) await w.waitReady();
    return w;
  }

  /** Everything every incarnation wrote to stdout and stderr. */
  output(): string {
    return this.out;
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async spawn(): Promise<void> {
    this.port = await freePort();
    this.outputAtSpawn = this.out.length;
    const preload = this.preload.flatMap((m) => ["-r", m]);
    const args = this.launch.kind === "compiled" ? [...preload, this.launch.mainJs] : [...preload, "-r", "ts-node/register/transpile-only", MAIN_TS];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        TMPDIR: process.env.TMPDIR ?? os.tmpdir(),
        TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
        NODE_PATH: path.join(ROOT, "node_modules"),
        ...this.env,
        PORT: String(this.port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.startedAt = Date.now();
    this.expectingExit = false;
    child.stdout!.on("data", (d) => (this.out += d));
    child.stderr!.on("data", (d) => (this.out += d));
    this.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        if (!this.expectingExit) this.unexpectedExits.push(`exit code ${code} signal ${signal}`);
        resolve();
      }),
    );
  }

  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await this.get("/actuator/ready").then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      if (!this.alive()) throw new Error(`worker exited before it was ready:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`worker not ready within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Until the running process serves jobs: its job workers have started. (Readiness may come much later: with
   * Kafka, the bridge's consumer joins its group only once the killed member's session has timed out.)
   */
  async waitServing(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.out.slice(this.outputAtSpawn).includes('"msg":"job worker started"')) {
      if (!this.alive()) throw new Error(`worker exited before it served jobs:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`worker served no jobs within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Until the ops port answers. It opens only once start-up is complete: after a kill, the bridge's Kafka
   * consumer may wait for the dead member's session to time out first, long after the job workers serve.
   */
  async waitOps(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (
      !(await this.get("/metrics").then(
        () => true,
        () => false,
      ))
    ) {
      if (!this.alive()) throw new Error(`worker exited before its ops port opened:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`worker's ops port not open within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** kill -9: no drain, no cleanup, connections cut by the kernel. */
  async kill9(): Promise<void> {
    if (!this.alive()) return;
    this.expectingExit = true;
    this.child!.kill("SIGKILL");
    await this.exited;
    this.kills += 1;
  }

  /** A new process with the same environment, after the previous one died; resolves once it serves jobs (or is ready). */
  async restart(opts: { wait?: "serving" | "ready" | "none" } = {}): Promise<void> {
    if (this.alive()) throw new Error("restart of a worker that is still running");
    await this.spawn();
    if (opts.wait === "ready") await this.waitReady();
    else if (opts.wait !== "none") await this.waitServing();
  }

  /** A GET on the ops port, on a connection of its own (a kept-alive one may be closing, or lead to a dead process). */
  get(pathname: string): Promise<{ status: number; body: any; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: this.port, path: pathname, agent: false, timeout: 10_000 }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          let body: any;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`GET ${pathname} timed out`)));
      req.on("error", reject);
    });
  }

  /** The value of a metric sample without labels, or the sum over a labelled family's samples matching `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await this.get("/metrics")).text;
    let sum = 0;
    for (const line of text.split("\n")) {
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const labelText = m[2] ?? "";
      if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(m[3]);
    }
    return sum;
  }

  /** SIGTERM (graceful drain), SIGKILL if it has not ended within 15 s. */
  async stop(): Promise<void> {
    if (!this.alive()) return;
    this.expectingExit = true;
    const child = this.child!;
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.kill("SIGTERM");
    await this.exited;
    clearTimeout(timer);
  }

  tail(lines = 40): string {
    return this.out.split("\n").slice(-lines).join("\n");
  }
}
