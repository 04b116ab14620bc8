import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KnativeWorkerSpecInputs, knativeWorkerSpec } from "./knative";
import { labels, objectNames } from "./naming";

export interface WorkerServiceArgs extends KnativeWorkerSpecInputs {
  component: string;
  namespace: pulumi.Input<string>;
}

/**
 * The bundled worker as a Knative Service (serving.knative.dev/v1), visible only inside the cluster:
 * an Istio Gateway in front of it is the deliberate way to expose it.
 */
export class WorkerService extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  /** Cluster-local URL of the worker. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: WorkerServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:worker:WorkerService", name, { image: args.image }, opts);
    const { component, namespace, ...specInputs } = args;
    const service = new k8s.apiextensions.CustomResource(`${name}-service`, {
      apiVersion: "serving.knative.dev/v1",
      kind: "Service",
      metadata: {
        name: objectNames(component).worker,
        namespace,
        labels: { ...labels(component, "worker"), "networking.knative.dev/visibility": "cluster-local" },
      },
      spec: knativeWorkerSpec(specInputs),
    }, { parent: this });
    this.serviceName = service.metadata.name;
    this.url = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
    this.registerOutputs({ serviceName: this.serviceName, url: this.url });
  }
}
