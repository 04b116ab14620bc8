/** Job outcomes the worker counts that are not failures (a BPMN error is a business answer, not a fault). */
const HEALTHY_JOB_OUTCOMES = "completed|completed_from_log|bpmn_error";

/**
 * Alert rules over the worker's metrics (workers/src/metrics.ts names them; a test keeps the two in step).
 * `service` is the Knative Service name; the ServiceMonitor copies Knative's service label onto every
 * scraped series as `serving_knative_dev_service`, which the rules select on.
 */
export function workerAlertRules(service: string) {
  const selector = `serving_knative_dev_service="${service}"`;
  return [
    {
      name: `${service}.rules`,
      rules: [
        {
          alert: "OrchestratorCompensationFailing",
          expr: `sum(increase(worker_compensations_total{${selector},outcome=~"failed_retry|dead_lettered"}[10m])) > 0`,
          for: "0m",
          labels: { severity: "critical" },
          annotations: {
            summary: `Compensations of ${service} are failing`,
            description: "A saga could not undo a step; check the dead-letter topic and the Zeebe incidents.",
          },
        },
        {
          alert: "OrchestratorDeadLetterGrowing",
          expr: `sum(increase(worker_dead_letters_total{${selector}}[15m])) > 0`,
          for: "0m",
          labels: { severity: "warning" },
          annotations: { summary: `${service} wrote to its dead-letter topic`, description: "Records in the dead-letter topic need a replay or a manual fix." },
        },
        {
          alert: "OrchestratorJobFailureRateHigh",
          expr: `sum(rate(worker_jobs_total{${selector},outcome!~"${HEALTHY_JOB_OUTCOMES}"}[5m])) / clamp_min(sum(rate(worker_jobs_total{${selector}}[5m])), 1e-9) > 0.1`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: `More than 10% of ${service}'s jobs fail`,
            description: "Services called by the worker time out or fail; see the worker logs by job type.",
          },
        },
      ],
    },
  ];
}
