import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { workerAlertRules } from "./alert-rules";
import { labels, objectNames } from "./naming";

export interface MonitoringArgs {
  /** Name of the orchestrator; prefixes every object name. */
  component: string;
  /** Namespace of the ServiceMonitor and the PrometheusRule (the worker's). */
  namespace: pulumi.Input<string>;
  /** Name of the worker's Knative Service. */
  workerServiceName: string;
  /**
   * Extra labels on the ServiceMonitor and the PrometheusRule, for the Prometheus that should pick them up: a
   * default kube-prometheus-stack selects both by `release: <its Helm release name>`.
   */
  labels?: Record<string, string>;
}

/** Prometheus Operator objects: scraping of the worker's /metrics and alert rules on them. */
export class Monitoring extends pulumi.ComponentResource {
  /** Name of the PrometheusRule. */
  public readonly alertRulesName: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:monitoring:Monitoring", name, {}, opts);
    const names = objectNames(args.component);
    const meta = { namespace: args.namespace, labels: { ...args.labels, ...labels(args.component, "monitoring") } };
    new k8s.apiextensions.CustomResource(
      `${name}-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { ...meta, name: names.serviceMonitor },
        spec: {
          // Knative labels the Services of every revision with the Knative Service's name.
          selector: { matchLabels: { "serving.knative.dev/service": args.workerServiceName, "networking.internal.knative.dev/serviceType": "Private" } },
          endpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
          targetLabels: ["serving.knative.dev/service"],
        },
      },
      { parent: this },
    );
    const rules = new k8s.apiextensions.CustomResource(
      `${name}-alerts`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { ...meta, name: names.alertRules },
        spec: { groups: workerAlertRules(args.workerServiceName) },
      },
      { parent: this },
    );
    this.alertRulesName = rules.metadata.name;
    this.registerOutputs({ alertRulesName: this.alertRulesName });
  }
}
