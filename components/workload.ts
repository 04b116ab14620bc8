import * as pulumi from "@pulumi/pulumi";

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

/**
 * `dependsOn` for a component's child: the component's own `dependsOn` (Pulumi does not pass it down, so a child
 * would otherwise be created before what the component was told to wait for) and the child's `extra` ones.
 */
export function dependsOnWith(opts: pulumi.ComponentResourceOptions | undefined, extra: pulumi.Resource[]): pulumi.Input<pulumi.Input<pulumi.Resource>[]> {
  const inherited = opts?.dependsOn;
  if (inherited === undefined) return extra;
  if (Array.isArray(inherited)) return [...inherited, ...extra];
  if (pulumi.Resource.isInstance(inherited)) return [inherited, ...extra];
  // An Output or a Promise: resolved by the engine like any other input.
  return pulumi.output(inherited as pulumi.Input<pulumi.Input<pulumi.Resource>[]>).apply((list) => [...list, ...extra]);
}
