// /actuator/health (process alive and fetching jobs), /actuator/ready (dependencies reachable), /metrics.
import * as http from "http";
import type { AddressInfo } from "net";
import type { Registry } from "prom-client";
import { errorText, redact } from "./redact";

export type ReadinessCheck = () => Promise<void>;
/** What keeps the process from doing its work, such that a restart is the cure; empty when alive. */
export type LivenessCheck = () => string[];

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check concurrently; each gets its own bounded time. */
export async function readiness(checks: Record<string, ReadinessCheck>, timeoutMs: number): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const names = Object.keys(checks);
  const results = await Promise.allSettled(names.map((n) => withTimeout(checks[n](), timeoutMs, n)));
  const out: Record<string, string> = {};
  // Readiness answers are read by anyone who can reach the port: no credentials in them.
  results.forEach((r, i) => (out[names[i]] = r.status === "fulfilled" ? "UP" : `DOWN: ${redact(String((r.reason as Error)?.message ?? r.reason))}`));
  return { ready: results.every((r) => r.status === "fulfilled"), checks: out };
}

/** Serves requests outside the ops endpoints (the public API); returns false when the path is not its own. */
export type ExtraRoutes = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export async function startOpsServer(
  port: number,
  registry: Registry,
  checks: () => Record<string, ReadinessCheck>,
  liveness: LivenessCheck = () => [],
  checkTimeoutMs = 2000,
  extra?: ExtraRoutes,
): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    if (extra?.(req, res)) return;
    const send = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") return send(405, { error: "method not allowed" });
    if (url === "/actuator/health") {
      const problems = liveness();
      return problems.length === 0 ? send(200, { status: "UP" }) : send(503, { status: "DOWN", problems });
    }
    if (url === "/actuator/ready") {
      readiness(checks(), checkTimeoutMs).then(
        (r) => send(r.ready ? 200 : 503, { status: r.ready ? "UP" : "DOWN", checks: r.checks }),
        (err) => send(503, { status: "DOWN", error: errorText(err) }),
      );
      return;
    }
    if (url === "/metrics") {
      registry.metrics().then(
        (m) => send(200, m, registry.contentType),
        (err) => send(500, { error: errorText(err) }),
      );
      return;
    }
    send(404, { error: "not found" });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
