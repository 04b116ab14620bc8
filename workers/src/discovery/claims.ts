// Which Service owns a service name that labelled Services in several watched namespaces carry.
// Pure: the owner depends only on the Services that exist (never on the order events arrived in),
// so every replica and every restart of the worker agrees on it. The rule (README "Discovery"):
//   1. the namespace listed earlier in DISCOVERY_NAMESPACES wins (namespaces matched only by "*" come last);
//   2. then the older Service (metadata.creationTimestamp);
//   3. then the namespace name, so that the answer is total.
// Every other claimant is refused.

export interface Claim {
  namespace: string;
  url: string;
  /** creationTimestamp in ms; Infinity when unknown (an unknown age never beats a known one). */
  createdAt: number;
}

export interface Ownership {
  owner?: Claim;
  /** Claimants other than the owner, best first. */
  refused: Claim[];
}

export function ownerOrder(precedence: string[]): (a: Claim, b: Claim) => number {
  const rank = (ns: string) => {
    const i = precedence.indexOf(ns);
    return i === -1 ? precedence.length : i;
  };
  const age = (a: Claim, b: Claim) => (a.createdAt === b.createdAt ? 0 : a.createdAt < b.createdAt ? -1 : 1);
  return (a, b) => rank(a.namespace) - rank(b.namespace) || age(a, b) || (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0);
}

/** Claims per name and namespace. */
export class NameClaims {
  private readonly byName = new Map<string, Map<string, Claim>>();
  private readonly order: (a: Claim, b: Claim) => number;

  constructor(precedence: string[]) {
    this.order = ownerOrder(precedence);
  }

  put(name: string, claim: Claim): void {
    let claims = this.byName.get(name);
    if (!claims) this.byName.set(name, (claims = new Map()));
    claims.set(claim.namespace, claim);
  }

  remove(name: string, namespace: string): void {
    const claims = this.byName.get(name);
    if (!claims) return;
    claims.delete(namespace);
    if (claims.size === 0) this.byName.delete(name);
  }

  has(name: string, namespace: string): boolean {
    return this.byName.get(name)?.has(namespace) ?? false;
  }

  ownership(name: string): Ownership {
    const [owner, ...refused] = [...(this.byName.get(name)?.values() ?? [])].sort(this.order);
    return { owner, refused };
  }
}
