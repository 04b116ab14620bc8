import * as pulumi from "@pulumi/pulumi";
import { EnvVar } from "./worker-env";
import { guaranteedResources, restrictedSecurityContext } from "./workload";

/** The port Knative routes to; it is the container's only port. */
export const WORKER_PORT = 8080;
/** Where the workflow ConfigMap is mounted in the worker container. */
export const WORKFLOWS_MOUNT = "/workflows";
const WORKER_UID = 1000;

/** One entry of a Knative traffic split. */
export interface TrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  percent: number;
  tag?: string;
}

export interface KnativeWorkerSpecInputs {
  image: string;
  serviceAccountName: pulumi.Input<string>;
  env: EnvVar[];
  resources: { cpu: string; memory: string };
  workflowsConfigMap: pulumi.Input<string>;
  autoscaling: { minScale: number; maxScale: number; concurrencyTarget: number };
  /** Blue/green split; default: all traffic to the latest revision. */
  traffic?: readonly TrafficTarget[];
}

/** Knative Service `spec` for the worker: one port, probes, hardening, autoscaling, traffic. */
export function knativeWorkerSpec(inputs: KnativeWorkerSpecInputs) {
  return {
    template: {
      metadata: {
        annotations: {
          "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev",
          "autoscaling.knative.dev/metric": "concurrency",
          "autoscaling.knative.dev/target": String(inputs.autoscaling.concurrencyTarget),
          "autoscaling.knative.dev/min-scale": String(inputs.autoscaling.minScale),
          "autoscaling.knative.dev/max-scale": String(inputs.autoscaling.maxScale),
        },
      },
      spec: {
        serviceAccountName: inputs.serviceAccountName,
        timeoutSeconds: 300,
        containers: [{
          name: "worker",
          image: inputs.image,
          ports: [{ name: "http1", containerPort: WORKER_PORT }],
          env: inputs.env,
          resources: guaranteedResources(inputs.resources.cpu, inputs.resources.memory),
          securityContext: restrictedSecurityContext(WORKER_UID, true),
          // Knative fills in the port of an httpGet probe: the container's single port.
          livenessProbe: { httpGet: { path: "/actuator/health" }, periodSeconds: 10, failureThreshold: 3 },
          readinessProbe: { httpGet: { path: "/actuator/ready" }, periodSeconds: 5, failureThreshold: 3 },
          volumeMounts: [{ name: "workflows", mountPath: WORKFLOWS_MOUNT, readOnly: true }],
        }],
        volumes: [{ name: "workflows", configMap: { name: inputs.workflowsConfigMap } }],
      },
    },
    traffic: (inputs.traffic ?? [{ latestRevision: true, percent: 100 }]).map((target) => ({ ...target })),
  };
}
