import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertOptions, workerAlertRules } from "./alert-rules";
import { GRAFANA_SIDECAR_LABEL, workerDashboard } from "./dashboard";
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
  /** Where the alerts draw the line (compensation success ratio, consumer lag, outbox backlog); defaults in alert-rules.ts. */
  alertThresholds?: Omit<AlertOptions, "namespace">;
  /**
   * The Grafana dashboard as a ConfigMap for Grafana's dashboard sidecar; `false` leaves it out. `label` is what the
   * sidecar selects on (default `grafana_dashboard: "1"`, kube-prometheus-stack's), `namespace` where the ConfigMap
   * goes (default the worker's: kube-prometheus-stack's sidecar searches every namespace).
   */
  dashboard?: false | DashboardPlacement;
}

/** Where the dashboard ConfigMap goes and how Grafana's sidecar finds it. */
export interface DashboardPlacement {
  /** The label the sidecar selects on; default `grafana_dashboard: "1"`. */
  label?: SidecarLabel;
  /** Namespace of the ConfigMap; default the worker's. */
  namespace?: pulumi.Input<string>;
}

/** One Kubernetes label. */
export interface SidecarLabel {
  /** Label key, e.g. `grafana_dashboard`. */
  key: string;
  /** Label value, e.g. `1`. */
  value: string;
}

/** Prometheus Operator objects: scraping of the worker's /metrics and alert rules on them. */
export class Monitoring extends pulumi.ComponentResource {
  /** Name of the PrometheusRule. */
  public readonly alertRulesName: pulumi.Output<string>;
  /** Name of the ConfigMap holding the Grafana dashboard; undefined without a dashboard. */
  public readonly dashboardConfigMapName: pulumi.Output<string | undefined>;

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
          // honorLabels: the worker's own `service` label (the microservice called) is kept rather than renamed
          // `exported_service` under the scrape target's `service` label (the Knative private Service).
          endpoints: [{ port: "http", path: "/metrics", interval: "30s", honorLabels: true }],
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
        spec: { groups: pulumi.output(args.namespace).apply((namespace) => workerAlertRules(args.workerServiceName, { ...args.alertThresholds, namespace })) },
      },
      { parent: this },
    );
    this.alertRulesName = rules.metadata.name;

    if (args.dashboard === false) {
      this.dashboardConfigMapName = pulumi.output(undefined);
    } else {
      const label = args.dashboard?.label ?? GRAFANA_SIDECAR_LABEL;
      const dashboard = new k8s.core.v1.ConfigMap(
        `${name}-dashboard`,
        {
          metadata: {
            name: names.dashboard,
            namespace: args.dashboard?.namespace ?? args.namespace,
            labels: { ...meta.labels, [label.key]: label.value },
          },
          data: pulumi.output(args.namespace).apply((namespace) => ({
            [`${names.dashboard}.json`]: JSON.stringify(workerDashboard(args.component, args.workerServiceName, { namespace }), null, 2),
          })),
        },
        { parent: this },
      );
      this.dashboardConfigMapName = dashboard.metadata.name;
    }
    this.registerOutputs({ alertRulesName: this.alertRulesName, dashboardConfigMapName: this.dashboardConfigMapName });
  }
}
