import { ResourceValidationPolicy } from "@pulumi/policy";
import { containerLabel, containersOf, isWorker, podSpecOf } from "../lib/k8s";

/** What a worker container misses, as fixes to apply; pod-level securityContext counts for the user. */
export function hardeningGaps(container: any, podSecurityContext: any): string[] {
  const gaps: string[] = [];
  for (const kind of ["requests", "limits"]) {
    for (const res of ["cpu", "memory"]) {
      if (container?.resources?.[kind]?.[res] === undefined) gaps.push(`set resources.${kind}.${res}`);
    }
  }
  const sc = container?.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? podSecurityContext?.runAsUser;
  const runAsNonRoot = sc.runAsNonRoot ?? podSecurityContext?.runAsNonRoot;
  if (runAsUser === 0 || (runAsNonRoot !== true && !(typeof runAsUser === "number" && runAsUser > 0))) {
    gaps.push("run as non-root (securityContext.runAsNonRoot: true, runAsUser not 0)");
  }
  if (sc.privileged === true) gaps.push("drop securityContext.privileged");
  if (sc.allowPrivilegeEscalation !== false) gaps.push("set securityContext.allowPrivilegeEscalation: false");
  if (sc.readOnlyRootFilesystem !== true) gaps.push("set securityContext.readOnlyRootFilesystem: true");
  const drop: unknown[] = Array.isArray(sc.capabilities?.drop) ? sc.capabilities.drop : [];
  if (!drop.includes("ALL")) gaps.push('set securityContext.capabilities.drop: ["ALL"]');
  return gaps;
}

export const workerContainerHardening: ResourceValidationPolicy = {
  name: "worker-container-hardening",
  description:
    "Every worker container sets cpu and memory requests and limits, runs as non-root without privilege " +
    "escalation, with a read-only root filesystem and all capabilities dropped. Fix: set `resources` and a " +
    "`securityContext` with runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, " +
    'capabilities.drop: ["ALL"] (mount an emptyDir for scratch files).',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isWorker(args.type, args.props)) return;
    const podSpec = podSpecOf(args.type, args.props);
    for (const c of containersOf(podSpec)) {
      const gaps = hardeningGaps(c, podSpec.securityContext);
      if (gaps.length > 0) reportViolation(`Worker ${containerLabel(c)}: ${gaps.join("; ")}.`);
    }
  },
};
