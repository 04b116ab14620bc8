import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KnativeWorkerSpecInputs, knativeWorkerSpec } from "./knative";
import { labels, objectNames } from "./naming";
import { dependsOnWith } from "./workload";

/** What the worker may read of its own Knative Service: whether a newer revision is ready (blue/green hand-over). */
export const ROLLOUT_RULE = { apiGroups: ["serving.knative.dev"], resources: ["services"], verbs: ["get"] };

export interface WorkerServiceArgs extends KnativeWorkerSpecInputs {
  /** Name of the orchestrator; prefixes every object name. */
  component: string;
  /** Namespace of the Knative Service. */
  namespace: pulumi.Input<string>;
}

/**
 * The bundled worker as a Knative Service (serving.knative.dev/v1), visible only inside the cluster (an Istio
 * Gateway in front of it is the deliberate way to expose it), and the right to read that one Service: a worker
 * stops taking jobs, after draining the ones it holds, once a newer revision is ready (see the README's rollout
 * section). Knative's HPA class never scales a superseded revision to zero itself.
 */
export class WorkerService extends pulumi.ComponentResource {
  /** Name of the Knative Service. */
  public readonly serviceName: pulumi.Output<string>;
  /** Cluster-local URL of the worker. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: WorkerServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:worker:WorkerService", name, { image: args.image }, opts);
    const { component, namespace, ...specInputs } = args;
    const names = objectNames(component);
    let spec: ReturnType<typeof knativeWorkerSpec>;
    try {
      spec = knativeWorkerSpec(specInputs);
    } catch (error) {
      throw new pulumi.ResourceError(`WorkerService ${name}: ${(error as Error).message}`, this);
    }
    const meta = { namespace, labels: labels(component, "worker") };
    const role = new k8s.rbac.v1.Role(
      `${name}-rollout-role`,
      { metadata: { ...meta, name: names.rolloutRole }, rules: [{ ...ROLLOUT_RULE, resourceNames: [names.worker] }] },
      { parent: this },
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-rollout-rolebinding`,
      {
        metadata: { ...meta, name: names.rolloutRole },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: args.serviceAccountName, namespace }],
      },
      { parent: this },
    );
    const service = new k8s.apiextensions.CustomResource(
      `${name}-service`,
      {
        apiVersion: "serving.knative.dev/v1",
        kind: "Service",
        metadata: { ...meta, name: names.worker, labels: { ...meta.labels, "networking.knative.dev/visibility": "cluster-local" } },
        spec,
      },
      // What the orchestrator told this component to wait for (Zeebe, database, Redis, topics, RBAC) holds the Service too.
      { parent: this, dependsOn: dependsOnWith(opts, [binding]) },
    );
    this.serviceName = service.metadata.name;
    this.url = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
    this.registerOutputs({ serviceName: this.serviceName, url: this.url });
  }
}
