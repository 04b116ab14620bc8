// Wires the worker together: saga log, discovery, Zeebe job workers, events and the ops server.
import type { Logger } from "pino";
import { ConfigError, type Config } from "./config";
import { unservedTaskTypes } from "./contract";
import { deployWorkflows, readWorkflows, taskTypesOf, WorkflowFile } from "./deploy";
import { inClusterKubeConfig, KubernetesDiscovery, resolveNamespaces } from "./discovery/kubernetes";
import { ServiceRegistry, staticRegistry } from "./discovery/registry";
import type { EventBus } from "./events/bus";
import { topicNames } from "./events/bus";
import { bridgeTopics, DEFAULT_BRIDGE_GROUP } from "./events/bridge";
import type { HandlerDeps } from "./handlers/context";
import { ExtraHandler, JobWorkers } from "./job-workers";
import { ReadinessCheck, startOpsServer, withTimeout } from "./http-server";
import { Metrics } from "./metrics";
import { publicApi } from "./public-api";
import { errorText, redact } from "./redact";
import { knativeRevisionSource, RevisionSource, SupersessionWatch, watchSupersession } from "./rollout";
import { SagaLogAvailability } from "./saga/availability";
import { migrate } from "./saga/migrations";
import { SagaLog } from "./saga/log";
import { withTracedWrites } from "./saga/traced";
import { OutboxRelay } from "./outbox/relay";
import { StepEvents } from "./step-events";
import { tracingEnabled } from "./tracing";
import { createZeebeClient, ZeebeClient } from "./zeebe";

export interface WorkerOverrides {
  /** Event bus to publish to (required when ENABLE_EVENT_STREAMING=true). */
  bus?: EventBus;
  registry?: ServiceRegistry;
  /** Extra task handlers (e.g. publish-and-wait), by task type. */
  extraHandlers?: (zeebe: ZeebeClient) => Record<string, ExtraHandler>;
  /** Started after the job workers (e.g. the inbound event bridge); gets the models deployed at start-up. */
  afterStart?: (zeebe: ZeebeClient, models: WorkflowFile[]) => Promise<void>;
  /** Run when the worker retires (a newer revision took over), after its jobs drained: e.g. close the event bridge. */
  afterRetire?: () => Promise<void>;
  /** Where to learn the newest ready revision; default: the Knative Service named by K_SERVICE. */
  revisionSource?: RevisionSource;
  /** More dependencies /actuator/ready checks (e.g. the de-duplication Redis). */
  readinessChecks?: Record<string, ReadinessCheck>;
  defaultMetrics?: boolean;
}

export interface RunningWorker {
  port: number;
  metrics: Metrics;
  saga: SagaLog;
  jobWorkers: JobWorkers;
  deployed: string[];
  /** Resolves with the newer revision once this one retired: activation stopped, jobs drained, not ready any more. */
  retired: Promise<string>;
  /** Publishes the outbox (step events, dead letters) when event streaming is on. */
  outbox?: OutboxRelay;
  /** Stops activation, drains running jobs for up to drainMs, closes everything. Returns jobs abandoned. */
  stop(drainMs?: number): Promise<number>;
}

/**
 * Refuses models with a task type this worker does not serve: their instances would wait for a job worker that
 * never comes, with no incident to show it.
 */
export function checkServed(files: WorkflowFile[], config: Pick<Config, "SAGA_PATTERNS" | "ENABLE_EVENT_STREAMING" | "WORKFLOWS_DIR">): void {
  const by = { sagaPatterns: config.SAGA_PATTERNS, eventStreaming: config.ENABLE_EVENT_STREAMING };
  const problems = files.flatMap((f) =>
    unservedTaskTypes(f.content.toString("utf8"), by).map((u) => `${f.name} uses task type ${u.type}, which this worker does not serve: ${u.reason}`),
  );
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid configuration: WORKFLOWS_DIR ${config.WORKFLOWS_DIR}: ${problems.join("; ")}; change SAGA_PATTERNS or ENABLE_EVENT_STREAMING, or remove the model`,
    );
  }
}

const CLEANUP_BOUND_MS = 1000;

async function retrying<T>(what: string, log: Logger, fn: () => Promise<T>, deadlineMs: number): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw new Error(`${what} failed: ${redact(String((err as Error)?.message ?? err))}`);
      log.warn({ err: errorText(err), attempt: i }, `${what} failed; retrying`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** i)));
    }
  }
}

export async function startWorker(config: Config, log: Logger, overrides: WorkerOverrides = {}): Promise<RunningWorker> {
  if (config.ENABLE_EVENT_STREAMING && !overrides.bus) throw new Error("ENABLE_EVENT_STREAMING=true needs an event bus");
  const files = readWorkflows(config.WORKFLOWS_DIR);
  checkServed(files, config);
  const metrics = new Metrics(overrides.defaultMetrics ?? true);
  const cleanups: (() => Promise<unknown>)[] = [];

  // The ops server listens first: liveness answers from the first moment (a slow migration is not a dead process),
  // readiness says what start-up still waits for, and turns UP only once the models are deployed and the job
  // workers are open, which is when Knative may hand over to this revision.
  let phase = "saga log migration";
  let checks: () => Record<string, ReadinessCheck> = () => ({
    startup: async () => {
      throw new Error(`starting: ${phase}`);
    },
  });
  // The public API (what an Istio Gateway may expose) serves only while the worker does.
  let serving: { zeebe: ZeebeClient; processIds: Set<string> } | undefined;
  const api = publicApi({ zeebe: () => serving?.zeebe, processIds: () => serving?.processIds ?? new Set() }, log);
  let liveness: () => string[] = () => [];
  const ops = await startOpsServer(
    config.PORT,
    metrics.registry,
    () => checks(),
    () => liveness(),
    undefined,
    api,
  );
  cleanups.push(() => ops.close());
  const pool = SagaLog.connect(config.DATABASE_URL);
  const saga = new SagaLog(pool);
  cleanups.push(() => pool.end());
  try {
    const applied = await retrying("saga log migration", log, () => migrate(pool), 30000);
    log.info({ applied }, "saga log schema ready");

    phase = "service discovery";
    const registry = overrides.registry ?? (await createRegistry(config, log, metrics));
    cleanups.push(() => registry.close());
    const countServices = () => metrics.discoveryServices.set(registry.known().length);
    registry.onChange(countServices);
    countServices();

    phase = "workflow deployment";
    const zeebe = createZeebeClient(config);
    cleanups.push(() => zeebe.close());
    const deployed = await retrying("workflow deployment", log, () => deployWorkflows(zeebe, files), 60000);
    log.info({ deployed, dir: config.WORKFLOWS_DIR }, "workflows deployed");

    phase = "job workers";
    const bus = config.ENABLE_EVENT_STREAMING ? overrides.bus : undefined;
    const events = new StepEvents(bus ? topicNames(config.TOPICS_PREFIX) : undefined);
    const outbox = bus
      ? new OutboxRelay({
          pool,
          bus,
          metrics,
          log,
          batchSize: config.OUTBOX_BATCH_SIZE,
          pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
          retentionMs: config.OUTBOX_RETENTION_MS,
        })
      : undefined;
    if (outbox) {
      outbox.start();
      cleanups.push(() => outbox.stop()); // runs before pool.end (cleanups run in reverse)
    }
    if (bus) watchEventBus(metrics, bus, config);
    const availability = new SagaLogAvailability(() => saga.ping());
    cleanups.push(async () => availability.close());
    const deps: HandlerDeps = { config, registry, saga: tracingEnabled() ? withTracedWrites(saga) : saga, availability, metrics, events, log };
    const extra = overrides.extraHandlers?.(zeebe) ?? {};
    const jobWorkers = new JobWorkers(zeebe, deps, config, log, extra);
    const ensureAll = () => jobWorkers.ensure([...new Set([...taskTypesOf(files), ...Object.keys(extra), ...jobWorkers.typesForServices(registry.known())])]);
    registry.onChange(ensureAll);
    ensureAll();
    if (overrides.afterStart) await overrides.afterStart(zeebe, files);

    let stopping = false;
    let retiredBy: string | undefined;
    checks = () => ({
      zeebe: async () => void (await zeebe.topology()),
      postgres: () => saga.ping(),
      ...(bus ? { eventBus: () => bus.ping() } : {}),
      ...overrides.readinessChecks,
      ...(retiredBy
        ? {
            rollout: async () => {
              throw new Error(`retired: revision ${retiredBy} took over`);
            },
          }
        : {}),
      ...(stopping
        ? {
            shutdown: async () => {
              throw new Error("shutting down");
            },
          }
        : {}),
    });
    liveness = () => jobWorkers.stalled().map((type) => `job worker ${type} stalled: it holds job slots no handler uses and fetches no jobs`);

    let retire: (latest: string) => void = () => undefined;
    const retired = new Promise<string>((resolve) => {
      retire = (latest) => {
        retiredBy = latest;
        log.info({ own: config.K_REVISION, latest }, "a newer revision is ready: no new jobs here, draining the running ones");
        void (async () => {
          // Step events and dead letters of the drained jobs are in the outbox: its relay keeps publishing them.
          const abandoned = await jobWorkers.stop(config.SHUTDOWN_DRAIN_MS);
          await overrides.afterRetire?.().catch((err) => log.warn({ err: errorText(err) }, "after-retire hook failed"));
          log.info({ abandoned }, "retired");
          resolve(latest);
        })();
      };
    });
    const watch = await startRolloutWatch(config, log, overrides, (latest) => {
      serving = undefined;
      retire(latest);
    });
    serving = { zeebe, processIds: new Set(deployed.map((d) => d.slice(0, d.lastIndexOf("@")))) };
    if (watch) cleanups.push(async () => watch.stop());

    return {
      port: ops.port,
      metrics,
      saga,
      jobWorkers,
      deployed,
      retired,
      outbox,
      stop: async (drainMs = config.SHUTDOWN_DRAIN_MS) => {
        stopping = true;
        serving = undefined;
        watch?.stop();
        const abandoned = await jobWorkers.stop(drainMs);
        if (abandoned > 0) log.warn({ abandoned }, "drain bound reached; remaining jobs will time out and be redelivered");
        // Bounded: the SDK's close waits for every running job, which the drain bound already gave up on.
        for (const c of cleanups.reverse()) {
          await withTimeout(c(), CLEANUP_BOUND_MS, "cleanup").catch((err) => log.warn({ err: errorText(err) }, "cleanup failed"));
        }
        return abandoned;
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

/** Streaming connectivity metrics: the bus answers, and how far the bridge's consumer group is behind. */
function watchEventBus(metrics: Metrics, bus: EventBus, config: Config): void {
  const inbound = bridgeTopics(topicNames(config.TOPICS_PREFIX));
  metrics.watchEventBus({
    kind: config.EVENT_BUS,
    group: DEFAULT_BRIDGE_GROUP,
    ping: () => bus.ping(),
    consumerLag: async () => (bus.consumerLag ? bus.consumerLag(DEFAULT_BRIDGE_GROUP, inbound) : {}),
  });
}

/** On Knative (K_SERVICE and K_REVISION set), watches for a newer ready revision; elsewhere nothing to hand over to. */
async function startRolloutWatch(
  config: Config,
  log: Logger,
  overrides: WorkerOverrides,
  onSuperseded: (latest: string) => void,
): Promise<SupersessionWatch | undefined> {
  if (!config.K_SERVICE || !config.K_REVISION) return undefined;
  const source = overrides.revisionSource ?? (await knativeRevisionSource(inClusterKubeConfig(), config.K_SERVICE));
  return watchSupersession({ own: config.K_REVISION, source, intervalMs: config.ROLLOUT_POLL_MS, log, onSuperseded });
}

async function createRegistry(config: Config, log: Logger, metrics: Metrics): Promise<ServiceRegistry> {
  if (config.DISCOVERY_STATIC_SERVICES) {
    log.info({ services: Object.keys(config.DISCOVERY_STATIC_SERVICES) }, "static service map (no Kubernetes watch)");
    return staticRegistry(config.DISCOVERY_STATIC_SERVICES);
  }
  const disc = new KubernetesDiscovery({
    kubeConfig: inClusterKubeConfig(),
    labelSelector: config.DISCOVERY_LABEL_SELECTOR,
    namespaces: resolveNamespaces(config.DISCOVERY_NAMESPACES),
    precedence: config.DISCOVERY_NAMESPACES.filter((ns) => ns !== "*"),
    log,
    metrics,
  });
  await disc.start();
  log.info({ services: disc.known() }, "service discovery started");
  return disc;
}
