import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterScopedName, labels, objectNames } from "./naming";

/** The only rules discovery needs: read Services and EndpointSlices, nothing else. */
export const DISCOVERY_RULES = [
  { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
];

export interface DiscoveryRbacArgs {
  /** Name of the orchestrator; prefixes every object name. */
  component: string;
  /** Namespace of the worker's ServiceAccount. */
  namespace: pulumi.Input<string>;
  /**
   * Namespaces to watch: empty means the worker's own (a Role named `<component>-discovery`); a list means a
   * Role per listed namespace named `<namespace>-<component>-discovery` after the worker's namespace, since
   * other stacks may watch the same namespace; `["*"]` means all (a ClusterRole named the same way).
   */
  watchNamespaces: readonly string[];
}

/**
 * The worker's ServiceAccount and the least rules for service discovery: a Role and RoleBinding per
 * watched namespace, or a ClusterRole only when every namespace is watched.
 */
export class DiscoveryRbac extends pulumi.ComponentResource {
  /** The worker's ServiceAccount. */
  public readonly serviceAccountName: pulumi.Output<string>;

  constructor(name: string, args: DiscoveryRbacArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:discovery:DiscoveryRbac", name, { watchNamespaces: [...args.watchNamespaces] }, opts);
    const names = objectNames(args.component);
    const meta = { labels: labels(args.component, "discovery") };
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-account`,
      {
        metadata: { ...meta, name: names.serviceAccount, namespace: args.namespace },
        automountServiceAccountToken: true,
      },
      { parent: this },
    );
    const subject = { kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace };

    if (args.watchNamespaces.includes("*")) {
      // Cluster-scoped: two stacks (or namespaces) with a component of the same name must not share it.
      const clusterName = pulumi.output(args.namespace).apply((namespace) => clusterScopedName(namespace, args.component, "discovery"));
      const role = new k8s.rbac.v1.ClusterRole(`${name}-clusterrole`, { metadata: { ...meta, name: clusterName }, rules: DISCOVERY_RULES }, { parent: this });
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-clusterrolebinding`,
        {
          metadata: { ...meta, name: clusterName },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
          subjects: [subject],
        },
        { parent: this },
      );
    } else {
      const namespaces: pulumi.Input<string>[] = args.watchNamespaces.length > 0 ? [...args.watchNamespaces] : [args.namespace];
      // A watched namespace may be watched by other stacks too: there the Role carries the worker's namespace,
      // as a cluster-scoped name does, so two stacks with a component of the same name never share one.
      const sharedName = pulumi.output(args.namespace).apply((namespace) => clusterScopedName(namespace, args.component, "discovery"));
      namespaces.forEach((namespace, index) => {
        const suffix = args.watchNamespaces.length > 0 ? `-${args.watchNamespaces[index]}` : "";
        const roleName = args.watchNamespaces.length > 0 ? sharedName : names.discoveryRole;
        const role = new k8s.rbac.v1.Role(
          `${name}-role${suffix}`,
          { metadata: { ...meta, name: roleName, namespace }, rules: DISCOVERY_RULES },
          { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
          `${name}-rolebinding${suffix}`,
          {
            metadata: { ...meta, name: roleName, namespace },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [subject],
          },
          { parent: this },
        );
      });
    }
    this.serviceAccountName = account.metadata.name;
    this.registerOutputs({ serviceAccountName: this.serviceAccountName });
  }
}
