// Where Operate (process analytics) is, for the stack outputs and the Istio exposure. Pure.

/** The orchestration values of the camunda-platform chart that decide Operate's path and presence. */
export interface OperateChartValues {
  /** `orchestration.contextPath` (default ""): the web apps' Spring context path. */
  contextPath?: string;
  /** `orchestration.profiles.operate` (default true). */
  profiles?: { operate?: boolean };
}

/**
 * Operate of an embedded orchestration cluster: chart 13.x (Camunda 8.8) serves it from the orchestration cluster
 * itself, on the gateway Service's HTTP port, at `<contextPath>/operate` (templates/orchestration/files/
 * _application-unified.yaml: `server.servlet.context-path`, Operate's `redirectRootUrl` = `<http address>/operate`),
 * while the `operate` profile is on. `restBase` is the gateway's HTTP base (`http://<svc>.<ns>.svc.cluster.local:8080`).
 * Undefined when a stack turned the profile off.
 */
export function embeddedOperateUrl(restBase: string, values: OperateChartValues = {}): string | undefined {
  if (values.profiles?.operate === false) return undefined;
  return `${restBase.replace(/\/+$/, "")}${contextPath(values.contextPath)}/operate`;
}

/** The context path as the chart joins it: "" or "/<path>" without a trailing slash. */
export function contextPath(path: string | undefined): string {
  const trimmed = (path ?? "").replace(/^\/+|\/+$/g, "");
  return trimmed ? `/${trimmed}` : "";
}

/** Operate of a Camunda 8 SaaS cluster: `https://<region>.operate.camunda.io/<clusterId>` (the Console's cluster links). */
export function saasOperateUrl(clusterId: string, region: string): string {
  return `https://${region}.operate.camunda.io/${clusterId}`;
}
