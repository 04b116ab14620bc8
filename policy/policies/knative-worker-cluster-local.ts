import { ResourceValidationPolicy } from "@pulumi/policy";
import { annotationsOf, labelsOf } from "../lib/k8s";
import { KNATIVE_SERVICE } from "../lib/types";

export const VISIBILITY_LABEL = "networking.knative.dev/visibility";
export const EXPOSE_ANNOTATION = "orchestration.platform/expose";

export const knativeWorkerClusterLocal: ResourceValidationPolicy = {
  name: "knative-worker-cluster-local",
  description:
    `A Knative worker is cluster-local unless deliberately exposed. Fix: label the Service ` +
    `${VISIBILITY_LABEL}: cluster-local (reach it through the Istio gateway), or annotate it ` +
    `${EXPOSE_ANNOTATION}: "public" to expose it on purpose.`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== KNATIVE_SERVICE) return;
    if (labelsOf(args.props)[VISIBILITY_LABEL] === "cluster-local") return;
    if (annotationsOf(args.props)[EXPOSE_ANNOTATION] === "public") return;
    reportViolation(
      `Knative Service is publicly reachable: add label ${VISIBILITY_LABEL}: cluster-local, ` +
        `or annotation ${EXPOSE_ANNOTATION}: "public" if that is intended.`,
    );
  },
};
