// Starts the real worker (startWorker) against the gateway peer, a real PostgreSQL and test services.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pino from "pino";
import { RunningWorker, startWorker } from "../../src/app";
import { Config, loadConfig } from "../../src/config";
import type { EventBus } from "../../src/events/bus";
import { streamingOverrides } from "../../src/streaming";
import type { GatewayPeer } from "./gateway-peer";
import type { TestService } from "./http-services";

const madeDirs: string[] = [];

/** Removes every folder {@link workflowsDir} made: once after all tests (below), and by the bench when it ends. */
export function removeWorkflowsDirs(): void {
  for (const dir of madeDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
// Under mocha, a root-level hook: configs hold these folders until their workers stop, so remove them at the end.
if (typeof after === "function") after(removeWorkflowsDirs);

/** A fresh temporary folder, removed with the others at the end of the run. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** A minimal model whose task types the worker subscribes to at start-up. */
export function workflowsDir(types: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wf-"));
  madeDirs.push(dir);
  const tasks = types
    .map(
      (t, i) =>
        `<bpmn:serviceTask id="t${i}"><bpmn:extensionElements><zeebe:taskDefinition type="${t}" retries="3"/></bpmn:extensionElements></bpmn:serviceTask>`,
    )
    .join("");
  fs.writeFileSync(
    path.join(dir, "test.bpmn"),
    `<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t"><bpmn:process id="test-process" isExecutable="true">${tasks}</bpmn:process></bpmn:definitions>`,
  );
  return dir;
}

export function testConfig(peer: GatewayPeer, databaseUrl: string, services: TestService[], env: Record<string, string> = {}): Config {
  return loadConfig({
    ZEEBE_GRPC_ADDRESS: peer.address,
    CAMUNDA_AUTH_STRATEGY: "NONE",
    DATABASE_URL: databaseUrl,
    DISCOVERY_STATIC_SERVICES: JSON.stringify(Object.fromEntries(services.map((s) => [s.name, s.url]))),
    PORT: "0",
    POLL_INTERVAL_MS: "20",
    BACKOFF_BASE_MS: "100",
    BACKOFF_CAP_MS: "2000",
    CALL_TIMEOUT_MS: "2000",
    SHUTDOWN_DRAIN_MS: "3000",
    TOPICS_PREFIX: "shop",
    WORKFLOWS_DIR: workflowsDir([]),
    LOG_LEVEL: "silent",
    ...env,
  });
}

export async function runWorker(config: Config, bus?: EventBus): Promise<RunningWorker> {
  return startWorker(config, pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), { bus, defaultMetrics: false });
}

export async function getJson(url: string): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** A fresh database per test file keeps scenarios independent on one server. */
export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const { Client } = await import("pg");
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`drop database if exists ${name}`);
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The worker with event streaming wired as main.ts wires it (bus from config, publish-and-wait, bridge). */
export async function runStreamingWorker(config: Config): Promise<{ worker: RunningWorker; stop(drainMs?: number): Promise<void> }> {
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const streaming = streamingOverrides(config, log);
  const worker = await startWorker(config, log, { ...streaming.overrides, defaultMetrics: false });
  return {
    worker,
    stop: async (drainMs = 1000) => {
      await worker.stop(drainMs);
      await streaming.close();
    },
  };
}

/** The shipped templates (workers/workflows), as the worker deploys them. */
export const TEMPLATES_DIR = path.join(__dirname, "..", "..", "workflows");
