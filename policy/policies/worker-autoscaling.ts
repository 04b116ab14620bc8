import { ResourceValidationPolicy } from "@pulumi/policy";
import { isWorker } from "../lib/k8s";

/** Knative's autoscaling annotations and classes (knative/serving pkg/apis/autoscaling/register.go). */
const KEY = "autoscaling.knative.dev/";
const KPA = "kpa.autoscaling.knative.dev";
const HPA = "hpa.autoscaling.knative.dev";

export const workerAutoscaling: ResourceValidationPolicy = {
  name: "worker-autoscaling",
  description:
    "A worker pulls its jobs from Zeebe, so Knative's request-based autoscaler (KPA) never sees its load and a " +
    "revision scaled to zero never wakes up. Fix: annotate the revision template with " +
    `${KEY}class: ${HPA}, ${KEY}metric: cpu and ${KEY}min-scale of at least 1 (needs Knative's HPA extension).`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isWorker(args.type, args.props) || args.props?.kind !== "Service") return;
    const annotations: Record<string, unknown> = args.props?.spec?.template?.metadata?.annotations ?? {};
    const min = annotations[`${KEY}min-scale`];
    if (min === undefined)
      reportViolation(`Worker min-scale unset: Knative then lets it scale to zero, and a pull worker never wakes up. Set ${KEY}min-scale to 1 or more.`);
    else if (!(Number(min) >= 1))
      reportViolation(
        `Worker min-scale ${String(min)}: a pull worker scaled to zero never wakes up, since no request reaches it. Set ${KEY}min-scale to 1 or more.`,
      );
    const klass = annotations[`${KEY}class`];
    const metric = annotations[`${KEY}metric`];
    if (klass !== HPA || metric !== "cpu") {
      reportViolation(
        `Worker scales with class ${String(klass ?? `${KPA} (the default)`)}, metric ${String(metric ?? "default")}: requests never measure a pull worker's load. ` +
          `Use ${HPA} with metric cpu.`,
      );
    }
  },
};
