// The Monitoring component: what Prometheus Operator and Grafana's dashboard sidecar pick up for one orchestrator.
import { strict as assert } from "assert";
import { Monitoring } from "../components";
import { workerAlertRules } from "../components/alert-rules";
import { workerDashboard } from "../components/dashboard";
import { at, ofType, runProgram, single } from "./support/mock-program";

const K = {
  configMap: "kubernetes:core/v1:ConfigMap",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
};

describe("Monitoring", () => {
  it('a dashboard ConfigMap labelled for Grafana\'s sidecar (grafana_dashboard: "1" by default) holding the generated dashboard', async () => {
    const run = await runProgram(() => {
      const m = new Monitoring("shop-monitoring", { component: "shop", namespace: "ns", workerServiceName: "shop-worker" });
      return { rules: m.alertRulesName, dashboard: m.dashboardConfigMapName };
    });
    const configMap = single(run.resources, K.configMap);
    assert.equal(at(configMap, "metadata.name"), "shop-dashboard");
    assert.equal(at(configMap, "metadata.namespace"), "ns");
    assert.equal(at(configMap, "metadata.labels.grafana_dashboard"), "1");
    const json = at(configMap, "data")["shop-dashboard.json"];
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(workerDashboard("shop", "shop-worker", { namespace: "ns" }))));
    assert.equal(run.outputs.dashboard, "shop-dashboard");
  });

  it("the sidecar label and the ConfigMap's namespace are configurable; the dashboard can be left out", async () => {
    const run = await runProgram(() => {
      new Monitoring("a-monitoring", {
        component: "a",
        namespace: "ns",
        workerServiceName: "a-worker",
        dashboard: { label: { key: "team.example.com/dashboard", value: "orchestration" }, namespace: "grafana" },
      });
      new Monitoring("b-monitoring", { component: "b", namespace: "ns", workerServiceName: "b-worker", dashboard: false });
      return {};
    });
    const configMaps = ofType(run.resources, K.configMap);
    assert.equal(configMaps.length, 1);
    assert.deepEqual(at(configMaps[0], "metadata.labels")["team.example.com/dashboard"], "orchestration");
    assert.equal(at(configMaps[0], "metadata.labels").grafana_dashboard, undefined);
    assert.equal(at(configMaps[0], "metadata.namespace"), "grafana");
  });

  it("alert rules select the worker of this namespace, with the stack's thresholds", async () => {
    const run = await runProgram(() => ({
      rules: new Monitoring("shop-monitoring", {
        component: "shop",
        namespace: "ns",
        workerServiceName: "shop-worker",
        alertThresholds: { compensationSuccessRatio: 0.9 },
      }).alertRulesName,
    }));
    const groups = at(single(run.resources, K.prometheusRule), "spec.groups");
    assert.deepEqual(groups, workerAlertRules("shop-worker", { namespace: "ns", compensationSuccessRatio: 0.9 }));
    for (const rule of groups[0].rules) assert.match(rule.expr, /serving_knative_dev_service="shop-worker",namespace="ns"/);
  });

  it("the ServiceMonitor keeps the worker's own `service` label (the called microservice) over the target's", async () => {
    const run = await runProgram(() => ({
      m: new Monitoring("shop-monitoring", { component: "shop", namespace: "ns", workerServiceName: "shop-worker" }).alertRulesName,
    }));
    assert.equal(at(single(run.resources, K.serviceMonitor), "spec.endpoints.0.honorLabels"), true);
  });
});
