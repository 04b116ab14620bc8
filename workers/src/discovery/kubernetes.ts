// Services carrying the discovery label, kept current by @kubernetes/client-node ListWatch
// informers (one per namespace, or one cluster-wide). Resolving costs no API call.
import * as fs from "fs";
import * as k8s from "@kubernetes/client-node";
import type { Logger } from "pino";
import { backoffMs } from "../backoff";
import { ServiceCache, ServiceRegistry } from "./registry";

const SA_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export interface KubernetesDiscoveryOptions {
  kubeConfig: k8s.KubeConfig;
  labelSelector: string;
  /** Namespaces to watch; ["*"] watches all. */
  namespaces: string[];
  log: Logger;
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

/** Base URL of a Service: cluster DNS name and the port named "http" (else the first port). */
export function serviceUrl(svc: k8s.V1Service): string | undefined {
  const name = svc.metadata?.name;
  const ns = svc.metadata?.namespace;
  const ports = svc.spec?.ports ?? [];
  const port = ports.find((p) => p.name === "http") ?? ports[0];
  if (!name || !ns || !port) return undefined;
  return `http://${name}.${ns}.svc.cluster.local:${port.port}`;
}

export class KubernetesDiscovery implements ServiceRegistry {
  private readonly cache = new ServiceCache();
  private readonly informers: k8s.ListWatch<k8s.V1Service>[] = [];
  private readonly restarts = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly opts: KubernetesDiscoveryOptions) {}

  resolve(name: string): string | undefined {
    return this.cache.resolve(name);
  }

  known(): string[] {
    return this.cache.known();
  }

  onChange(listener: () => void): void {
    this.cache.onChange(listener);
  }

  /** Lists and starts watching; resolves after the first list of every namespace. */
  async start(): Promise<void> {
    const api = this.opts.kubeConfig.makeApiClient(k8s.CoreV1Api);
    const watch = new k8s.Watch(this.opts.kubeConfig);
    const labelSelector = this.opts.labelSelector;
    for (const ns of this.opts.namespaces) {
      const all = ns === "*";
      const path = all ? "/api/v1/services" : `/api/v1/namespaces/${encodeURIComponent(ns)}/services`;
      const list = () => (all ? api.listServiceForAllNamespaces({ labelSelector }) : api.listNamespacedService({ namespace: ns, labelSelector }));
      const informer = new k8s.ListWatch<k8s.V1Service>(path, watch, list, false, labelSelector);
      const upsert = (svc: k8s.V1Service) => {
        const url = serviceUrl(svc);
        if (url && svc.metadata?.name) this.cache.set(svc.metadata.name, url);
      };
      informer.on(k8s.ADD, upsert);
      informer.on(k8s.UPDATE, upsert);
      informer.on(k8s.DELETE, (svc) => svc.metadata?.name && this.cache.delete(svc.metadata.name));
      let failures = 0;
      informer.on(k8s.CONNECT, () => (failures = 0));
      // ListWatch stops on a watch or list error: restart it (it resumes from the last
      // resourceVersion, and re-lists when the server answers 410 Gone).
      informer.on(k8s.ERROR, (err) => {
        if (this.stopped) return;
        failures += 1;
        const delay = backoffMs(failures, this.opts.restartBaseMs ?? 500, this.opts.restartCapMs ?? 30000);
        this.opts.log.warn({ namespace: ns, err: String(err), delayMs: delay }, "service watch failed; restarting");
        const t = setTimeout(() => {
          this.restarts.delete(t);
          if (!this.stopped) informer.start().catch(() => undefined);
        }, delay);
        this.restarts.add(t);
      });
      this.informers.push(informer);
      await informer.start();
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const t of this.restarts) clearTimeout(t);
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.cache.close();
  }
}

export function inClusterKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}
