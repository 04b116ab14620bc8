// What the alert rules and the dashboard agree on about the worker's metrics (workers/src/metrics.ts names them).

/**
 * Job outcomes that are not failures: a BPMN error is a business answer, a step in progress in another delivery
 * and a compensation held back for the reverse order are waits, not faults.
 */
export const HEALTHY_JOB_OUTCOMES = "completed|completed_from_log|bpmn_error|step_in_progress|held_back";

/** Compensation jobs that ended having undone what was on record (or found nothing to undo). */
export const COMPENSATED_OUTCOMES = "succeeded|nothing_to_undo";
/** Compensation jobs that ended without undoing: out of retries, dead-lettered. */
export const NOT_COMPENSATED_OUTCOMES = "dead_lettered";

/**
 * The label matchers of one orchestrator's worker series. The ServiceMonitor copies Knative's service label onto
 * every scraped series as `serving_knative_dev_service`; `namespace` is the scrape target's (the worker's) namespace.
 */
export function workerSelector(service: string, namespace?: string): string {
  return namespace ? `serving_knative_dev_service="${service}",namespace="${namespace}"` : `serving_knative_dev_service="${service}"`;
}

/** Share of compensations that ended undone over `window` (NaN, so no value, while none ended). */
export function compensationSuccessRatio(selector: string, window: string): string {
  return (
    `sum(increase(worker_compensations_total{${selector},outcome=~"${COMPENSATED_OUTCOMES}"}[${window}]))` +
    ` / sum(increase(worker_compensations_total{${selector},outcome=~"${COMPENSATED_OUTCOMES}|${NOT_COMPENSATED_OUTCOMES}"}[${window}]))`
  );
}
