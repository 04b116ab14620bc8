// The Grafana dashboard of one orchestrator (pure: JSON only), over the worker's metrics: workflow execution,
// compensation, service discovery and event streaming. A test checks every query against the worker's metric
// registry and has promtool parse it, so a renamed metric or label breaks the build, not the dashboard.
import { compensationSuccessRatio, HEALTHY_JOB_OUTCOMES, workerSelector } from "./worker-metrics";

export interface DashboardOptions {
  /** Namespace of the worker: the queries then select its series only. */
  namespace?: string;
  /** Dashboard title; default `Camunda orchestrator <component>` (plus the namespace when given). */
  title?: string;
}

export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: { type: "prometheus"; uid: string };
}

export interface DashboardPanel {
  id: number;
  type: "row" | "timeseries" | "stat";
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: "prometheus"; uid: string };
  targets?: DashboardTarget[];
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  options?: Record<string, unknown>;
  collapsed?: boolean;
  panels?: DashboardPanel[];
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  editable: boolean;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: Record<string, unknown>[] };
  panels: DashboardPanel[];
}

/**
 * The label Grafana's dashboard sidecar selects ConfigMaps by in kube-prometheus-stack (values.yaml
 * `grafana.sidecar.dashboards.label: grafana_dashboard`, `labelValue: "1"`, `searchNamespace: ALL`; chart 88.5.3).
 */
export const GRAFANA_SIDECAR_LABEL = { key: "grafana_dashboard", value: "1" };

/** The Prometheus data source is picked in the dashboard (variable `datasource`), the default one preselected. */
const DATASOURCE = { type: "prometheus" as const, uid: "${datasource}" };
/** Grafana's rate window: at least four scrape intervals of the data source. */
export const RATE_WINDOW = "$__rate_interval";

interface Query {
  expr: string;
  legend: string;
}
interface PanelSpec {
  title: string;
  description: string;
  queries: Query[];
  unit?: string;
  kind?: "timeseries" | "stat";
  min?: number;
  max?: number;
  thresholds?: { value: number; color: string }[];
}
interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

function rows(service: string, namespace?: string): RowSpec[] {
  const s = workerSelector(service, namespace);
  const rate = (metric: string, extra = "") => `rate(${metric}{${s}${extra}}[${RATE_WINDOW}])`;
  return [
    {
      title: "Workflow execution",
      panels: [
        {
          title: "Jobs by process and outcome",
          unit: "ops",
          description:
            "Jobs answered per second, by BPMN process id and what the worker answered (completed, bpmn_error, failed_retry, incident, handed_back...).",
          queries: [{ expr: `sum by (bpmn_process_id, outcome) (${rate("worker_job_duration_seconds_count")})`, legend: "{{bpmn_process_id}} {{outcome}}" }],
        },
        {
          title: "Job duration (p50, p95) by process",
          unit: "s",
          description: "Time from a job's activation to the worker's answer: the saga step's duration as the worker sees it.",
          queries: [
            {
              expr: `histogram_quantile(0.5, sum by (le, bpmn_process_id) (${rate("worker_job_duration_seconds_bucket")}))`,
              legend: "p50 {{bpmn_process_id}}",
            },
            {
              expr: `histogram_quantile(0.95, sum by (le, bpmn_process_id) (${rate("worker_job_duration_seconds_bucket")}))`,
              legend: "p95 {{bpmn_process_id}}",
            },
          ],
        },
        {
          title: "Failing jobs",
          unit: "percentunit",
          description: "Share of jobs that failed (alert OrchestratorJobFailureRateHigh above 10% for 10 minutes); waits and BPMN errors are not failures.",
          min: 0,
          max: 1,
          queries: [
            {
              expr: `sum(${rate("worker_jobs_total", `,outcome!~"${HEALTHY_JOB_OUTCOMES}"`)}) / clamp_min(sum(${rate("worker_jobs_total")}), 1e-9)`,
              legend: "failing",
            },
          ],
        },
        {
          title: "Service call latency p95",
          unit: "s",
          description: "Microservice calls and compensation calls, by service.",
          queries: [
            { expr: `histogram_quantile(0.95, sum by (le, service, kind) (${rate("worker_call_duration_seconds_bucket")}))`, legend: "{{service}} {{kind}}" },
          ],
        },
        {
          title: "Retries by service and reason",
          unit: "ops",
          description: "Jobs failed with a backoff, and why (transient, saga_log_unavailable, compensation).",
          queries: [{ expr: `sum by (service, reason) (${rate("worker_retries_total")})`, legend: "{{service}} {{reason}}" }],
        },
        {
          title: "Redeliveries answered from the saga log",
          unit: "ops",
          description: "Jobs Zeebe handed out again (a timeout, a crash) that the saga log answered without calling the service twice.",
          queries: [{ expr: `sum by (service) (${rate("worker_redeliveries_served_from_log_total")})`, legend: "{{service}}" }],
        },
      ],
    },
    {
      title: "Compensation",
      panels: [
        {
          title: "Compensation success (1 h)",
          kind: "stat",
          unit: "percentunit",
          min: 0,
          max: 1,
          description: "Compensations that ended undone, of those that ended (alert OrchestratorCompensationSuccessLow).",
          thresholds: [
            { value: 0, color: "red" },
            { value: 0.95, color: "green" },
          ],
          queries: [{ expr: compensationSuccessRatio(s, "1h"), legend: "success" }],
        },
        {
          title: "Compensations by service and outcome",
          unit: "ops",
          description: "succeeded, nothing_to_undo, held_back (waiting for the reverse order), failed_retry, dead_lettered.",
          queries: [{ expr: `sum by (service, outcome) (${rate("worker_compensations_total")})`, legend: "{{service}} {{outcome}}" }],
        },
        {
          title: "Dead letters (1 h)",
          kind: "stat",
          unit: "short",
          description: "Compensations given up and written to the dead-letter topic: each needs a replay.",
          thresholds: [
            { value: 0, color: "green" },
            { value: 1, color: "red" },
          ],
          queries: [{ expr: `sum(increase(worker_dead_letters_total{${s}}[1h]))`, legend: "dead letters" }],
        },
      ],
    },
    {
      title: "Service discovery",
      panels: [
        {
          title: "Services known",
          kind: "stat",
          unit: "short",
          description: "Service names the worker resolves (labelled Services or the static map).",
          queries: [{ expr: `max(worker_discovery_services{${s}})`, legend: "services" }],
        },
        {
          title: "Watch connected",
          kind: "stat",
          unit: "short",
          min: 0,
          max: 1,
          description: "1 when every replica's watch of every watched namespace is connected (alert OrchestratorDiscoveryWatchDown).",
          thresholds: [
            { value: 0, color: "red" },
            { value: 1, color: "green" },
          ],
          queries: [{ expr: `min by (watched_namespace) (worker_discovery_watch_connected{${s}})`, legend: "{{watched_namespace}}" }],
        },
        {
          title: "Time since the last list",
          unit: "s",
          description: "Discovery lists at start and whenever it must re-list (a watch that lost its place).",
          queries: [{ expr: `time() - max by (watched_namespace) (worker_discovery_last_list_timestamp_seconds{${s}})`, legend: "{{watched_namespace}}" }],
        },
        {
          title: "Watch failures and name collisions",
          unit: "short",
          description: "Failed lists or watches (restarted with a backoff); Services refused because another namespace owns their name.",
          queries: [
            {
              expr: `sum by (watched_namespace) (increase(worker_discovery_watch_failures_total{${s}}[${RATE_WINDOW}]))`,
              legend: "watch failures {{watched_namespace}}",
            },
            {
              expr: `sum by (service, refused_namespace) (increase(worker_discovery_name_collisions_total{${s}}[${RATE_WINDOW}]))`,
              legend: "collision {{service}} in {{refused_namespace}}",
            },
            { expr: `max(worker_discovery_refused_claims{${s}})`, legend: "refused claims" },
          ],
        },
      ],
    },
    {
      title: "Event streaming",
      panels: [
        {
          title: "Event bus reachable",
          kind: "stat",
          unit: "short",
          min: 0,
          max: 1,
          description: "1 when every replica reaches the bus (alert OrchestratorEventStreamingDisconnected).",
          thresholds: [
            { value: 0, color: "red" },
            { value: 1, color: "green" },
          ],
          queries: [{ expr: `min by (bus) (worker_event_bus_up{${s}})`, legend: "{{bus}}" }],
        },
        {
          title: "Bridge consumer lag",
          unit: "short",
          description: "Inbound triggers, responses and errors the event bridge has yet to process (alert OrchestratorConsumerLagHigh).",
          queries: [{ expr: `max by (topic) (worker_event_consumer_lag{${s}})`, legend: "{{topic}}" }],
        },
        {
          title: "Outbox backlog",
          unit: "short",
          description: "Step events and dead letters written but not yet published (alerts OrchestratorOutboxBacklogGrowing, OrchestratorOutboxStalled).",
          queries: [
            { expr: `max(worker_outbox_backlog{${s}})`, legend: "unpublished events" },
            { expr: `max(worker_outbox_oldest_unpublished_age_seconds{${s}})`, legend: "oldest unpublished (s)" },
          ],
        },
        {
          title: "Published and failed publishes by topic",
          unit: "ops",
          description: "Events the outbox relay published, and publish attempts that failed (retried).",
          queries: [
            { expr: `sum by (topic) (${rate("worker_outbox_published_total")})`, legend: "published {{topic}}" },
            { expr: `sum by (topic) (${rate("worker_event_publish_failures_total")})`, legend: "failed {{topic}}" },
          ],
        },
      ],
    },
  ];
}

/** Lays the rows out on Grafana's 24-column grid: a row header, then its panels three (or four stats) to a line. */
function layout(specs: RowSpec[]): DashboardPanel[] {
  const panels: DashboardPanel[] = [];
  let id = 1;
  let y = 0;
  for (const row of specs) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    let x = 0;
    let lineHeight = 0;
    for (const p of row.panels) {
      const kind = p.kind ?? "timeseries";
      const w = kind === "stat" ? 6 : 8;
      const h = kind === "stat" ? 5 : 8;
      if (x + w > 24) {
        x = 0;
        y += lineHeight;
        lineHeight = 0;
      }
      panels.push({
        id: id++,
        type: kind,
        title: p.title,
        description: p.description,
        gridPos: { h, w, x, y },
        datasource: DATASOURCE,
        targets: p.queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), expr: q.expr, legendFormat: q.legend, datasource: DATASOURCE })),
        fieldConfig: {
          defaults: {
            unit: p.unit ?? "short",
            ...(p.min !== undefined && { min: p.min }),
            ...(p.max !== undefined && { max: p.max }),
            ...(p.thresholds && { thresholds: { mode: "absolute", steps: p.thresholds.map((t, i) => ({ color: t.color, value: i === 0 ? null : t.value })) } }),
          },
          overrides: [],
        },
        options:
          kind === "stat"
            ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background" }
            : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
      });
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return panels;
}

/** Grafana uids are at most 40 characters: the component's name, shortened with a hash of the whole when needed. */
export function dashboardUid(component: string, namespace?: string): string {
  const full = `camunda-orchestrator-${namespace ? `${namespace}-` : ""}${component}`;
  if (full.length <= 40) return full;
  let hash = 0;
  for (const ch of full) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) >>> 0;
  return `co-${full.slice("camunda-orchestrator-".length, 28)}-${hash.toString(16).padStart(8, "0")}`;
}

/** The dashboard of one orchestrator: `component` names it, `service` is its worker's Knative Service. */
export function workerDashboard(component: string, service: string, options: DashboardOptions = {}): GrafanaDashboard {
  return {
    uid: dashboardUid(component, options.namespace),
    title: options.title ?? `Camunda orchestrator ${component}${options.namespace ? ` (${options.namespace})` : ""}`,
    tags: ["camunda-orchestrator", "camunda", "saga"],
    schemaVersion: 39,
    editable: false,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    templating: { list: [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0 }] },
    panels: layout(rows(service, options.namespace)),
  };
}

/** Every PromQL expression of a dashboard, with the panel it belongs to. */
export function dashboardQueries(dashboard: GrafanaDashboard): { panel: string; expr: string }[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
}
