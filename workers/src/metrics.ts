// Prometheus metrics of the worker (one registry per worker instance, so tests stay independent).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({ name: "worker_jobs_total", help: "Jobs handled, by task type and outcome", labelNames: ["type", "outcome"], registers: [this.registry] });
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
  readonly retries = new Counter({ name: "worker_retries_total", help: "Jobs failed for retry with backoff, by service and reason", labelNames: ["service", "reason"], registers: [this.registry] });
  readonly compensations = new Counter({ name: "worker_compensations_total", help: "Compensations, by service and outcome", labelNames: ["service", "outcome"], registers: [this.registry] });
  readonly deadLetters = new Counter({ name: "worker_dead_letters_total", help: "Compensations sent to the dead-letter topic", labelNames: ["service"], registers: [this.registry] });
  readonly deduplicated = new Counter({ name: "worker_redeliveries_served_from_log_total", help: "Redelivered jobs completed from the saga log without calling again", labelNames: ["service"], registers: [this.registry] });
  readonly eventPublishFailures = new Counter({ name: "worker_event_publish_failures_total", help: "Events that could not be published", labelNames: ["topic"], registers: [this.registry] });
  readonly discoveryNameCollisions = new Counter({
    name: "worker_discovery_name_collisions_total",
    help: "Labelled Services refused because a Service in another namespace owns their name, by service and refused namespace",
    labelNames: ["service", "refused_namespace"],
    registers: [this.registry],
  });
  readonly discoveryRefusedClaims = new Gauge({ name: "worker_discovery_refused_claims", help: "Labelled Services currently refused because another namespace owns their name", registers: [this.registry] });
  readonly discoveryOwnerChanges = new Counter({ name: "worker_discovery_owner_changes_total", help: "Service names that moved to a Service in another namespace", labelNames: ["service"], registers: [this.registry] });
  readonly discoveryMalformedObjects = new Counter({ name: "worker_discovery_malformed_objects_total", help: "Malformed Services skipped by discovery, by source (list or watch)", labelNames: ["source"], registers: [this.registry] });
  readonly unhandledRejections = new Counter({ name: "worker_unhandled_rejections_total", help: "Promise rejections no code handled (each one is a bug, logged)", registers: [this.registry] });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
