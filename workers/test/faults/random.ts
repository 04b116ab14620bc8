// A seeded pseudo-random source (mulberry32), so every run of a scenario picks the same crash points.

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** k distinct items, in a random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, k);
  }
}

/** The suite's seed: FAULT_SEED, else a fixed default (every run the same). */
export function suiteSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FAULT_SEED;
  if (raw === undefined || raw === "") return 20261128;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`FAULT_SEED must be a non-negative integer (got "${raw}")`);
  return n;
}
