// A Zeebe gateway test peer: a real gRPC server implementing the Gateway service from the
// zeebe.proto shipped in @camunda8/sdk. It hands out scripted jobs and records every call,
// so a worker can run its real SDK client against it over loopback.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { EventEmitter } from "events";
import * as path from "path";

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
}

export interface Completion { jobKey: string; job: PeerJob; variables: Record<string, unknown>; at: number; activatedAt: number }
export interface Failure { jobKey: string; job: PeerJob; retries: number; errorMessage: string; retryBackOff: number; at: number }
export interface ThrownError { jobKey: string; job: PeerJob; errorCode: string; errorMessage: string; variables: Record<string, unknown> }
export interface PublishedMessage { name: string; correlationKey: string; timeToLive: number; messageId: string; variables: Record<string, unknown> }
export interface ProcessStart {
  bpmnProcessId: string;
  variables: Record<string, unknown>;
  processInstanceKey: string;
  /** Set when a published message started it through a message start event of a deployed model. */
  startMessage?: string;
}
export interface DeployedResource { name: string; content: string }

export interface GatewayPeerOptions {
  /** Re-hand a failed job with retries > 0 after its retryBackOff, like Zeebe does. Default true. */
  redeliverFailedJobs?: boolean;
}

interface Waiter { maxJobs: number; call: grpc.ServerWritableStream<any, any>; timer?: NodeJS.Timeout }

let nextKey = 2251799813685248n; // Zeebe-like key range

function newKey(): string {
  nextKey += 1n;
  return nextKey.toString();
}

/** Names of the messages referenced by message start events of a model (enough for the shipped templates). */
function messageStartNames(xml: string): string[] {
  const names = new Map([...xml.matchAll(/<bpmn:message\b[^>]*?\bid="([^"]+)"[^>]*?\bname="([^"]+)"/g)].map((m) => [m[1], m[2]]));
  const refs = [...xml.matchAll(/<bpmn:startEvent\b(?:[^>]*\/>|[\s\S]*?<\/bpmn:startEvent>)/g)].flatMap((m) => [...m[0].matchAll(/messageRef="([^"]+)"/g)].map((r) => r[1]));
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
  readonly processStarts: ProcessStart[] = [];
  readonly deployments: DeployedResource[] = [];
  /** Number of ActivateJobs/StreamActivatedJobs jobs handed out (including redeliveries). */
  activations = 0;
  /** Jobs handed out again because their activation timed out. */
  timedOut = 0;
  /** When false, Topology answers UNAVAILABLE (for readiness tests). */
  healthy = true;

  private readonly queues = new Map<string, PeerJob[]>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly active = new Map<string, { job: PeerJob; activatedAt: number; timer: NodeJS.Timeout }>();
  private readonly dropCompletion = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Message name of each deployed message start event → its process id. */
  private readonly messageStarts = new Map<string, string>();
  /** Buffered messages with an id (name, correlation key, id) → end of their time to live. */
  private readonly bufferedIds = new Map<string, number>();

  private constructor(private readonly server: grpc.Server, readonly port: number, private readonly options: GatewayPeerOptions) {
    super();
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
    server.addService(proto.gateway_protocol.Gateway.service, peer.handlers());
    return peer;
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

  /** Hand out an already-known job again (as Zeebe does after a job timeout). */
  redeliver(job: PeerJob): void {
    this.enqueue({ ...job });
  }

  /**
   * The next CompleteJob for this job is answered NOT_FOUND, as Zeebe does when the job timed out
   * (e.g. the worker stalled or crashed before completing): the completion is lost.
   */
  loseCompletionOf(jobKey: string): void {
    this.dropCompletion.add(jobKey);
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
    for (const t of this.timers) clearTimeout(t);
    for (const a of this.active.values()) clearTimeout(a.timer);
    for (const ws of this.waiters.values()) for (const w of ws) this.endWaiter(w);
    this.waiters.clear();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }

  private enqueue(job: PeerJob): void {
    const q = this.queues.get(job.type) ?? [];
    q.push(job);
    this.queues.set(job.type, q);
    this.serveWaiters(job.type);
  }

  private recorded(kind: string, payload: unknown): void {
    this.emit(kind, payload);
    this.emit("recorded");
  }

  private toActivated(job: PeerJob, worker: string): Record<string, unknown> {
    return {
      key: job.key,
      type: job.type,
      processInstanceKey: job.processInstanceKey,
      bpmnProcessId: job.bpmnProcessId,
      processDefinitionVersion: 1,
      processDefinitionKey: "2251799813685000",
      elementId: job.elementId,
      elementInstanceKey: job.elementInstanceKey,
      customHeaders: JSON.stringify(job.customHeaders),
      worker,
      retries: job.retries,
      deadline: String(Date.now() + 60000),
      variables: job.rawVariables ?? JSON.stringify(job.variables),
      tenantId: "<default>",
    };
  }

  /** Hands out up to max jobs; like Zeebe, a job not completed/failed within `timeoutMs` is handed out again. */
  private take(type: string, max: number, worker: string, timeoutMs: number): Record<string, unknown>[] {
    const q = this.queues.get(type) ?? [];
    const batch = q.splice(0, max);
    const now = Date.now();
    for (const job of batch) {
      const timer = setTimeout(() => {
        if (this.active.get(job.key)?.timer !== timer) return;
        this.active.delete(job.key);
        this.timedOut += 1;
        this.enqueue(job);
      }, timeoutMs > 0 ? timeoutMs : 300000);
      timer.unref();
      this.active.set(job.key, { job, activatedAt: now, timer });
    }
    this.activations += batch.length;
    return batch.map((j) => this.toActivated(j, worker));
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
      const jobs = this.take(type, w.maxJobs, w.call.request.worker, Number(w.call.request.timeout));
      w.call.write({ jobs });
      this.endWaiter(w);
    }
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const unary = <Req, Res>(fn: (req: Req) => Res) =>
      (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
        try {
          cb(null, fn(call.request));
        } catch (e) {
          const err = e as grpc.ServiceError;
          cb({ code: err.code ?? grpc.status.INTERNAL, details: err.message } as grpc.ServiceError, null);
        }
      };
    const notFound = (jobKey: string) => Object.assign(new Error(`job ${jobKey} not activated`), { code: grpc.status.NOT_FOUND });

    return {
      Topology: unary(() => {
        if (!this.healthy) throw Object.assign(new Error("gateway unhealthy"), { code: grpc.status.UNAVAILABLE });
        return {
          brokers: [{ nodeId: 0, host: "127.0.0.1", port: 26501, version: "8.8.0", partitions: [{ partitionId: 1, role: "LEADER", health: "HEALTHY" }] }],
          clusterSize: 1, partitionsCount: 1, replicationFactor: 1, gatewayVersion: "8.8.0",
        };
      }),

      // Long polling: answer at once when jobs are queued, else hold the call until a job
      // arrives or requestTimeout passes.
      ActivateJobs: (call: grpc.ServerWritableStream<any, any>) => {
        const { type, maxJobsToActivate, requestTimeout } = call.request;
        if (this.pending(type) > 0) {
          call.write({ jobs: this.take(type, maxJobsToActivate, call.request.worker, Number(call.request.timeout)) });
          call.end();
          return;
        }
        const w: Waiter = { maxJobs: maxJobsToActivate, call };
        const ms = Number(requestTimeout);
        w.timer = setTimeout(() => {
          const ws = this.waiters.get(type) ?? [];
          const i = ws.indexOf(w);
          if (i >= 0) ws.splice(i, 1);
          this.endWaiter(w);
        }, ms > 0 ? ms : 10000);
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
        this.recorded("complete", c);
        return {};
      }),

      FailJob: unary((req: { jobKey: string; retries: number; errorMessage: string; retryBackOff: string; variables: string }) => {
        const a = this.active.get(req.jobKey);
        if (!a) throw notFound(req.jobKey);
        this.release(req.jobKey);
        const f: Failure = { jobKey: req.jobKey, job: a.job, retries: req.retries, errorMessage: req.errorMessage, retryBackOff: Number(req.retryBackOff), at: Date.now() };
        this.failures.push(f);
        if (this.options.redeliverFailedJobs && req.retries > 0) {
          const t = setTimeout(() => {
            this.timers.delete(t);
            // Zeebe merges FailJob variables into the scope; it never replaces the job's variables.
            this.enqueue({ ...a.job, retries: req.retries, variables: { ...a.job.variables, ...parseJson(req.variables) } });
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
        const e: ThrownError = { jobKey: req.jobKey, job: a.job, errorCode: req.errorCode, errorMessage: req.errorMessage, variables: parseJson(req.variables) };
        this.errors.push(e);
        this.recorded("thrownError", e);
        return {};
      }),

      // Like Zeebe (docs 8.8 "Message uniqueness"): a message whose name, correlation key and id equal a message
      // still buffered (TTL > 0 and not expired) is rejected with ALREADY_EXISTS and correlates nothing.
      PublishMessage: unary((req: { name: string; correlationKey: string; timeToLive: string; messageId: string; variables: string }) => {
        const m: PublishedMessage = { name: req.name, correlationKey: req.correlationKey, timeToLive: Number(req.timeToLive), messageId: req.messageId, variables: parseJson(req.variables) };
        const id = `${m.name}\u0000${m.correlationKey}\u0000${m.messageId}`;
        if (m.messageId && (this.bufferedIds.get(id) ?? 0) > Date.now()) {
          throw Object.assign(new Error(`message with id '${m.messageId}' is already published and buffered`), { code: grpc.status.ALREADY_EXISTS });
        }
        if (m.messageId && m.timeToLive > 0) this.bufferedIds.set(id, Date.now() + m.timeToLive);
        this.messages.push(m);
        this.recorded("message", m);
        const startsProcess = this.messageStarts.get(m.name);
        if (startsProcess) {
          const s: ProcessStart = { bpmnProcessId: startsProcess, variables: m.variables, processInstanceKey: newKey(), startMessage: m.name };
          this.processStarts.push(s);
          this.recorded("processStart", s);
        }
        return { key: newKey(), tenantId: "<default>" };
      }),

      CreateProcessInstance: unary((req: { bpmnProcessId: string; variables: string }) => {
        const s: ProcessStart = { bpmnProcessId: req.bpmnProcessId, variables: parseJson(req.variables), processInstanceKey: newKey() };
        this.processStarts.push(s);
        this.recorded("processStart", s);
        return { processDefinitionKey: "2251799813685000", bpmnProcessId: req.bpmnProcessId, version: 1, processInstanceKey: s.processInstanceKey, tenantId: "<default>" };
      }),

      DeployResource: unary((req: { resources: { name: string; content: Buffer }[] }) => {
        const deployments = req.resources.map((r) => {
          const content = Buffer.from(r.content).toString("utf8");
          this.deployments.push({ name: r.name, content });
          const id = /<bpmn:process[^>]*\sid="([^"]+)"/.exec(content)?.[1] ?? r.name;
          for (const name of messageStartNames(content)) this.messageStarts.set(name, id);
          return { process: { bpmnProcessId: id, version: 1, processDefinitionKey: newKey(), resourceName: r.name, tenantId: "<default>" } };
        });
        this.recorded("deploy", deployments);
        return { key: newKey(), deployments, tenantId: "<default>" };
      }),
    };
  }
}
