/** The part of CrossGuard's args that carries a policy's configuration. */
export interface Configurable {
  getConfig<T extends object>(): T;
}

/**
 * A policy's options: its own defaults, overridden by whatever the pack config sets.
 * Policies merge defaults themselves so a missing or partial config never leaves an option undefined.
 */
export function settings<T extends object>(args: Configurable, defaults: T): T {
  return { ...defaults, ...args.getConfig<Partial<T>>() };
}

/** Stack name from a URN (`urn:pulumi:<stack>::<project>::...`). */
export function stackOf(urn: string): string {
  const head = urn.split("::")[0] ?? "";
  return head.startsWith("urn:pulumi:") ? head.slice("urn:pulumi:".length) : "";
}
