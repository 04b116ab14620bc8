// The alert rules under real PromQL evaluation: `promtool test rules` over synthetic series proves when each alert
// fires and when it stays quiet. The rules file is the one the PrometheusRule carries (workerAlertRules), never a copy.
import * as assert from "assert";
import { AlertRule, workerAlertRules } from "../components/alert-rules";
import { checkRules, findPromtool, PROMTOOL_MISSING, testRules } from "./support/promtool";

const SVC = "shop-worker";
const LENIENT = "lenient-worker";
/** Labels every scraped series carries: the ServiceMonitor's target labels. */
const target = (service: string) => ({ serving_knative_dev_service: service, namespace: "shop", pod: `${service}-00001-deployment-7d9f`, service });
const rules = { groups: [...workerAlertRules(SVC), ...workerAlertRules(LENIENT, { compensationSuccessRatio: 0.85, consumerLag: 10_000 })] };

function rule(alert: string, service = SVC): AlertRule {
  const found = rules.groups.find((g) => g.name === `${service}.rules`)?.rules.find((r) => r.alert === alert);
  if (!found) throw new Error(`no rule ${alert} for ${service}`);
  return found;
}

/** One input series in promtool's notation; `labels` add to (or override) the target labels. */
function series(name: string, labels: Record<string, string>, values: string, service = SVC): { series: string; values: string } {
  const all = { ...target(service), ...labels };
  return {
    series: `${name}{${Object.entries(all)
      .map(([k, v]) => `${k}="${v}"`)
      .join(",")}}`,
    values,
  };
}

const firing = (alert: string, at: string, labels: Record<string, string> = {}, service = SVC) => {
  const r = rule(alert, service);
  return { eval_time: at, alertname: alert, exp_alerts: [{ exp_labels: { ...labels, ...r.labels }, exp_annotations: r.annotations }] };
};
const quiet = (alert: string, at: string) => ({ eval_time: at, alertname: alert, exp_alerts: [] });

interface Scenario {
  what: string;
  input_series: { series: string; values: string }[];
  alert_rule_test: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
}

const scenarios: Scenario[] = [
  {
    what: "compensation failing: fires while a failed attempt is in the last 10 minutes, quiet before and after",
    input_series: [series("worker_compensations_total", { service: "payment", outcome: "failed_retry" }, "0 0 1x30")],
    alert_rule_test: [
      quiet("OrchestratorCompensationFailing", "1m"),
      firing("OrchestratorCompensationFailing", "5m"),
      quiet("OrchestratorCompensationFailing", "25m"),
    ],
  },
  {
    what: "compensations that succeed raise nothing",
    input_series: [
      series("worker_compensations_total", { service: "payment", outcome: "succeeded" }, "0+3x60"),
      series("worker_compensations_total", { service: "stock", outcome: "nothing_to_undo" }, "0+1x60"),
    ],
    alert_rule_test: [
      quiet("OrchestratorCompensationFailing", "30m"),
      quiet("OrchestratorCompensationSuccessLow", "30m"),
      quiet("OrchestratorDeadLetterGrowing", "30m"),
    ],
  },
  {
    what: "compensation success of 90% is below the default 95% (fires) and above a stack's 85% (quiet)",
    input_series: [
      series("worker_compensations_total", { service: "payment", outcome: "succeeded" }, "0+9x60"),
      series("worker_compensations_total", { service: "payment", outcome: "dead_lettered" }, "0+1x60"),
      series("worker_compensations_total", { service: "payment", outcome: "succeeded" }, "0+9x60", LENIENT),
      series("worker_compensations_total", { service: "payment", outcome: "dead_lettered" }, "0+1x60", LENIENT),
    ],
    alert_rule_test: [firing("OrchestratorCompensationSuccessLow", "30m")],
  },
  {
    what: "compensation success of 99%, or 95% counting those with nothing to undo, is not below 95%",
    input_series: [
      series("worker_compensations_total", { service: "payment", outcome: "succeeded" }, "0+99x60"),
      series("worker_compensations_total", { service: "payment", outcome: "dead_lettered" }, "0+1x60"),
      series("worker_compensations_total", { service: "payment", outcome: "succeeded" }, "0+10x60", LENIENT),
      series("worker_compensations_total", { service: "stock", outcome: "nothing_to_undo" }, "0+9x60", LENIENT),
      series("worker_compensations_total", { service: "payment", outcome: "dead_lettered" }, "0+1x60", LENIENT),
    ],
    alert_rule_test: [quiet("OrchestratorCompensationSuccessLow", "30m")],
  },
  {
    what: "a dead letter raises a warning for 15 minutes",
    input_series: [series("worker_dead_letters_total", { service: "payment" }, "0 0 1x30")],
    alert_rule_test: [
      quiet("OrchestratorDeadLetterGrowing", "1m"),
      firing("OrchestratorDeadLetterGrowing", "5m"),
      quiet("OrchestratorDeadLetterGrowing", "30m"),
    ],
  },
  {
    what: "20% of jobs failing for more than 10 minutes fires; pending before",
    input_series: [
      series("worker_jobs_total", { type: "call-microservice-payment", outcome: "completed" }, "0+8x30"),
      series("worker_jobs_total", { type: "call-microservice-payment", outcome: "failed_retry" }, "0+2x30"),
    ],
    alert_rule_test: [quiet("OrchestratorJobFailureRateHigh", "8m"), firing("OrchestratorJobFailureRateHigh", "20m")],
  },
  {
    what: "jobs that wait (a step in progress elsewhere, a compensation held back for order) are not failures",
    input_series: [
      series("worker_jobs_total", { type: "call-microservice-payment", outcome: "completed" }, "0+5x30"),
      series("worker_jobs_total", { type: "call-microservice-payment", outcome: "step_in_progress" }, "0+5x30"),
      series("worker_jobs_total", { type: "compensate-payment", outcome: "held_back" }, "0+5x30"),
      series("worker_jobs_total", { type: "call-microservice-payment", outcome: "bpmn_error" }, "0+5x30"),
    ],
    alert_rule_test: [quiet("OrchestratorJobFailureRateHigh", "20m")],
  },
  {
    what: "a discovery watch down for more than 5 minutes fires for that pod and namespace; a restart blip does not",
    input_series: [
      series("worker_discovery_watch_connected", { watched_namespace: "shop" }, "1 1 0x10"),
      series("worker_discovery_watch_connected", { watched_namespace: "payments" }, "1 0 0 0 1x10"),
    ],
    alert_rule_test: [
      quiet("OrchestratorDiscoveryWatchDown", "4m"),
      firing("OrchestratorDiscoveryWatchDown", "9m", { ...target(SVC), watched_namespace: "shop" }),
    ],
  },
  {
    what: "no service known for 10 minutes fires; services known is quiet",
    input_series: [series("worker_discovery_services", {}, "0x20"), series("worker_discovery_services", {}, "3x20", LENIENT)],
    alert_rule_test: [quiet("OrchestratorNoServicesDiscovered", "5m"), firing("OrchestratorNoServicesDiscovered", "15m")],
  },
  {
    what: "the event bus unreachable for more than 2 minutes fires; a one-minute blip does not",
    input_series: [series("worker_event_bus_up", { bus: "kafka" }, "1 0x10"), series("worker_event_bus_up", { bus: "kafka" }, "1 0 1x10", LENIENT)],
    alert_rule_test: [
      quiet("OrchestratorEventStreamingDisconnected", "2m"),
      firing("OrchestratorEventStreamingDisconnected", "5m", { ...target(SVC), bus: "kafka" }),
    ],
  },
  {
    what: "the bridge 5000 events behind for more than 10 minutes fires per topic (default 1000); a stack allowing 10000 stays quiet; a backlog worked off is quiet",
    input_series: [
      series("worker_event_consumer_lag", { topic: "shop.triggers", group: "event-bridge" }, "5000x20"),
      series("worker_event_consumer_lag", { topic: "shop.responses", group: "event-bridge" }, "5000x5 0x15"),
      series("worker_event_consumer_lag", { topic: "shop.triggers", group: "event-bridge" }, "5000x20", LENIENT),
    ],
    alert_rule_test: [quiet("OrchestratorConsumerLagHigh", "5m"), firing("OrchestratorConsumerLagHigh", "15m", { topic: "shop.triggers" })],
  },
  {
    what: "an outbox backlog above 1000 that keeps growing for 10 minutes fires; pending before",
    input_series: [series("worker_outbox_backlog", {}, "0+50x60"), series("worker_outbox_backlog", { pod: "shop-worker-00001-deployment-other" }, "0+40x60")],
    alert_rule_test: [quiet("OrchestratorOutboxBacklogGrowing", "25m"), firing("OrchestratorOutboxBacklogGrowing", "40m")],
  },
  {
    what: "a large outbox backlog being worked off, or a small one, is quiet",
    input_series: [series("worker_outbox_backlog", {}, "5000-100x50"), series("worker_outbox_backlog", {}, "0 40 0 80 0 120 0x40", LENIENT)],
    alert_rule_test: [quiet("OrchestratorOutboxBacklogGrowing", "40m")],
  },
  {
    what: "an outbox event unpublished for more than 5 minutes, for 5 minutes, fires; events published within seconds are quiet",
    input_series: [
      series("worker_outbox_oldest_unpublished_age_seconds", {}, "0+60x20"),
      series("worker_outbox_oldest_unpublished_age_seconds", {}, "0 2 0 1 0x20", LENIENT),
    ],
    alert_rule_test: [quiet("OrchestratorOutboxStalled", "8m"), firing("OrchestratorOutboxStalled", "15m")],
  },
];

describe("alert rules under promtool", function () {
  let promtool: string;
  before(function () {
    const found = findPromtool();
    if (!found) {
      console.log(`    (skipped: ${PROMTOOL_MISSING})`);
      return this.skip();
    }
    promtool = found;
  });

  it("the rules file is valid for Prometheus (promtool check rules)", () => {
    const r = checkRules(promtool, rules);
    assert.ok(r.ok, r.output);
  });

  for (const s of scenarios) {
    it(s.what, () => {
      const r = testRules(promtool, rules, [{ interval: "1m", input_series: s.input_series, alert_rule_test: s.alert_rule_test }]);
      assert.ok(r.ok, `promtool test rules failed:\n${r.output}`);
    });
  }

  it("every alert has a scenario where it fires and one where it stays quiet", () => {
    const checks = scenarios.flatMap((s) => s.alert_rule_test);
    for (const r of workerAlertRules(SVC)[0].rules) {
      assert.ok(
        checks.some((c) => c.alertname === r.alert && c.exp_alerts.length > 0),
        `${r.alert} is never shown firing`,
      );
      assert.ok(
        checks.some((c) => c.alertname === r.alert && c.exp_alerts.length === 0),
        `${r.alert} is never shown quiet`,
      );
    }
  });

  it("a wrong expectation fails (the harness can fail)", () => {
    const r = testRules(promtool, rules, [
      {
        interval: "1m",
        input_series: [series("worker_event_bus_up", { bus: "kafka" }, "1x10")],
        alert_rule_test: [firing("OrchestratorEventStreamingDisconnected", "5m", { ...target(SVC), bus: "kafka" })],
      },
    ]);
    assert.strictEqual(r.ok, false);
    assert.match(r.output, /OrchestratorEventStreamingDisconnected/);
  });
});

describe("alert thresholds", () => {
  it("refuse a success ratio outside 0..1 and a negative count, naming the setting", () => {
    assert.throws(() => workerAlertRules(SVC, { compensationSuccessRatio: 95 }), /compensationSuccessRatio must be between 0 and 1, got 95/);
    assert.throws(() => workerAlertRules(SVC, { consumerLag: -1 }), /consumerLag must be a number \(0 or more\), got -1/);
  });
});
