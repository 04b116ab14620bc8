// Where Operate (process analytics) is, for the stack outputs and the Istio exposure. Pure.

/** The camunda-platform chart values (chart 13.x) that decide whether and where the web apps serve Operate. */
export interface OperateChartValues {
  /** `global.noSecondaryStorage` (default false): engine-only mode, which drops the operate profile. */
  global?: { noSecondaryStorage?: boolean };
  /** The orchestration cluster's values (`orchestration.*`). */
  orchestration?: {
    /** `orchestration.contextPath` (default ""): the web apps' Spring context path. */
    contextPath?: string;
    /** `orchestration.profiles.operate` (default true). */
    profiles?: { operate?: boolean };
  };
}

/**
 * Why the orchestration cluster would not serve Operate with these values, or undefined when it does: chart 13.x
 * activates the `operate` Spring profile only while `orchestration.profiles.operate` is on and
 * `global.noSecondaryStorage` is off (`orchestration.enabledProfiles`, templates/orchestration/_helpers.tpl).
 */
export function operateOffReason(values: OperateChartValues = {}): string | undefined {
  if (values.orchestration?.profiles?.operate === false) return "the chart values turn Operate off (orchestration.profiles.operate: false)";
  if (values.global?.noSecondaryStorage === true)
    return "the chart values run without secondary storage (global.noSecondaryStorage: true), which turns Operate off";
  return undefined;
}

/**
 * Operate's path on the orchestration cluster's HTTP port: `<contextPath>/operate` (chart 13.x
 * templates/orchestration/files/_application-unified.yaml: `server.servlet.context-path`, and Operate's
 * `redirectRootUrl` = `<redirect URL>/operate`).
 */
export function operatePath(values: OperateChartValues = {}): string {
  return `${contextPath(values.orchestration?.contextPath)}/operate`;
}

/**
 * Operate of an embedded orchestration cluster: chart 13.x (Camunda 8.8) serves it from the orchestration cluster
 * itself, on the gateway Service's HTTP port, at {@link operatePath}. `restBase` is the gateway's HTTP base
 * (`http://<svc>.<ns>.svc.cluster.local:8080`). Undefined when the values turn Operate off.
 */
export function embeddedOperateUrl(restBase: string, values: OperateChartValues = {}): string | undefined {
  if (operateOffReason(values)) return undefined;
  return `${restBase.replace(/\/+$/, "")}${operatePath(values)}`;
}

/**
 * The web apps' public root behind a host of their own (`https://<host><contextPath>`): the chart's
 * `orchestration.security.authentication.oidc.redirectUrl`, to which an OIDC login returns (`<root>/sso-callback`).
 */
export function publicWebAppsRoot(host: string, values: OperateChartValues = {}): string {
  return `https://${host}${contextPath(values.orchestration?.contextPath)}`;
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
