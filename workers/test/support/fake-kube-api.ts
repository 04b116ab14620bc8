// A loopback HTTP server speaking enough of the Kubernetes list/watch API for Services:
// list with resourceVersion, watch streams of JSON lines, 410 Gone for expired versions,
// the ability to drop every open watch connection, and malformed data (list items and watch events
// a real API server would never send, but a proxy, a bug or a hostile peer might).
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";

interface Svc {
  metadata: { name: string; namespace: string; labels: Record<string, string>; resourceVersion?: string; creationTimestamp: string };
  spec: { ports: { name?: string; port: number }[] };
}
interface Ev {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  obj: Svc;
}

/** Writes `dir`/config, a kubeconfig for the API peer at `server` with a bearer token (KUBECONFIG points the worker at it); returns its path. */
export function writeKubeconfig(dir: string, server: string, token: string): string {
  const file = path.join(dir, "config");
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "peer", cluster: { server, "insecure-skip-tls-verify": true } }],
      users: [{ name: "worker", user: { token } }],
      contexts: [{ name: "peer", context: { cluster: "peer", user: "worker" } }],
      "current-context": "peer",
    }),
  );
  return file;
}

export class FakeKubeApi {
  private rv = 100;
  private readonly objects = new Map<string, Svc>();
  private readonly events: Ev[] = [];
  private readonly watchers = new Set<{ res: http.ServerResponse; ns?: string; selector?: string }>();
  private readonly sockets = new Set<net.Socket>();
  /** Events older than this are "compacted": watching from before it answers 410 Gone. */
  compactedBefore = 0;
  /** Raw items appended to every list answer, after the matching Services. */
  malformedListItems: unknown[] = [];
  lists = 0;
  watches = 0;
  /** Answer this many of the next lists with `refusal` (e.g. RBAC missing), then serve them again. */
  failLists = 0;
  /** While true, every watch request is answered with `refusal` (e.g. the API server overloaded). */
  refuseWatches = false;
  refusal = { status: 403, reason: "Forbidden", message: 'services is forbidden: User "system:serviceaccount:shop:worker" cannot list resource "services"' };
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeKubeApi> {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as net.AddressInfo;
    const api = new FakeKubeApi(server, `http://127.0.0.1:${port}`);
    server.on("connection", (s) => {
      api.sockets.add(s);
      s.on("close", () => api.sockets.delete(s));
    });
    server.on("request", (req, res) => api.handle(req, res));
    return api;
  }

  /**
   * Creates or modifies a Service. A new one is stamped one (fake) second after the previous one,
   * unless createdAt says otherwise (RFC 3339, as the API server writes it).
   */
  upsert(
    namespace: string,
    name: string,
    port: number,
    labels: Record<string, string> = { "orchestration.platform/managed": "true" },
    createdAt?: string,
  ): void {
    const key = `${namespace}/${name}`;
    const existing = this.objects.get(key);
    const type = existing ? "MODIFIED" : "ADDED";
    this.rv += 1;
    const creationTimestamp =
      existing?.metadata.creationTimestamp ?? createdAt ?? new Date(Date.UTC(2026, 0, 1) + this.rv * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const obj: Svc = { metadata: { name, namespace, labels, resourceVersion: String(this.rv), creationTimestamp }, spec: { ports: [{ name: "http", port }] } };
    this.objects.set(key, obj);
    this.emit({ rv: this.rv, type, obj });
  }

  remove(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    this.rv += 1;
    this.emit({ rv: this.rv, type: "DELETED", obj: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } } });
  }

  /** Compacts the event history: resuming a watch from any version so far answers 410 Gone (the next change is watchable). */
  compact(): void {
    this.compactedBefore = this.rv + 1;
  }

  /** Writes one raw watch event (any JSON) to every open watch, whatever its namespace or selector. */
  emitRaw(event: unknown): void {
    for (const w of this.watchers) w.res.write(JSON.stringify(event) + "\n");
  }

  openWatches(): number {
    return this.watchers.size;
  }

  /** Cuts every open watch connection abruptly (like a lost API server connection). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private matches(obj: Svc, ns?: string, selector?: string): boolean {
    if (ns && obj.metadata.namespace !== ns) return false;
    if (!selector) return true;
    return selector.split(",").every((term) => {
      const [k, v] = term.split("=");
      return obj.metadata.labels[k] === v;
    });
  }

  private emit(ev: Ev): void {
    this.events.push(ev);
    for (const w of this.watchers) if (this.matches(ev.obj, w.ns, w.selector)) w.res.write(JSON.stringify({ type: ev.type, object: ev.obj }) + "\n");
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const u = new URL(req.url ?? "/", this.url);
    const m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?services$/.exec(u.pathname);
    if (!m || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    const ns = m[1];
    const selector = u.searchParams.get("labelSelector") ?? undefined;
    const refuse = () => {
      res.writeHead(this.refusal.status, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: this.refusal.message,
          reason: this.refusal.reason,
          code: this.refusal.status,
        }),
      );
    };
    if (u.searchParams.get("watch") !== "true") {
      this.lists += 1;
      if (this.failLists > 0) {
        this.failLists -= 1;
        return refuse();
      }
      const items = [...[...this.objects.values()].filter((o) => this.matches(o, ns, selector)), ...this.malformedListItems];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "ServiceList", apiVersion: "v1", metadata: { resourceVersion: String(this.rv) }, items }));
      return;
    }
    this.watches += 1;
    if (this.refuseWatches) return refuse();
    const from = Number(u.searchParams.get("resourceVersion") ?? "0");
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    if (from < this.compactedBefore) {
      res.end(JSON.stringify({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" } }) + "\n");
      return;
    }
    for (const ev of this.events) if (ev.rv > from && this.matches(ev.obj, ns, selector)) res.write(JSON.stringify({ type: ev.type, object: ev.obj }) + "\n");
    const w = { res, ns, selector };
    this.watchers.add(w);
    req.on("close", () => this.watchers.delete(w));
  }
}
