import { compensationSuccessRatio, HEALTHY_JOB_OUTCOMES, workerSelector } from "./worker-metrics";

/** Where the alerts draw the line, and which worker they watch; every field has a default. */
export interface AlertOptions {
  /** Namespace of the worker: the rules then select its series only (worker names repeat across namespaces). */
  namespace?: string;
  /**
   * Lowest acceptable share of compensations that end undone (rather than dead-lettered) over the last hour,
   * between 0 and 1. Default 0.95.
   */
  compensationSuccessRatio?: number;
  /** Inbound events the event bridge may be behind for 10 minutes before an alert. Default 1000. */
  consumerLag?: number;
  /** Unpublished outbox events above which a backlog that keeps growing for 10 minutes alerts. Default 1000. */
  outboxBacklog?: number;
  /** Age in seconds of the oldest unpublished outbox event that alerts (after 5 minutes). Default 300. */
  outboxMaxAgeSeconds?: number;
}

export const DEFAULT_ALERT_THRESHOLDS = { compensationSuccessRatio: 0.95, consumerLag: 1000, outboxBacklog: 1000, outboxMaxAgeSeconds: 300 };

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "warning" | "critical" };
  annotations: { summary: string; description: string };
}

/**
 * Alert rules over the worker's metrics (workers/src/metrics.ts names them; a test checks every metric and label
 * against the worker's registry, and `promtool test rules` proves when each alert fires and when it stays quiet).
 * `service` is the Knative Service name (see workerSelector).
 */
export function workerAlertRules(service: string, options: AlertOptions = {}): { name: string; rules: AlertRule[] }[] {
  const t = { ...DEFAULT_ALERT_THRESHOLDS, ...options };
  if (!(t.compensationSuccessRatio >= 0 && t.compensationSuccessRatio <= 1))
    throw new Error(`compensationSuccessRatio must be between 0 and 1, got ${t.compensationSuccessRatio}`);
  for (const key of ["consumerLag", "outboxBacklog", "outboxMaxAgeSeconds"] as const) {
    if (!(t[key] >= 0)) throw new Error(`${key} must be a number (0 or more), got ${t[key]}`);
  }
  const sel = workerSelector(service, options.namespace);
  const percent = `${Math.round(t.compensationSuccessRatio * 1000) / 10}%`;
  return [
    {
      name: `${service}.rules`,
      rules: [
        // Workflow execution and compensation.
        {
          alert: "OrchestratorCompensationFailing",
          expr: `sum(increase(worker_compensations_total{${sel},outcome=~"failed_retry|dead_lettered"}[10m])) > 0`,
          for: "0m",
          labels: { severity: "critical" },
          annotations: {
            summary: `Compensations of ${service} are failing`,
            description: "A saga could not undo a step; check the dead-letter topic and the Zeebe incidents.",
          },
        },
        {
          alert: "OrchestratorCompensationSuccessLow",
          expr: `${compensationSuccessRatio(sel, "1h")} < ${t.compensationSuccessRatio}`,
          for: "0m",
          labels: { severity: "critical" },
          annotations: {
            summary: `Fewer than ${percent} of ${service}'s compensations succeeded in the last hour`,
            description: "Compensations that run out of retries are dead-lettered: those sagas are left half undone until the dead letters are replayed.",
          },
        },
        {
          alert: "OrchestratorDeadLetterGrowing",
          expr: `sum(increase(worker_dead_letters_total{${sel}}[15m])) > 0`,
          for: "0m",
          labels: { severity: "warning" },
          annotations: { summary: `${service} wrote to its dead-letter topic`, description: "Records in the dead-letter topic need a replay or a manual fix." },
        },
        {
          alert: "OrchestratorJobFailureRateHigh",
          expr: `sum(rate(worker_jobs_total{${sel},outcome!~"${HEALTHY_JOB_OUTCOMES}"}[5m])) / clamp_min(sum(rate(worker_jobs_total{${sel}}[5m])), 1e-9) > 0.1`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: `More than 10% of ${service}'s jobs fail`,
            description: "Services called by the worker time out or fail; see the worker logs by job type.",
          },
        },
        // Service discovery.
        {
          alert: "OrchestratorDiscoveryWatchDown",
          expr: `worker_discovery_watch_connected{${sel}} == 0`,
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: `${service} cannot watch the labelled Services of a namespace`,
            description:
              "Discovery serves what it last listed; new, moved or removed Services go unnoticed. Check the worker's RBAC and the API server (worker log: service watch failed).",
          },
        },
        {
          alert: "OrchestratorNoServicesDiscovered",
          expr: `max(worker_discovery_services{${sel}}) == 0`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: `${service} knows no service to call`,
            description:
              "No Service in the watched namespaces carries the discovery label (orchestration.platform/managed=true): every call-microservice job fails as unknown service.",
          },
        },
        // Event streaming.
        {
          alert: "OrchestratorEventStreamingDisconnected",
          expr: `worker_event_bus_up{${sel}} == 0`,
          for: "2m",
          labels: { severity: "critical" },
          annotations: {
            summary: `${service} cannot reach its event bus`,
            description: "Step events are not published and inbound triggers, responses and errors are not consumed until the bus is back.",
          },
        },
        {
          alert: "OrchestratorOutboxBacklogGrowing",
          // Every replica reports the same table: max() over them.
          expr: `max(worker_outbox_backlog{${sel}}) > ${t.outboxBacklog} and delta(max(worker_outbox_backlog{${sel}})[10m:1m]) > 0`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: `${service}'s outbox holds more than ${t.outboxBacklog} unpublished events and keeps growing`,
            description:
              "Step events are written faster than the relay publishes them: the bus is slow or refuses some topics (worker log: outbox publish failed).",
          },
        },
        {
          alert: "OrchestratorOutboxStalled",
          expr: `max(worker_outbox_oldest_unpublished_age_seconds{${sel}}) > ${t.outboxMaxAgeSeconds}`,
          for: "5m",
          labels: { severity: "critical" },
          annotations: {
            summary: `${service} has not published an outbox event for more than ${t.outboxMaxAgeSeconds} s`,
            description:
              "The outbox relay cannot publish (bus unreachable, a topic missing or refusing writes): consumers of step events and dead letters see nothing new.",
          },
        },
        {
          alert: "OrchestratorConsumerLagHigh",
          expr: `max by (topic) (worker_event_consumer_lag{${sel}}) > ${t.consumerLag}`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: `${service}'s event bridge is more than ${t.consumerLag} events behind on a topic`,
            description: "Inbound events wait: processes start and messages correlate late. Check Zeebe's answers and the worker's CPU.",
          },
        },
      ],
    },
  ];
}
