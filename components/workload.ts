/** Hardening every container of ours gets: non-root, no privilege escalation, no capabilities. */
export function restrictedSecurityContext(runAsUser: number, readOnlyRootFilesystem: boolean) {
  return {
    runAsNonRoot: true,
    runAsUser,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Requests equal to limits: the scheduler reserves what the container may use. */
export function guaranteedResources(cpu: string, memory: string) {
  return { requests: { cpu, memory }, limits: { cpu, memory } };
}
