import * as pulumi from "@pulumi/pulumi";
import { EnvVar } from "./worker-env";
import { guaranteedResources, restrictedSecurityContext } from "./workload";

/** The port Knative routes to; it is the container's only port. */
export const WORKER_PORT = 8080;
/** Where the workflow ConfigMap is mounted in the worker container. */
export const WORKFLOWS_MOUNT = "/workflows";
const WORKER_UID = 1000;

/**
 * Knative's autoscaling annotations (knative/serving `pkg/apis/autoscaling/register.go`, v1.23.0). The HPA
 * class hands scaling to a Kubernetes HorizontalPodAutoscaler on the `cpu` metric, `target` being the average
 * CPU utilisation in percent of the request (`pkg/reconciler/autoscaling/hpa/resources/hpa.go`). It needs
 * Knative's HPA extension (serving-hpa.yaml) in the cluster.
 */
export const AUTOSCALING = {
  class: "autoscaling.knative.dev/class",
  metric: "autoscaling.knative.dev/metric",
  target: "autoscaling.knative.dev/target",
  minScale: "autoscaling.knative.dev/min-scale",
  maxScale: "autoscaling.knative.dev/max-scale",
  hpaClass: "hpa.autoscaling.knative.dev",
  cpuMetric: "cpu",
} as const;

/** How many pods the worker runs, and when to add one. */
export interface WorkerAutoscaling {
  /** Pods that always run, at least 1: a pull worker receives no requests, so nothing would wake it from zero. */
  minScale: number;
  /** Most pods. */
  maxScale: number;
  /** Average CPU utilisation, in percent of the CPU request, above which a pod is added (1..100). */
  cpuTargetPercent: number;
}

export interface KnativeWorkerSpecInputs {
  /** The worker image, pinned by tag or digest. */
  image: string;
  /** The ServiceAccount with the discovery (and rollout) rules. */
  serviceAccountName: pulumi.Input<string>;
  /** The worker's environment (see worker-env.ts). */
  env: EnvVar[];
  /** CPU and memory; requests equal limits. */
  resources: { cpu: string; memory: string };
  /** ConfigMap with the BPMN models, mounted at {@link WORKFLOWS_MOUNT}. */
  workflowsConfigMap: pulumi.Input<string>;
  /** Scale bounds and CPU target. */
  autoscaling: WorkerAutoscaling;
}

/**
 * Knative Service `spec` for the worker: one port, hardening, CPU autoscaling and every request to the latest
 * revision. Probes: the worker's ops server listens from the first moment with `/actuator/health` UP, while
 * `/actuator/ready` stays DOWN until the saga log is migrated, the models are deployed and the job workers are
 * open; so a slow start (a database migration) is never killed by liveness, and the new revision takes over
 * only once it can serve. The startup probe gives the process time to boot before liveness counts.
 */
export function knativeWorkerSpec(inputs: KnativeWorkerSpecInputs) {
  const { minScale, maxScale, cpuTargetPercent } = inputs.autoscaling;
  if (!Number.isInteger(minScale) || minScale < 1) {
    throw new Error(`autoscaling.minScale must be at least 1 (got ${minScale}): a pull worker scaled to zero never wakes up, since no request reaches it`);
  }
  if (!Number.isInteger(cpuTargetPercent) || cpuTargetPercent < 1 || cpuTargetPercent > 100) {
    throw new Error(`autoscaling.cpuTargetPercent must be from 1 to 100 (got ${cpuTargetPercent})`);
  }
  return {
    template: {
      metadata: {
        annotations: {
          [AUTOSCALING.class]: AUTOSCALING.hpaClass,
          [AUTOSCALING.metric]: AUTOSCALING.cpuMetric,
          [AUTOSCALING.target]: String(cpuTargetPercent),
          [AUTOSCALING.minScale]: String(minScale),
          [AUTOSCALING.maxScale]: String(maxScale),
        },
      },
      spec: {
        serviceAccountName: inputs.serviceAccountName,
        // Knative makes this the pods' termination grace period too (pkg/reconciler/revision/resources/deploy.go):
        // time for the worker to drain its jobs on SIGTERM.
        timeoutSeconds: 300,
        containers: [
          {
            name: "worker",
            image: inputs.image,
            ports: [{ name: "http1", containerPort: WORKER_PORT }],
            env: inputs.env,
            resources: guaranteedResources(inputs.resources.cpu, inputs.resources.memory),
            securityContext: restrictedSecurityContext(WORKER_UID, true),
            // Knative fills in the port of an httpGet probe: the container's single port.
            startupProbe: { httpGet: { path: "/actuator/health" }, periodSeconds: 2, failureThreshold: 90 },
            livenessProbe: { httpGet: { path: "/actuator/health" }, periodSeconds: 10, failureThreshold: 3 },
            readinessProbe: { httpGet: { path: "/actuator/ready" }, periodSeconds: 5, failureThreshold: 3 },
            volumeMounts: [{ name: "workflows", mountPath: WORKFLOWS_MOUNT, readOnly: true }],
          },
        ],
        volumes: [{ name: "workflows", configMap: { name: inputs.workflowsConfigMap } }],
      },
    },
    traffic: [{ latestRevision: true, percent: 100 }],
  };
}
