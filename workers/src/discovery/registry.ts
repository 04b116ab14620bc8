// Where a logical service name points to. Lookups are in-memory; the feed (static map or a
// Kubernetes watch) keeps the cache current.

export interface ServiceRegistry {
  /** Base URL (no trailing slash) of the service, or undefined when unknown. */
  resolve(name: string): string | undefined;
  known(): string[];
  /** Registers a callback run after every change (to start workers for new services). */
  onChange(listener: () => void): void;
  close(): Promise<void>;
}

/** Per watched namespace: listed at least once, watch connected now, last successful list, last failure. */
export interface WatchHealth {
  namespace: string;
  listed: boolean;
  connected: boolean;
  /** Epoch ms of the last successful list. */
  lastListAt?: number;
  lastError?: string;
}

export interface DiscoveryHealth {
  services: number;
  watches: WatchHealth[];
}

export class UnknownServiceError extends Error {
  constructor(
    readonly service: string,
    known: string[],
  ) {
    super(`unknown service "${service}": known services are ${known.length ? known.map((k) => `"${k}"`).join(", ") : "none"}`);
  }
}

/** In-memory cache shared by both feeds. */
export class ServiceCache implements ServiceRegistry {
  private entries = new Map<string, string>();
  private listeners: (() => void)[] = [];

  resolve(name: string): string | undefined {
    return this.entries.get(name);
  }

  known(): string[] {
    return [...this.entries.keys()].sort();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  set(name: string, baseUrl: string): void {
    const url = baseUrl.replace(/\/+$/, "");
    if (this.entries.get(name) === url) return;
    this.entries.set(name, url);
    this.changed();
  }

  delete(name: string): void {
    if (this.entries.delete(name)) this.changed();
  }

  async close(): Promise<void> {
    this.listeners = [];
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export function staticRegistry(map: Record<string, string>): ServiceRegistry {
  const cache = new ServiceCache();
  for (const [name, url] of Object.entries(map)) cache.set(name, url);
  return cache;
}
