// Services carrying the discovery label, kept current by @kubernetes/client-node ListWatch
// informers (one per namespace, or one cluster-wide). Resolving costs no API call. A name carried
// in several namespaces resolves by the rule in claims.ts, never to whichever came last.
import * as fs from "fs";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import { backoffMs } from "../backoff";
import { Metrics } from "../metrics";
import { errorText } from "../redact";
import { Claim, NameClaims } from "./claims";
import { DiscoveryHealth, ServiceCache, ServiceRegistry, WatchHealth } from "./registry";
import { parseService, serviceIdentity } from "./service-object";

const SA_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export interface KubernetesDiscoveryOptions {
  kubeConfig: k8s.KubeConfig;
  labelSelector: string;
  /** Namespaces to watch; ["*"] watches all. */
  namespaces: string[];
  /**
   * Precedence of namespaces when several hold a Service of the same name (earlier wins; any other
   * namespace comes after these). Default: `namespaces` without "*".
   */
  precedence?: string[];
  log: Logger;
  metrics?: Metrics;
  /** Delay bounds for restarting a watch that failed (ms). */
  restartBaseMs?: number;
  restartCapMs?: number;
}

/** Empty list → the pod's own namespace (service-account file); "*" → all namespaces. */
export function resolveNamespaces(configured: string[], readFile: (p: string) => string = (p) => fs.readFileSync(p, "utf8")): string[] {
  if (configured.includes("*")) return ["*"];
  if (configured.length > 0) return configured;
  try {
    return [readFile(SA_NAMESPACE_FILE).trim()];
  } catch {
    throw new Error(`DISCOVERY_NAMESPACES is empty and ${SA_NAMESPACE_FILE} is unreadable: set DISCOVERY_NAMESPACES or DISCOVERY_STATIC_SERVICES`);
  }
}

export { serviceUrl } from "./service-object";

/**
 * A Watch that hands ListWatch only events it can digest. ListWatch reads `object.metadata` of
 * every event inside an async callback nobody awaits, so one event without an object would end
 * the process through an unhandled rejection: such events are skipped and reported instead.
 */
class ScreenedWatch extends k8s.Watch {
  constructor(
    config: k8s.KubeConfig,
    private readonly skipped: (reason: string, eventType: unknown) => void,
    private readonly failed: (err: unknown) => void,
    /** The watch is open (true), or it ended (false) for whatever reason: health of the namespace's watch. */
    private readonly connection: (connected: boolean) => void,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, obj: any, raw?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    const screened = (phase: string, obj: unknown, raw?: unknown) => {
      const reason = screenEvent(phase, obj);
      if (reason) return this.skipped(reason, phase);
      this.guard(() => callback(phase, obj, raw));
    };
    // Watch.watch resolves also when the request failed, after it called done: open only if it has not ended.
    let ended = false;
    const controller = await super.watch(path, query, screened, (err) => {
      ended = true;
      this.connection(false);
      this.guard(() => done(err));
    });
    if (!ended) this.connection(true);
    return controller;
  }

  /** Runs a callback that may throw or return a rejected promise; reports either instead of crashing. */
  private guard(run: () => unknown): void {
    try {
      Promise.resolve(run()).catch(this.failed);
    } catch (err) {
      this.failed(err);
    }
  }
}

/** Why ListWatch cannot take this watch event, or undefined when it can. */
function screenEvent(phase: unknown, obj: unknown): string | undefined {
  if (!["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"].includes(phase as string))
    return `unknown watch event type ${JSON.stringify(phase)?.slice(0, 40)}`;
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return `${phase} event without an object`;
  if (phase === "BOOKMARK" || phase === "ERROR") return undefined;
  const id = serviceIdentity(obj);
  return id.ok ? undefined : id.reason;
}

export class KubernetesDiscovery implements ServiceRegistry {
  private readonly cache = new ServiceCache();
  private readonly informers: k8s.ListWatch<k8s.V1Service>[] = [];
  private readonly restarts = new Set<NodeJS.Timeout>();
  private readonly metrics: Metrics;
  private readonly claims: NameClaims;
  /** What resolve() currently answers per name, and which namespaces were refused it. */
  private readonly published = new Map<string, { owner: Claim; refused: Set<string> }>();
  private readonly dirty = new Set<string>();
  private readonly watches = new Map<string, WatchHealth & { firstList: { resolve(): void; reject(err: Error): void } }>();
  private stopped = false;

  constructor(private readonly opts: KubernetesDiscoveryOptions) {
    this.metrics = opts.metrics ?? new Metrics(false);
    this.claims = new NameClaims(opts.precedence ?? opts.namespaces.filter((ns) => ns !== "*"));
  }

  resolve(name: string): string | undefined {
    return this.cache.resolve(name);
  }

  known(): string[] {
    return this.cache.known();
  }

  onChange(listener: () => void): void {
    this.cache.onChange(() => {
      try {
        listener();
      } catch (err) {
        this.opts.log.error({ err: errorText(err) }, "service change listener failed");
      }
    });
  }

  /** Per watched namespace: listed, connected, last list, last failure (metrics carry the same). */
  health(): DiscoveryHealth {
    return { services: this.known().length, watches: [...this.watches.values()].map(({ firstList: _, ...w }) => ({ ...w })) };
  }

  /**
   * Lists and starts watching; resolves once every namespace has been listed successfully, so that no job is
   * taken while the services are unknown. Until then failed lists are retried with a backoff, logged, counted
   * and shown as watch down (e.g. RBAC missing); close() ends the wait with a rejection.
   */
  async start(): Promise<void> {
    const api = this.opts.kubeConfig.makeApiClient(k8s.CoreV1Api);
    const labelSelector = this.opts.labelSelector;
    const firstLists: Promise<void>[] = [];
    for (const ns of this.opts.namespaces) {
      const all = ns === "*";
      const path = all ? "/api/v1/services" : `/api/v1/namespaces/${encodeURIComponent(ns)}/services`;
      const health = this.track(ns, firstLists);
      const list = async () => {
        const result = await (all ? api.listServiceForAllNamespaces({ labelSelector }) : api.listNamespacedService({ namespace: ns, labelSelector }));
        health.listed = true;
        health.lastListAt = Date.now();
        this.metrics.discoveryLastList.set({ watched_namespace: ns }, Math.floor(health.lastListAt / 1000));
        health.firstList.resolve();
        // ListWatch reads every item's metadata: only Services discovery can use get through.
        result.items = (Array.isArray(result.items) ? result.items : []).filter((item) => {
          const parsed = parseService(item);
          if (!parsed.ok) this.malformed("list", parsed.reason, { namespace: all ? undefined : ns });
          return parsed.ok;
        });
        return result;
      };
      let failures = 0;
      // ListWatch stops on a watch or list error: restart it (it resumes from the last
      // resourceVersion, and re-lists when the server answers 410 Gone). A failure inside its own
      // callbacks may leave it stopped as well: same remedy.
      const restart = (err: unknown) => {
        if (this.stopped) return;
        failures += 1;
        health.lastError = errorText(err);
        this.setConnected(ns, false);
        this.metrics.discoveryWatchFailures.inc({ watched_namespace: ns });
        const delay = backoffMs(failures, this.opts.restartBaseMs ?? 500, this.opts.restartCapMs ?? 30000);
        this.opts.log.warn({ namespace: ns, err: errorText(err), delayMs: delay }, "service watch failed; restarting");
        const t = setTimeout(() => {
          this.restarts.delete(t);
          if (!this.stopped) informer.start().catch(restart);
        }, delay);
        this.restarts.add(t);
      };
      const watch = new ScreenedWatch(
        this.opts.kubeConfig,
        (reason, eventType) => this.malformed("watch", reason, { eventType }),
        restart,
        (up) => this.setConnected(ns, up),
      );
      const informer = new k8s.ListWatch<k8s.V1Service>(path, watch, list, false, labelSelector);
      informer.on(k8s.ADD, (svc) => this.upsert(svc));
      informer.on(k8s.UPDATE, (svc) => this.upsert(svc));
      informer.on(k8s.DELETE, (svc) => this.withdraw(svc));
      informer.on(k8s.CONNECT, () => (failures = 0));
      informer.on(k8s.ERROR, restart);
      this.informers.push(informer);
      await informer.start();
    }
    await Promise.all(firstLists);
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const w of this.watches.values()) w.firstList.reject(new Error(`service discovery closed before namespace ${w.namespace} was listed`));
    for (const t of this.restarts) clearTimeout(t);
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.cache.close();
  }

  private track(namespace: string, firstLists: Promise<void>[]): WatchHealth & { firstList: { resolve(): void; reject(err: Error): void } } {
    let firstList!: { resolve(): void; reject(err: Error): void };
    firstLists.push(new Promise<void>((resolve, reject) => (firstList = { resolve, reject })));
    const health = { namespace, listed: false, connected: false, firstList };
    this.watches.set(namespace, health);
    this.setConnected(namespace, false);
    return health;
  }

  private setConnected(namespace: string, connected: boolean): void {
    const w = this.watches.get(namespace);
    if (w) w.connected = connected;
    this.metrics.discoveryWatchConnected.set({ watched_namespace: namespace }, connected ? 1 : 0);
  }

  private malformed(source: "list" | "watch", reason: string, extra: Record<string, unknown> = {}): void {
    this.metrics.discoveryMalformedObjects.inc({ source });
    this.opts.log.warn({ source, reason, ...extra }, "malformed Service skipped");
  }

  private upsert(svc: unknown): void {
    const parsed = parseService(svc);
    if (!parsed.ok) {
      // A Service that lost its usable port no longer claims its name.
      const id = serviceIdentity(svc);
      if (id.ok) this.withdraw(svc);
      return this.malformed("watch", parsed.reason, id.ok ? { name: id.name, namespace: id.namespace } : {});
    }
    this.claims.put(parsed.name, { namespace: parsed.namespace, url: parsed.url, createdAt: parsed.createdAt });
    this.touched(parsed.name);
  }

  private withdraw(svc: unknown): void {
    const id = serviceIdentity(svc);
    if (!id.ok || !this.claims.has(id.name, id.namespace)) return;
    this.claims.remove(id.name, id.namespace);
    this.touched(id.name);
  }

  /** Ownership is settled once per turn, after a whole list has been applied, not item by item. */
  private touched(name: string): void {
    if (this.dirty.size === 0) queueMicrotask(() => this.settle());
    this.dirty.add(name);
  }

  private settle(): void {
    const names = [...this.dirty];
    this.dirty.clear();
    for (const name of names) {
      try {
        this.publish(name);
      } catch (err) {
        this.opts.log.error({ service: name, err: errorText(err) }, "service change not applied");
      }
    }
    this.metrics.discoveryRefusedClaims.set([...this.published.values()].reduce((n, p) => n + p.refused.size, 0));
  }

  /** Applies the ownership rule to one name; every refusal and every change of owner is logged and counted. */
  private publish(name: string): void {
    const { owner, refused } = this.claims.ownership(name);
    const before = this.published.get(name);
    if (!owner) {
      this.published.delete(name);
      this.cache.delete(name);
      return;
    }
    const refusedNow = new Set(refused.map((c) => c.namespace));
    this.published.set(name, { owner, refused: refusedNow });
    if (before && before.owner.namespace !== owner.namespace) {
      const reason = this.claims.has(name, before.owner.namespace) ? "higher-precedence claimant" : "owner deleted";
      this.metrics.discoveryOwnerChanges.inc({ service: name });
      this.opts.log.warn(
        { service: name, fromNamespace: before.owner.namespace, toNamespace: owner.namespace, reason },
        "service name moved to another namespace",
      );
    }
    for (const ns of refusedNow) {
      if (before?.refused.has(ns)) continue;
      this.metrics.discoveryNameCollisions.inc({ service: name, refused_namespace: ns });
      this.opts.log.warn({ service: name, ownerNamespace: owner.namespace, refusedNamespace: ns }, "service name claimed in another namespace: refused");
    }
    for (const ns of before?.refused ?? []) {
      if (!refusedNow.has(ns) && ns !== owner.namespace) this.opts.log.info({ service: name, namespace: ns }, "refused service claim withdrawn");
    }
    this.cache.set(name, owner.url);
  }
}

export function inClusterKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}
