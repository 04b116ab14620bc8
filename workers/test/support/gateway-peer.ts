// A Zeebe gateway test peer: a real gRPC server implementing the Gateway service from the
// zeebe.proto shipped in @camunda8/sdk, so a worker runs its real SDK client against it over loopback.
// Two ways to use it (both record every call):
// - scripted: tests queue jobs with addJob() and read what the worker did with them;
// - executing ({ execute: true }): deployed BPMN models run on a BPMN engine with Zeebe's
//   semantics (executing-engine.ts; differences from Zeebe in README.md beside this file).
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { EventEmitter } from "events";
import * as path from "path";
import { EngineJob, ExecutingEngine, JobOwner, ProcessInstance } from "./executing-engine";
import { GatewayError, newKey, Variables } from "./gateway-error";
import { MessageBuffer } from "./message-buffer";
import { PeerRestApi } from "./peer-rest-api";

export const ZEEBE_PROTO_PATH = path.join(path.dirname(require.resolve("@camunda8/sdk/package.json")), "dist", "proto", "zeebe.proto");

export interface ScriptedJob {
  type: string;
  processInstanceKey?: string;
  elementId?: string;
  /** One per element instance: a loop or multi-instance iteration gets a new one. Default: the job key. */
  elementInstanceKey?: string;
  bpmnProcessId?: string;
  variables?: Record<string, unknown>;
  /** Variables as raw JSON text, handed out verbatim (e.g. integers beyond 2^53, which Zeebe accepts). */
  rawVariables?: string;
  customHeaders?: Record<string, string>;
  retries?: number;
}

export interface PeerJob {
  key: string;
  type: string;
  processInstanceKey: string;
  elementId: string;
  elementInstanceKey: string;
  bpmnProcessId: string;
  variables: Record<string, unknown>;
  customHeaders: Record<string, string>;
  retries: number;
  rawVariables?: string;
  processDefinitionKey?: string;
  processDefinitionVersion?: number;
  /** Executing mode: the instance's variables at activation, and who handles the job's outcome. */
  currentVariables?: () => Variables;
  owner?: JobOwner;
}

export interface Completion {
  jobKey: string;
  job: PeerJob;
  variables: Record<string, unknown>;
  at: number;
  activatedAt: number;
}
export interface Failure {
  jobKey: string;
  job: PeerJob;
  retries: number;
  errorMessage: string;
  retryBackOff: number;
  at: number;
}
export interface ThrownError {
  jobKey: string;
  job: PeerJob;
  errorCode: string;
  errorMessage: string;
  variables: Record<string, unknown>;
}
export interface PublishedMessage {
  name: string;
  correlationKey: string;
  timeToLive: number;
  messageId: string;
  variables: Record<string, unknown>;
}
export interface ProcessStart {
  bpmnProcessId: string;
  variables: Record<string, unknown>;
  processInstanceKey: string;
  /** Set when a published message started it through a message start event of a deployed model. */
  startMessage?: string;
}
export interface DeployedResource {
  name: string;
  content: string;
}

export interface GatewayPeerOptions {
  /** Re-hand a failed job with retries > 0 after its retryBackOff, like Zeebe does. Default true. */
  redeliverFailedJobs?: boolean;
  /**
   * When set, every call must carry exactly this `authorization` metadata, else it is answered UNAUTHENTICATED,
   * as a protected orchestration cluster answers (chart 13.x protects its API by default).
   */
  requireAuthorization?: string;
  /** Execute deployed models (DeployResource, CreateProcessInstance, PublishMessage, ... act on a BPMN engine). */
  execute?: boolean;
  /** Executing mode: start compensation handlers in random order (Zeebe promises none). Default true. */
  shuffleCompensation?: boolean;
  /** Executing mode: also serve the REST search and migration endpoints (peer-rest-api.ts) at restAddress. */
  rest?: boolean;
}

interface Waiter {
  maxJobs: number;
  call: grpc.ServerWritableStream<any, any>;
  timer?: NodeJS.Timeout;
}
interface Stream {
  call: grpc.ServerWritableStream<any, any>;
}

/** Names of the messages referenced by message start events of a model (enough for the shipped templates). */
function messageStartNames(xml: string): string[] {
  const names = new Map([...xml.matchAll(/<bpmn:message\b[^>]*?\bid="([^"]+)"[^>]*?\bname="([^"]+)"/g)].map((m) => [m[1], m[2]]));
  const refs = [...xml.matchAll(/<bpmn:startEvent\b(?:[^>]*\/>|[\s\S]*?<\/bpmn:startEvent>)/g)].flatMap((m) =>
    [...m[0].matchAll(/messageRef="([^"]+)"/g)].map((r) => r[1]),
  );
  return refs.flatMap((r) => (names.has(r) ? [names.get(r)!] : []));
}

function parseJson(s: string | undefined): Record<string, unknown> {
  return s ? (JSON.parse(s) as Record<string, unknown>) : {};
}

export class GatewayPeer extends EventEmitter {
  readonly completions: Completion[] = [];
  readonly failures: Failure[] = [];
  readonly errors: ThrownError[] = [];
  readonly messages: PublishedMessage[] = [];
  /** Messages refused with ALREADY_EXISTS: the same name, correlation key and messageId as a buffered one. */
  readonly duplicateMessages: PublishedMessage[] = [];
  readonly processStarts: ProcessStart[] = [];
  readonly deployments: DeployedResource[] = [];
  /** Number of ActivateJobs/StreamActivatedJobs jobs handed out (including redeliveries). */
  activations = 0;
  /** Jobs handed out again because their activation timed out. */
  timedOut = 0;
  /** When false, Topology answers UNAVAILABLE (for readiness tests). */
  healthy = true;
  /** Every distinct `authorization` metadata value calls carried. */
  readonly authorizations = new Set<string>();
  /** Executing mode only: the engine that runs the deployed models. */
  readonly engine?: ExecutingEngine;
  private restApi?: PeerRestApi;

  private readonly queues = new Map<string, PeerJob[]>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly streams = new Map<string, Stream[]>();
  private readonly active = new Map<string, { job: PeerJob; activatedAt: number; timer: NodeJS.Timeout }>();
  private readonly dropCompletion = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Executing mode: jobs waiting for their retry back-off, by key (cancelled with their instance). */
  private readonly backingOff = new Map<string, NodeJS.Timeout>();
  /** Scripted mode: message name of each deployed message start event → its process id. */
  private readonly messageStarts = new Map<string, string>();
  /** Scripted mode: Zeebe's message buffer, for its messageId uniqueness (the executing engine has its own). */
  private readonly scriptedMessages = new MessageBuffer();

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    private readonly options: GatewayPeerOptions,
  ) {
    super();
    if (options.execute) {
      this.engine = new ExecutingEngine(
        { createJob: (j) => this.createEngineJob(j), cancelJob: (k) => this.cancelJob(k) },
        { shuffleCompensation: options.shuffleCompensation },
      );
      this.engine.on("changed", () => this.emit("recorded"));
      this.engine.on("started", (i: ProcessInstance, variables: Variables) => {
        const s: ProcessStart = { bpmnProcessId: i.definition.bpmnProcessId, variables, processInstanceKey: i.key, startMessage: i.startedBy?.messageName };
        this.processStarts.push(s);
        this.recorded("processStart", s);
      });
    }
  }

  get address(): string {
    return `grpc://127.0.0.1:${this.port}`;
  }

  static async start(options: GatewayPeerOptions = {}, port = 0): Promise<GatewayPeer> {
    const def = protoLoader.loadSync(ZEEBE_PROTO_PATH, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const proto = grpc.loadPackageDefinition(def) as any;
    const server = new grpc.Server();
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const peer = new GatewayPeer(server, bound, { redeliverFailedJobs: true, ...options });
    server.addService(proto.gateway_protocol.Gateway.service, peer.authenticated(peer.handlers()));
    if (options.rest) peer.restApi = await PeerRestApi.start(peer.executing());
    return peer;
  }

  /** Records each call's `authorization` metadata and, with `requireAuthorization`, refuses calls without it. */
  private authenticated(handlers: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    const wrapped: grpc.UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(handlers)) {
      wrapped[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => {
        const sent = call.metadata.get("authorization").map(String)[0];
        if (sent !== undefined) this.authorizations.add(sent);
        const required = this.options.requireAuthorization;
        if (required !== undefined && sent !== required) {
          const error = { code: grpc.status.UNAUTHENTICATED, details: "Expected a valid authorization header" } as grpc.ServiceError;
          if (callback) callback(error, null);
          else call.emit("error", error);
          return;
        }
        return (handler as (...args: unknown[]) => unknown)(call, callback);
      }) as grpc.UntypedHandleCall;
    }
    return wrapped;
  }

  /** The REST API base address (ZEEBE_REST_ADDRESS), with { execute: true, rest: true }. */
  get restAddress(): string {
    if (!this.restApi) throw new Error("gateway peer: start it with { execute: true, rest: true } for the REST API");
    return this.restApi.address;
  }

  /** Queue a job; returns its key. */
  addJob(spec: ScriptedJob): string {
    return this.addJobs([spec])[0];
  }

  /** Queue several jobs at once, so that one activation can hand them out together; returns their keys. */
  addJobs(specs: ScriptedJob[]): string[] {
    const jobs = specs.map((spec) => this.newJob(spec));
    for (const job of jobs) {
      const q = this.queues.get(job.type) ?? [];
      q.push(job);
      this.queues.set(job.type, q);
    }
    for (const type of new Set(jobs.map((j) => j.type))) this.serveWaiters(type);
    return jobs.map((j) => j.key);
  }

  private newJob(spec: ScriptedJob): PeerJob {
    const key = newKey();
    const job: PeerJob = {
      key,
      type: spec.type,
      processInstanceKey: spec.processInstanceKey ?? newKey(),
      elementId: spec.elementId ?? spec.type,
      elementInstanceKey: spec.elementInstanceKey ?? key,
      bpmnProcessId: spec.bpmnProcessId ?? "test-process",
      variables: spec.variables ?? {},
      customHeaders: spec.customHeaders ?? {},
      retries: spec.retries ?? 3,
      rawVariables: spec.rawVariables,
    };
    return job;
  }

  /**
   * Hand out an already-known job again (as Zeebe does after a job timeout). A copy of an executing
   * job is scripted: its outcome is recorded but no longer moves the process instance.
   */
  redeliver(job: PeerJob): void {
    this.enqueue({ ...job, owner: undefined });
  }

  /**
   * The next CompleteJob for this job is answered NOT_FOUND, as Zeebe does when the job timed out
   * (e.g. the worker stalled or crashed before completing): the completion is lost.
   */
  loseCompletionOf(jobKey: string): void {
    this.dropCompletion.add(jobKey);
  }

  /** Executing mode: a process instance by key (throws when unknown). */
  instance(processInstanceKey: string): ProcessInstance {
    const i = this.executing().instances.get(processInstanceKey);
    if (!i) throw new Error(`gateway peer: no process instance ${processInstanceKey}`);
    return i;
  }

  /** Executing mode: every instance of a process id, in creation order. */
  instancesOf(bpmnProcessId: string): ProcessInstance[] {
    return [...this.executing().instances.values()].filter((i) => i.definition.bpmnProcessId === bpmnProcessId);
  }

  /** Executing mode: resolves when the instance is no longer active (or rejects after timeoutMs). */
  async waitForEnd(processInstanceKey: string, timeoutMs = 20000): Promise<ProcessInstance> {
    await this.waitFor(
      () => this.instance(processInstanceKey).state !== "ACTIVE",
      timeoutMs,
      `end of process instance ${processInstanceKey} (active: ${this.instance(processInstanceKey).activeElements().join(", ")})`,
    );
    return this.instance(processInstanceKey);
  }

  /** Scripted mode: a message named like a deployed message start event records a start of that process. */
  private startScriptedByMessage(m: PublishedMessage): void {
    const bpmnProcessId = this.messageStarts.get(m.name);
    if (!bpmnProcessId) return;
    const s: ProcessStart = { bpmnProcessId, variables: m.variables, processInstanceKey: newKey(), startMessage: m.name };
    this.processStarts.push(s);
    this.recorded("processStart", s);
  }

  private executing(): ExecutingEngine {
    if (!this.engine) throw new Error("gateway peer: start it with { execute: true } to run process instances");
    return this.engine;
  }

  private createEngineJob(j: EngineJob): string {
    const key = newKey();
    this.enqueue({
      key,
      type: j.type,
      processInstanceKey: j.processInstanceKey,
      elementId: j.elementId,
      bpmnProcessId: j.bpmnProcessId,
      variables: {},
      customHeaders: j.customHeaders,
      retries: j.retries,
      processDefinitionKey: j.processDefinitionKey,
      processDefinitionVersion: j.processDefinitionVersion,
      elementInstanceKey: j.elementInstanceKey,
      currentVariables: j.variables,
      owner: j.owner,
    });
    return key;
  }

  /** The job's element was left (boundary event, cancel): it is gone, a late CompleteJob gets NOT_FOUND. */
  private cancelJob(jobKey: string): void {
    for (const q of this.queues.values()) {
      const i = q.findIndex((j) => j.key === jobKey);
      if (i >= 0) q.splice(i, 1);
    }
    this.release(jobKey);
    clearTimeout(this.backingOff.get(jobKey));
    this.backingOff.delete(jobKey);
  }

  pending(type?: string): number {
    if (type) return this.queues.get(type)?.length ?? 0;
    return [...this.queues.values()].reduce((n, q) => n + q.length, 0);
  }

  /** Resolves when predicate() is true, re-checked after every recorded call and every 25 ms. */
  waitFor(predicate: () => boolean, timeoutMs = 20000, what = "condition"): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate()) {
          cleanup();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`gateway peer: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 25);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.off("recorded", check);
      };
      this.on("recorded", check);
    });
  }

  async stop(): Promise<void> {
    await this.restApi?.stop();
    for (const i of this.engine?.instances.values() ?? []) if (i.state === "ACTIVE") i.engine?.stop();
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.backingOff.values()) clearTimeout(t);
    for (const ss of this.streams.values()) for (const st of ss) st.call.end();
    this.streams.clear();
    for (const a of this.active.values()) clearTimeout(a.timer);
    for (const ws of this.waiters.values()) for (const w of ws) this.endWaiter(w);
    this.waiters.clear();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }

  private enqueue(job: PeerJob): void {
    // Like Zeebe, a job that becomes activatable is pushed to an open job stream of its type first.
    const streams = (this.streams.get(job.type) ?? []).filter((st) => !st.call.cancelled);
    if (streams.length > 0) {
      const st = streams[this.activations % streams.length];
      const [activated] = this.activate([job], st.call.request.worker, Number(st.call.request.timeout), st.call.request.fetchVariable);
      st.call.write(activated);
      return;
    }
    const q = this.queues.get(job.type) ?? [];
    q.push(job);
    this.queues.set(job.type, q);
    this.serveWaiters(job.type);
  }

  private recorded(kind: string, payload: unknown): void {
    this.emit(kind, payload);
    this.emit("recorded");
  }

  private toActivated(job: PeerJob, worker: string, timeoutMs: number, fetchVariable: string[] = []): Record<string, unknown> {
    const all = job.currentVariables ? { ...job.currentVariables(), ...job.variables } : job.variables;
    const variables = fetchVariable.length ? Object.fromEntries(fetchVariable.filter((n) => n in all).map((n) => [n, all[n]])) : all;
    return {
      key: job.key,
      type: job.type,
      processInstanceKey: job.processInstanceKey,
      bpmnProcessId: job.bpmnProcessId,
      processDefinitionVersion: job.processDefinitionVersion ?? 1,
      processDefinitionKey: job.processDefinitionKey ?? "2251799813685000",
      elementId: job.elementId,
      elementInstanceKey: job.elementInstanceKey,
      customHeaders: JSON.stringify(job.customHeaders),
      worker,
      retries: job.retries,
      deadline: String(Date.now() + (timeoutMs > 0 ? timeoutMs : 300000)),
      variables: job.rawVariables ?? JSON.stringify(variables),
      tenantId: "<default>",
    };
  }

  /** Hands out up to max jobs; like Zeebe, a job not completed/failed within `timeoutMs` is handed out again. */
  private take(type: string, max: number, worker: string, timeoutMs: number, fetchVariable: string[] = []): Record<string, unknown>[] {
    const q = this.queues.get(type) ?? [];
    return this.activate(q.splice(0, max), worker, timeoutMs, fetchVariable);
  }

  private activate(batch: PeerJob[], worker: string, timeoutMs: number, fetchVariable: string[] = []): Record<string, unknown>[] {
    const now = Date.now();
    for (const job of batch) {
      const timer = setTimeout(
        () => {
          if (this.active.get(job.key)?.timer !== timer) return;
          this.active.delete(job.key);
          this.timedOut += 1;
          this.enqueue(job);
        },
        timeoutMs > 0 ? timeoutMs : 300000,
      );
      timer.unref();
      this.active.set(job.key, { job, activatedAt: now, timer });
    }
    this.activations += batch.length;
    return batch.map((j) => this.toActivated(j, worker, timeoutMs, fetchVariable));
  }

  private release(jobKey: string): void {
    clearTimeout(this.active.get(jobKey)?.timer);
    this.active.delete(jobKey);
  }

  private endWaiter(w: Waiter): void {
    if (w.timer) clearTimeout(w.timer);
    try {
      w.call.end();
    } catch {
      // call already cancelled by the client
    }
  }

  private serveWaiters(type: string): void {
    const ws = this.waiters.get(type);
    while (ws && ws.length > 0 && this.pending(type) > 0) {
      const w = ws.shift()!;
      if (w.call.cancelled) continue;
      const jobs = this.take(type, w.maxJobs, w.call.request.worker, Number(w.call.request.timeout), w.call.request.fetchVariable);
      w.call.write({ jobs });
      this.endWaiter(w);
    }
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const unary =
      <Req, Res>(fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>) =>
      (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
        const fail = (e: unknown) => {
          const err = e as grpc.ServiceError;
          cb({ code: err.code ?? grpc.status.INTERNAL, details: err.message } as grpc.ServiceError, null);
        };
        try {
          Promise.resolve(fn(call.request, call)).then((res) => cb(null, res), fail);
        } catch (e) {
          fail(e);
        }
      };
    const notFound = (jobKey: string) => Object.assign(new Error(`job ${jobKey} not activated`), { code: grpc.status.NOT_FOUND });
    const instanceResponse = (i: ProcessInstance) => ({
      processDefinitionKey: i.definition.key,
      bpmnProcessId: i.definition.bpmnProcessId,
      version: i.definition.version,
      processInstanceKey: i.key,
      tenantId: "<default>",
    });

    return {
      Topology: unary(() => {
        if (!this.healthy) throw Object.assign(new Error("gateway unhealthy"), { code: grpc.status.UNAVAILABLE });
        return {
          brokers: [{ nodeId: 0, host: "127.0.0.1", port: 26501, version: "8.8.0", partitions: [{ partitionId: 1, role: "LEADER", health: "HEALTHY" }] }],
          clusterSize: 1,
          partitionsCount: 1,
          replicationFactor: 1,
          gatewayVersion: "8.8.0",
        };
      }),

      // Long polling: answer at once when jobs are queued, else hold the call until a job
      // arrives or requestTimeout passes.
      ActivateJobs: (call: grpc.ServerWritableStream<any, any>) => {
        const { type, maxJobsToActivate, requestTimeout } = call.request;
        if (this.pending(type) > 0) {
          call.write({ jobs: this.take(type, maxJobsToActivate, call.request.worker, Number(call.request.timeout), call.request.fetchVariable) });
          call.end();
          return;
        }
        const w: Waiter = { maxJobs: maxJobsToActivate, call };
        const ms = Number(requestTimeout);
        w.timer = setTimeout(
          () => {
            const ws = this.waiters.get(type) ?? [];
            const i = ws.indexOf(w);
            if (i >= 0) ws.splice(i, 1);
            this.endWaiter(w);
          },
          ms > 0 ? ms : 10000,
        );
        call.on("cancelled", () => {
          if (w.timer) clearTimeout(w.timer);
          const ws = this.waiters.get(type) ?? [];
          const i = ws.indexOf(w);
          if (i >= 0) ws.splice(i, 1);
        });
        const ws = this.waiters.get(type) ?? [];
        ws.push(w);
        this.waiters.set(type, ws);
      },

      // Job push: jobs that become activatable while the stream is open are written to it.
      StreamActivatedJobs: (call: grpc.ServerWritableStream<any, any>) => {
        const type: string = call.request.type;
        const st: Stream = { call };
        this.streams.set(type, [...(this.streams.get(type) ?? []), st]);
        call.on("cancelled", () =>
          this.streams.set(
            type,
            (this.streams.get(type) ?? []).filter((x) => x !== st),
          ),
        );
      },

      CompleteJob: unary((req: { jobKey: string; variables: string }) => {
        const a = this.active.get(req.jobKey);
        if (!a) throw notFound(req.jobKey);
        if (this.dropCompletion.delete(req.jobKey)) {
          this.release(req.jobKey);
          throw Object.assign(new Error(`job ${req.jobKey} timed out (scripted): completion lost`), { code: grpc.status.NOT_FOUND });
        }
        this.release(req.jobKey);
        const c: Completion = { jobKey: req.jobKey, job: a.job, variables: parseJson(req.variables), at: Date.now(), activatedAt: a.activatedAt };
        this.completions.push(c);
        a.job.owner?.complete(c.variables);
        this.recorded("complete", c);
        return {};
      }),

      FailJob: unary((req: { jobKey: string; retries: number; errorMessage: string; retryBackOff: string; variables: string }) => {
        const a = this.active.get(req.jobKey);
        if (!a) throw notFound(req.jobKey);
        this.release(req.jobKey);
        const f: Failure = {
          jobKey: req.jobKey,
          job: a.job,
          retries: req.retries,
          errorMessage: req.errorMessage,
          retryBackOff: Number(req.retryBackOff),
          at: Date.now(),
        };
        this.failures.push(f);
        // Zeebe sets FailJob variables on the task's local scope; it never replaces the job's variables.
        const again = { ...a.job, retries: req.retries, variables: { ...a.job.variables, ...parseJson(req.variables) } };
        if (a.job.owner) {
          if (req.retries > 0) {
            const t = setTimeout(() => {
              this.backingOff.delete(req.jobKey);
              this.enqueue(again);
            }, f.retryBackOff);
            this.backingOff.set(req.jobKey, t);
          } else {
            a.job.owner.incident(req.errorMessage || "job failed with no retries left");
          }
        } else if (this.options.redeliverFailedJobs && req.retries > 0) {
          const t = setTimeout(() => {
            this.timers.delete(t);
            this.enqueue(again);
          }, f.retryBackOff);
          this.timers.add(t);
        }
        this.recorded("fail", f);
        return {};
      }),

      ThrowError: unary((req: { jobKey: string; errorCode: string; errorMessage: string; variables: string }) => {
        const a = this.active.get(req.jobKey);
        if (!a) throw notFound(req.jobKey);
        this.release(req.jobKey);
        const e: ThrownError = {
          jobKey: req.jobKey,
          job: a.job,
          errorCode: req.errorCode,
          errorMessage: req.errorMessage,
          variables: parseJson(req.variables),
        };
        this.errors.push(e);
        a.job.owner?.error(e.errorCode, e.errorMessage, e.variables);
        this.recorded("thrownError", e);
        return {};
      }),

      // Like Zeebe (message-buffer.ts): a message whose name, correlation key and id equal a message still
      // buffered is rejected with ALREADY_EXISTS and correlates nothing (recorded in duplicateMessages).
      PublishMessage: unary((req: { name: string; correlationKey: string; timeToLive: string; messageId: string; variables: string }) => {
        const m: PublishedMessage = {
          name: req.name,
          correlationKey: req.correlationKey,
          timeToLive: Number(req.timeToLive),
          messageId: req.messageId,
          variables: parseJson(req.variables),
        };
        let key: string;
        try {
          key = this.engine ? this.engine.publishMessage(m) : this.scriptedMessages.publish(m, () => this.startScriptedByMessage(m)).key;
        } catch (err) {
          if (err instanceof GatewayError && err.code === grpc.status.ALREADY_EXISTS) {
            this.duplicateMessages.push(m);
            this.recorded("duplicateMessage", m);
          }
          throw err;
        }
        this.messages.push(m);
        this.recorded("message", m);
        return { key, tenantId: "<default>" };
      }),

      CreateProcessInstance: unary((req: { bpmnProcessId: string; version: number; processDefinitionKey: string; variables: string }) => {
        const variables = parseJson(req.variables);
        if (this.engine) return instanceResponse(this.engine.createInstance({ ...req, variables }));
        const s: ProcessStart = { bpmnProcessId: req.bpmnProcessId, variables, processInstanceKey: newKey() };
        this.processStarts.push(s);
        this.recorded("processStart", s);
        return {
          processDefinitionKey: "2251799813685000",
          bpmnProcessId: req.bpmnProcessId,
          version: 1,
          processInstanceKey: s.processInstanceKey,
          tenantId: "<default>",
        };
      }),

      CreateProcessInstanceWithResult: unary(
        async (req: {
          request: { bpmnProcessId: string; version: number; processDefinitionKey: string; variables: string };
          requestTimeout: string;
          fetchVariables: string[];
        }) => {
          const i = this.executing().createInstance({ ...req.request, variables: parseJson(req.request.variables) });
          const ms = Number(req.requestTimeout) || 20000;
          await this.waitFor(() => i.state !== "ACTIVE", ms, "process completion").catch(() => {
            throw new GatewayError(grpc.status.DEADLINE_EXCEEDED, `Expected to complete process instance ${i.key} within ${ms} ms`);
          });
          const all = i.variables;
          const out = req.fetchVariables.length ? Object.fromEntries(req.fetchVariables.filter((n) => n in all).map((n) => [n, all[n]])) : all;
          return { ...instanceResponse(i), variables: JSON.stringify(out) };
        },
      ),

      CancelProcessInstance: unary((req: { processInstanceKey: string }) => {
        this.executing().cancel(req.processInstanceKey);
        return {};
      }),

      MigrateProcessInstance: unary(
        async (req: {
          processInstanceKey: string;
          migrationPlan: { targetProcessDefinitionKey: string; mappingInstructions: { sourceElementId: string; targetElementId: string }[] };
        }) => {
          await this.executing().migrate(req.processInstanceKey, req.migrationPlan.targetProcessDefinitionKey, req.migrationPlan.mappingInstructions);
          this.recorded("migrate", req);
          return {};
        },
      ),

      DeployResource: unary(async (req: { resources: { name: string; content: Buffer }[] }) => {
        const deployments: unknown[] = [];
        for (const r of req.resources) {
          const content = Buffer.from(r.content).toString("utf8");
          if (this.engine) {
            for (const d of await this.engine.deploy(r.name, content)) {
              deployments.push({
                process: { bpmnProcessId: d.bpmnProcessId, version: d.version, processDefinitionKey: d.key, resourceName: r.name, tenantId: "<default>" },
              });
            }
          } else {
            const id = /<bpmn:process[^>]*\sid="([^"]+)"/.exec(content)?.[1] ?? r.name;
            for (const name of messageStartNames(content)) this.messageStarts.set(name, id);
            deployments.push({ process: { bpmnProcessId: id, version: 1, processDefinitionKey: newKey(), resourceName: r.name, tenantId: "<default>" } });
          }
          this.deployments.push({ name: r.name, content });
        }
        this.recorded("deploy", deployments);
        return { key: newKey(), deployments, tenantId: "<default>" };
      }),
    };
  }
}
