// Every PromQL query the components ship (alert rules, dashboard panels) against the worker's real metric registry:
// each metric it selects is one the worker exports, each label it matches or groups by is one that metric (or the
// scrape) carries, and Prometheus' own promtool parses it. A renamed metric or label breaks the build, not a panel.
import * as assert from "assert";
import { workerAlertRules } from "../components/alert-rules";
import { dashboardQueries, RATE_WINDOW, workerDashboard } from "../components/dashboard";
import { Metrics } from "../workers/src/metrics";
import { checkRules, findPromtool, PROMTOOL_MISSING } from "./support/promtool";
import { inspectQuery } from "./support/promql";

/**
 * Labels the scrape adds to every series (prometheus-operator pkg/prometheus/promcfg.go, ServiceMonitor relabelings:
 * namespace, service, pod, container, job, endpoint; Prometheus adds instance), plus the ServiceMonitor's targetLabels.
 */
const SCRAPE_LABELS = ["namespace", "service", "pod", "container", "job", "endpoint", "instance", "serving_knative_dev_service"];

/** The series names the worker exposes, with their labels (a histogram as _bucket, _sum and _count). */
async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const metric of new Metrics(false).registry.getMetricsAsArray() as unknown as {
    get(): Promise<{ name: string; type: string }>;
    labelNames?: string[];
  }[]) {
    const { name, type } = await metric.get();
    const labels = metric.labelNames ?? [];
    if (type === "histogram") {
      out.set(`${name}_bucket`, new Set([...labels, "le"]));
      out.set(`${name}_sum`, new Set(labels));
      out.set(`${name}_count`, new Set(labels));
    } else out.set(name, new Set(labels));
  }
  return out;
}

/** What is wrong with one query against the exported series; empty when nothing is. */
function problems(expr: string, series: Map<string, Set<string>>): string[] {
  const use = inspectQuery(expr);
  const found: string[] = use.syntaxErrors.map((e) => `syntax error ${e}`);
  const labelsInScope = new Set(SCRAPE_LABELS);
  for (const s of use.selectors) {
    const labels = series.get(s.metric);
    if (!labels) {
      found.push(`metric ${s.metric || "(none)"} is not exported by the worker`);
      continue;
    }
    for (const l of labels) labelsInScope.add(l);
    for (const l of s.labels) if (!labels.has(l) && !SCRAPE_LABELS.includes(l)) found.push(`${s.metric} has no label ${l}`);
  }
  for (const l of use.grouping) if (!labelsInScope.has(l)) found.push(`grouping by ${l}, which none of the selected series carries`);
  return found;
}

const alertExprs = workerAlertRules("shop-worker", { namespace: "shop" })[0].rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }));
const dashboard = workerDashboard("checkout", "checkout-worker", { namespace: "shop" });
const panelExprs = dashboardQueries(dashboard).map((q, i, all) => ({
  where: `panel "${q.panel}"${all.filter((o) => o.panel === q.panel).length > 1 ? ` query ${all.slice(0, i).filter((o) => o.panel === q.panel).length + 1}` : ""}`,
  expr: q.expr,
}));
/** Grafana replaces its variables before Prometheus sees a query: do the same for the checks. */
const asPrometheusSees = (expr: string) => expr.split(RATE_WINDOW).join("5m");

describe("monitoring queries against the worker's metric registry", () => {
  let series: Map<string, Set<string>>;
  before(async () => {
    series = await exportedSeries();
  });

  for (const { where, expr } of [...alertExprs, ...panelExprs]) {
    it(`${where}: metrics and labels exist`, () => {
      assert.deepStrictEqual(problems(asPrometheusSees(expr), series), [], expr);
    });
  }

  it("a renamed metric, a renamed label or a broken expression is caught (the check can fail)", () => {
    assert.deepStrictEqual(problems('sum(rate(worker_job_total{outcome="completed"}[5m]))', series), ["metric worker_job_total is not exported by the worker"]);
    assert.deepStrictEqual(problems("sum by (process) (rate(worker_job_duration_seconds_count[5m]))", series), [
      "grouping by process, which none of the selected series carries",
    ]);
    assert.deepStrictEqual(problems('worker_discovery_watch_connected{namespace_watched="shop"} == 0', series), [
      "worker_discovery_watch_connected has no label namespace_watched",
    ]);
    assert.ok(problems("sum(rate(worker_jobs_total[5m])", series).some((p) => p.startsWith("syntax error")));
  });

  it("the dashboard covers what the brief names: workflow execution, compensation, discovery health, event streaming", () => {
    const rowTitles = dashboard.panels.filter((p) => p.type === "row").map((p) => p.title);
    assert.deepStrictEqual(rowTitles, ["Workflow execution", "Compensation", "Service discovery", "Event streaming"]);
    const used = new Set(panelExprs.flatMap(({ expr }) => inspectQuery(asPrometheusSees(expr)).selectors.map((s) => s.metric)));
    for (const metric of [
      "worker_job_duration_seconds_count",
      "worker_job_duration_seconds_bucket",
      "worker_compensations_total",
      "worker_discovery_watch_connected",
      "worker_discovery_services",
      "worker_event_bus_up",
      "worker_event_consumer_lag",
      "worker_event_publish_failures_total",
      "worker_outbox_backlog",
      "worker_outbox_oldest_unpublished_age_seconds",
    ]) {
      assert.ok(used.has(metric), `no panel shows ${metric}`);
    }
  });

  it("panels have unique ids, the data source variable, and do not overlap on the grid", () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.strictEqual(new Set(ids).size, ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      if (p.type !== "row") assert.deepStrictEqual(p.datasource, { type: "prometheus", uid: "${datasource}" }, p.title);
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
    assert.ok(dashboard.uid.length <= 40, dashboard.uid);
    assert.ok(workerDashboard("a-rather-long-orchestrator-component-name", "w", { namespace: "team-payments-production" }).uid.length <= 40);
  });

  it("Prometheus parses every query (promtool check rules over them as recording rules)", function () {
    const promtool = findPromtool();
    if (!promtool) {
      console.log(`    (skipped: ${PROMTOOL_MISSING})`);
      return this.skip();
    }
    const rules = {
      groups: [
        {
          name: "dashboard-queries",
          rules: [...alertExprs, ...panelExprs].map(({ expr }, i) => ({ record: `check:query_${i}`, expr: asPrometheusSees(expr) })),
        },
      ],
    };
    const r = checkRules(promtool, rules);
    assert.ok(r.ok, r.output);
  });
});
