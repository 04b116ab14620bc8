// Prometheus metrics of the worker (one registry per worker instance, so tests stay independent).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the streaming metrics ask the event bus at scrape time. */
export interface EventBusProbe {
  kind: string;
  /** Throws when the bus is unreachable. */
  ping(): Promise<void>;
  /** Per topic: records the group has yet to process (not delivered, or delivered and not acknowledged). */
  consumerLag(): Promise<Record<string, number>>;
  group: string;
}

const PROBE_TIMEOUT_MS = 2000;
const bounded = <T>(p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("probe timed out")), PROBE_TIMEOUT_MS).unref())]);

export class Metrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: "worker_jobs_total",
    help: "Jobs handled, by task type and outcome",
    labelNames: ["type", "outcome"],
    registers: [this.registry],
  });
  readonly callDuration = new Histogram({
    name: "worker_call_duration_seconds",
    help: "Microservice call latency, by service, call kind and outcome",
    labelNames: ["service", "kind", "outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: "worker_job_duration_seconds",
    help: "Time from a job's activation to the worker's answer (complete, fail or BPMN error), by process, task type and outcome",
    labelNames: ["bpmn_process_id", "type", "outcome"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: "worker_retries_total",
    help: "Jobs failed for retry with backoff, by service and reason",
    labelNames: ["service", "reason"],
    registers: [this.registry],
  });
  readonly compensations = new Counter({
    name: "worker_compensations_total",
    help: "Compensations, by service and outcome",
    labelNames: ["service", "outcome"],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: "worker_dead_letters_total",
    help: "Compensations sent to the dead-letter topic",
    labelNames: ["service"],
    registers: [this.registry],
  });
  readonly deduplicated = new Counter({
    name: "worker_redeliveries_served_from_log_total",
    help: "Redelivered jobs completed from the saga log without calling again",
    labelNames: ["service"],
    registers: [this.registry],
  });
  readonly eventPublishFailures = new Counter({
    name: "worker_event_publish_failures_total",
    help: "Event publish attempts that failed (the outbox retries them)",
    labelNames: ["topic"],
    registers: [this.registry],
  });
  readonly outboxPublished = new Counter({
    name: "worker_outbox_published_total",
    help: "Outbox events published to the bus",
    labelNames: ["topic"],
    registers: [this.registry],
  });
  readonly outboxBacklog = new Gauge({
    name: "worker_outbox_backlog",
    help: "Outbox events not yet published (all replicas; refreshed every 5 s)",
    registers: [this.registry],
  });
  readonly outboxOldestAge = new Gauge({
    name: "worker_outbox_oldest_unpublished_age_seconds",
    help: "Age of the oldest unpublished outbox event (0 when none)",
    registers: [this.registry],
  });
  readonly discoveryNameCollisions = new Counter({
    name: "worker_discovery_name_collisions_total",
    help: "Labelled Services refused because a Service in another namespace owns their name, by service and refused namespace",
    labelNames: ["service", "refused_namespace"],
    registers: [this.registry],
  });
  readonly discoveryRefusedClaims = new Gauge({
    name: "worker_discovery_refused_claims",
    help: "Labelled Services currently refused because another namespace owns their name",
    registers: [this.registry],
  });
  readonly discoveryOwnerChanges = new Counter({
    name: "worker_discovery_owner_changes_total",
    help: "Service names that moved to a Service in another namespace",
    labelNames: ["service"],
    registers: [this.registry],
  });
  readonly discoveryMalformedObjects = new Counter({
    name: "worker_discovery_malformed_objects_total",
    help: "Malformed Services skipped by discovery, by source (list or watch)",
    labelNames: ["source"],
    registers: [this.registry],
  });
  readonly discoveryServices = new Gauge({
    name: "worker_discovery_services",
    help: "Service names discovery currently resolves (labelled Services, or the static map)",
    registers: [this.registry],
  });
  readonly discoveryWatchConnected = new Gauge({
    name: "worker_discovery_watch_connected",
    help: '1 while the Service watch of a watched namespace ("*": all) is connected, 0 while it fails or restarts',
    labelNames: ["watched_namespace"],
    registers: [this.registry],
  });
  readonly discoveryLastList = new Gauge({
    name: "worker_discovery_last_list_timestamp_seconds",
    help: "When discovery last listed the Services of a watched namespace successfully (at start, and on every re-list), Unix time",
    labelNames: ["watched_namespace"],
    registers: [this.registry],
  });
  readonly discoveryWatchFailures = new Counter({
    name: "worker_discovery_watch_failures_total",
    help: "Failed Service lists or watches of a watched namespace (each one restarts the watch with a backoff)",
    labelNames: ["watched_namespace"],
    registers: [this.registry],
  });
  readonly eventBusUp = new Gauge({
    name: "worker_event_bus_up",
    help: "1 when the event bus answered a ping at the last scrape, 0 when it did not",
    labelNames: ["bus"],
    registers: [this.registry],
    collect: async () => {
      const probe = await this.probeEventBus();
      this.eventBusUp.reset();
      if (probe) this.eventBusUp.set({ bus: probe.kind }, probe.up ? 1 : 0);
    },
  });
  readonly eventConsumerLag = new Gauge({
    name: "worker_event_consumer_lag",
    help: "Inbound events the event bridge's consumer group has yet to process, per topic (none reported when the bus cannot tell)",
    labelNames: ["topic", "group"],
    registers: [this.registry],
    collect: async () => {
      const probe = await this.probeEventBus();
      this.eventConsumerLag.reset();
      for (const [topic, lag] of Object.entries(probe?.lag ?? {})) this.eventConsumerLag.set({ topic, group: probe!.group }, lag);
    },
  });
  readonly unhandledRejections = new Counter({
    name: "worker_unhandled_rejections_total",
    help: "Promise rejections no code handled (each one is a bug, logged)",
    registers: [this.registry],
  });

  private eventBus?: EventBusProbe;
  private eventBusCacheMs = 0;
  private lastProbe?: { at: number; result: Promise<{ kind: string; group: string; up: boolean; lag?: Record<string, number> }> };

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Reports the bus's reachability and consumer lag from now on; one probe serves the scrapes of cacheMs. */
  watchEventBus(probe: EventBusProbe, cacheMs = 5000): void {
    this.eventBus = probe;
    this.eventBusCacheMs = cacheMs;
    this.lastProbe = undefined;
  }

  private probeEventBus(): Promise<{ kind: string; group: string; up: boolean; lag?: Record<string, number> }> | undefined {
    const bus = this.eventBus;
    if (!bus) return undefined;
    const now = Date.now();
    if (!this.lastProbe || now - this.lastProbe.at >= this.eventBusCacheMs) {
      const result = (async () => {
        const [up, lag] = await Promise.all([
          bounded(bus.ping()).then(
            () => true,
            () => false,
          ),
          bounded(bus.consumerLag()).then(
            (l) => l,
            () => undefined,
          ),
        ]);
        return { kind: bus.kind, group: bus.group, up, lag };
      })();
      this.lastProbe = { at: now, result };
    }
    return this.lastProbe.result;
  }
}
