import * as assert from "assert";
import * as k8s from "@kubernetes/client-node";
import pino from "pino";
import { KubernetesDiscovery, KubernetesDiscoveryOptions, resolveNamespaces, serviceUrl } from "../src/discovery/kubernetes";
import { staticRegistry, UnknownServiceError } from "../src/discovery/registry";
import { Metrics } from "../src/metrics";
import { FakeKubeApi } from "./support/fake-kube-api";

function kubeConfigFor(server: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "c", cluster: "fake", user: "u" }],
    currentContext: "c",
  });
  return kc;
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A pino logger whose JSON lines land in an array. */
function capturingLog(): { log: pino.Logger; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  return { lines, log: pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) }) };
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) throw new Error(`metric ${name} is not registered`);
  const values = (await m.get()).values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return values.reduce((n, v) => n + v.value, 0);
}

describe("service discovery", () => {
  it("resolves namespaces: configured, all, or the service account's own", () => {
    assert.deepStrictEqual(resolveNamespaces(["a", "b"]), ["a", "b"]);
    assert.deepStrictEqual(resolveNamespaces(["a", "*"]), ["*"]);
    assert.deepStrictEqual(
      resolveNamespaces([], () => "shop\n"),
      ["shop"],
    );
    assert.throws(
      () =>
        resolveNamespaces([], () => {
          throw new Error("ENOENT");
        }),
      /DISCOVERY_NAMESPACES/,
    );
  });

  it("builds the cluster DNS URL from the http port", () => {
    const svc = {
      metadata: { name: "pay", namespace: "shop" },
      spec: {
        ports: [
          { name: "grpc", port: 9000 },
          { name: "http", port: 8081 },
        ],
      },
    };
    assert.strictEqual(serviceUrl(svc), "http://pay.shop.svc.cluster.local:8081");
    assert.strictEqual(serviceUrl({ metadata: { name: "x", namespace: "n" }, spec: { ports: [] } }), undefined);
  });

  it("static map mode resolves and names the known services for unknown ones", () => {
    const reg = staticRegistry({ payment: "http://localhost:9001/", stock: "http://localhost:9002" });
    assert.strictEqual(reg.resolve("payment"), "http://localhost:9001");
    assert.strictEqual(reg.resolve("nope"), undefined);
    assert.strictEqual(new UnknownServiceError("nope", reg.known()).message, 'unknown service "nope": known services are "payment", "stock"');
  });

  describe("against a Kubernetes API peer on loopback", () => {
    let api: FakeKubeApi;
    let disc: KubernetesDiscovery;
    beforeEach(async () => {
      api = await FakeKubeApi.start();
    });
    afterEach(async () => {
      await disc?.close();
      await api.stop();
    });

    it("lists labelled services, follows the watch, and survives dropped watches (resume and 410 re-list)", async () => {
      api.upsert("shop", "payment", 8080);
      api.upsert("shop", "unmanaged", 8080, { app: "x" });
      api.upsert("other", "elsewhere", 8080);
      disc = new KubernetesDiscovery({
        kubeConfig: kubeConfigFor(api.url),
        labelSelector: "orchestration.platform/managed=true",
        namespaces: ["shop"],
        log: pino({ level: "silent" }),
        restartBaseMs: 20,
        restartCapMs: 100,
      });
      let changes = 0;
      disc.onChange(() => changes++);
      await disc.start();
      await eventually(() => disc.known().length === 1, "initial list");
      assert.deepStrictEqual(disc.known(), ["payment"]);
      assert.strictEqual(disc.resolve("payment"), "http://payment.shop.svc.cluster.local:8080");

      // Watch events
      api.upsert("shop", "stock", 9090);
      await eventually(() => disc.resolve("stock") !== undefined, "watched add");
      api.upsert("shop", "payment", 8181);
      await eventually(() => disc.resolve("payment") === "http://payment.shop.svc.cluster.local:8181", "watched modify");
      const listsBefore = api.lists;

      // Dropped watch: changes made while disconnected arrive after the resumed watch.
      api.dropWatches();
      api.upsert("shop", "shipping", 7070);
      api.remove("shop", "stock");
      await eventually(() => disc.resolve("shipping") !== undefined && disc.resolve("stock") === undefined, "changes after a dropped watch");
      assert.strictEqual(api.lists, listsBefore, "a resumable watch does not re-list");

      // Dropped watch whose resourceVersion has expired: 410 → full re-list.
      api.dropWatches();
      api.upsert("shop", "billing", 6060);
      api.compactedBefore = Number.MAX_SAFE_INTEGER;
      await eventually(() => api.lists > listsBefore, "re-list after 410");
      api.compactedBefore = 0;
      await eventually(() => disc.resolve("billing") !== undefined, "service seen by re-list");
      assert.deepStrictEqual(disc.known(), ["billing", "payment", "shipping"]);
      assert.ok(changes >= 6);
    });

    const discovery = (namespaces: string[], extra: Partial<KubernetesDiscoveryOptions> = {}): KubernetesDiscovery =>
      new KubernetesDiscovery({
        kubeConfig: kubeConfigFor(api.url),
        labelSelector: "orchestration.platform/managed=true",
        namespaces,
        log: pino({ level: "silent" }),
        restartBaseMs: 20,
        restartCapMs: 100,
        ...extra,
      });

    describe("malformed Kubernetes data", () => {
      let rejections: unknown[];
      const onRejection = (reason: unknown) => void rejections.push(reason);
      beforeEach(() => {
        rejections = [];
        process.on("unhandledRejection", onRejection);
      });
      afterEach(() => void process.off("unhandledRejection", onRejection));

      it("skips malformed list items with a warning and starts with the valid ones", async () => {
        api.upsert("shop", "payment", 8080);
        api.malformedListItems = [
          null,
          {},
          { kind: "Service" },
          { metadata: "payment" },
          { metadata: { namespace: "shop" }, spec: { ports: [{ port: 80 }] } },
          { metadata: { name: "ghost" }, spec: { ports: [{ port: 80 }] } },
          { metadata: { name: "bad/name", namespace: "shop" }, spec: { ports: [{ port: 80 }] } },
          { metadata: { name: "strange-ports", namespace: "shop" }, spec: { ports: "80" } },
          { metadata: { name: "no-spec", namespace: "shop" } },
        ];
        const { log, lines } = capturingLog();
        const metrics = new Metrics(false);
        disc = discovery(["shop"], { log, metrics });
        await disc.start();
        assert.deepStrictEqual(disc.known(), ["payment"]);
        const skipped = lines.filter((l) => l.msg === "malformed Service skipped");
        assert.ok(skipped.length >= 7, JSON.stringify(lines));
        assert.ok(
          skipped.every((l) => l.level === 40 && typeof l.reason === "string" && l.source === "list"),
          JSON.stringify(skipped),
        );
        assert.ok((await metricValue(metrics, "worker_discovery_malformed_objects_total", { source: "list" })) >= 7);
        assert.deepStrictEqual(rejections, []);
      });

      it("skips malformed watch events with a warning, without an unhandled rejection, and keeps watching", async () => {
        api.upsert("shop", "payment", 8080);
        const { log, lines } = capturingLog();
        const metrics = new Metrics(false);
        disc = discovery(["shop"], { log, metrics });
        await disc.start();
        await eventually(() => api.openWatches() === 1, "an open watch");
        for (const event of [
          { type: "ADDED" },
          { type: "MODIFIED", object: null },
          { type: "DELETED", object: { spec: {} } },
          { type: "ADDED", object: "payment" },
          { type: "ADDED", object: { metadata: { name: "x", namespace: "shop" }, spec: { ports: 5 } } },
          { type: "BOOKMARK" },
          { type: "ERROR" },
          { object: { metadata: { name: "y", namespace: "shop" } } },
        ])
          api.emitRaw(event);
        api.upsert("shop", "stock", 9090);
        await eventually(() => disc.resolve("stock") !== undefined, "a valid event after the malformed ones");
        await new Promise((r) => setTimeout(r, 50));
        assert.deepStrictEqual(rejections, []);
        assert.strictEqual(disc.resolve("payment"), "http://payment.shop.svc.cluster.local:8080");
        assert.strictEqual(disc.resolve("x"), undefined);
        const skipped = lines.filter((l) => l.msg === "malformed Service skipped" && l.source === "watch");
        assert.ok(skipped.length >= 6, JSON.stringify(lines));
        assert.ok((await metricValue(metrics, "worker_discovery_malformed_objects_total", { source: "watch" })) >= 6);
      });
    });

    describe("the same service name in several namespaces", () => {
      const owner = (svc: string, ns: string, port: number) => `http://${svc}.${ns}.svc.cluster.local:${port}`;

      it("the first claimant keeps the name; a later one is refused, logged and counted; deleting the refused one leaves the owner", async () => {
        api.upsert("shop", "payment", 8080);
        const { log, lines } = capturingLog();
        const metrics = new Metrics(false);
        disc = discovery(["shop", "billing"], { log, metrics });
        await disc.start();
        assert.strictEqual(disc.resolve("payment"), owner("payment", "shop", 8080));

        api.upsert("billing", "payment", 9999);
        await eventually(() => lines.some((l) => l.msg === "service name claimed in another namespace: refused"), "the refusal");
        assert.strictEqual(disc.resolve("payment"), owner("payment", "shop", 8080), "no silent switch to the later claimant");
        const refusal = lines.find((l) => l.msg === "service name claimed in another namespace: refused")!;
        assert.strictEqual(refusal.level, 40);
        assert.strictEqual(refusal.service, "payment");
        assert.strictEqual(refusal.ownerNamespace, "shop");
        assert.strictEqual(refusal.refusedNamespace, "billing");
        assert.strictEqual(await metricValue(metrics, "worker_discovery_name_collisions_total", { service: "payment", refused_namespace: "billing" }), 1);
        assert.strictEqual(await metricValue(metrics, "worker_discovery_refused_claims"), 1);

        api.remove("billing", "payment");
        await eventually(() => lines.some((l) => l.msg === "refused service claim withdrawn"), "the withdrawal");
        assert.strictEqual(disc.resolve("payment"), owner("payment", "shop", 8080), "deleting B's Service never removes A's entry");
        assert.strictEqual(await metricValue(metrics, "worker_discovery_refused_claims"), 0);
      });

      it("when the owner goes, the next claimant takes the name over: logged and counted, never silent", async () => {
        api.upsert("shop", "payment", 8080);
        api.upsert("billing", "payment", 9999);
        const { log, lines } = capturingLog();
        const metrics = new Metrics(false);
        disc = discovery(["shop", "billing"], { log, metrics });
        await disc.start();
        assert.strictEqual(disc.resolve("payment"), owner("payment", "shop", 8080));
        assert.strictEqual(await metricValue(metrics, "worker_discovery_refused_claims"), 1);

        api.remove("shop", "payment");
        await eventually(() => disc.resolve("payment") === owner("payment", "billing", 9999), "the handover");
        const handover = lines.find((l) => l.msg === "service name moved to another namespace");
        assert.ok(handover, JSON.stringify(lines));
        assert.strictEqual(handover.level, 40);
        assert.deepStrictEqual(
          [handover.service, handover.fromNamespace, handover.toNamespace, handover.reason],
          ["payment", "shop", "billing", "owner deleted"],
        );
        assert.strictEqual(await metricValue(metrics, "worker_discovery_owner_changes_total", { service: "payment" }), 1);
        assert.strictEqual(await metricValue(metrics, "worker_discovery_refused_claims"), 0);
      });

      it("a namespace listed earlier outranks one listed later, whichever Service came first", async () => {
        api.upsert("billing", "payment", 9999);
        const { log, lines } = capturingLog();
        const metrics = new Metrics(false);
        disc = discovery(["shop", "billing"], { log, metrics });
        await disc.start();
        assert.strictEqual(disc.resolve("payment"), owner("payment", "billing", 9999));
        api.upsert("shop", "payment", 8080);
        await eventually(() => disc.resolve("payment") === owner("payment", "shop", 8080), "the precedence of shop");
        const moved = lines.find((l) => l.msg === "service name moved to another namespace");
        assert.ok(moved, JSON.stringify(lines));
        assert.deepStrictEqual([moved.fromNamespace, moved.toNamespace, moved.reason], ["billing", "shop", "higher-precedence claimant"]);
        assert.strictEqual(await metricValue(metrics, "worker_discovery_name_collisions_total", { service: "payment", refused_namespace: "billing" }), 1);
      });

      it("watching all namespaces, the oldest Service keeps the name, and a restarted worker agrees", async () => {
        api.upsert("zeta", "payment", 8080, undefined, "2025-06-01T10:00:00Z");
        const metrics = new Metrics(false);
        disc = discovery(["*"], { metrics });
        await disc.start();
        api.upsert("alpha", "payment", 9999, undefined, "2025-06-02T10:00:00Z");
        await eventually(() => api.watches >= 1, "watching");
        await eventually(() => disc.known().length === 1, "the name");
        await new Promise((r) => setTimeout(r, 100));
        assert.strictEqual(
          disc.resolve("payment"),
          owner("payment", "zeta", 8080),
          "a newer Service in an alphabetically earlier namespace does not take over",
        );
        assert.strictEqual(await metricValue(metrics, "worker_discovery_name_collisions_total", { service: "payment", refused_namespace: "alpha" }), 1);

        const again = discovery(["*"]);
        try {
          await again.start();
          assert.strictEqual(again.resolve("payment"), owner("payment", "zeta", 8080));
        } finally {
          await again.close();
        }
      });
    });
  });
});

describe("service discovery health", () => {
  let api: FakeKubeApi;
  let disc: KubernetesDiscovery | undefined;
  let metrics: Metrics;
  const options = (): KubernetesDiscoveryOptions => ({
    kubeConfig: kubeConfigFor(api.url),
    labelSelector: "orchestration.platform/managed=true",
    namespaces: ["shop"],
    log: pino({ level: "silent" }),
    metrics,
    restartBaseMs: 20,
    restartCapMs: 60,
  });
  beforeEach(async () => {
    api = await FakeKubeApi.start();
    metrics = new Metrics(false);
  });
  afterEach(async () => {
    await disc?.close();
    disc = undefined;
    await api.stop();
  });

  it("start() waits for the first successful list: a refused list keeps it waiting, counted and shown as watch down", async () => {
    api.upsert("shop", "payment", 8080);
    api.failLists = 3;
    disc = new KubernetesDiscovery(options());
    let started = false;
    const starting = disc.start().then(() => (started = true));
    await eventually(() => api.lists >= 2, "refused lists");
    assert.strictEqual(started, false, "not started while the API refuses the list");
    assert.strictEqual(disc.known().length, 0);
    assert.strictEqual(await metricValue(metrics, "worker_discovery_watch_connected", { watched_namespace: "shop" }), 0);
    assert.ok((await metricValue(metrics, "worker_discovery_watch_failures_total", { watched_namespace: "shop" })) >= 1);
    assert.match(disc.health().watches[0].lastError ?? "", /Forbidden/);

    await starting;
    assert.strictEqual(disc.resolve("payment"), "http://payment.shop.svc.cluster.local:8080");
    await eventually(() => disc!.health().watches[0].connected, "watch connected after the list");
    assert.deepStrictEqual(
      disc.health().watches.map((w) => ({ namespace: w.namespace, listed: w.listed, connected: w.connected })),
      [{ namespace: "shop", listed: true, connected: true }],
    );
    assert.strictEqual(await metricValue(metrics, "worker_discovery_watch_connected", { watched_namespace: "shop" }), 1);
    const listedAt = await metricValue(metrics, "worker_discovery_last_list_timestamp_seconds", { watched_namespace: "shop" });
    assert.ok(Math.abs(listedAt - Date.now() / 1000) < 30, `last list at ${listedAt}`);
  });

  it("close() ends a start that is still waiting for its first list", async () => {
    api.failLists = 1000;
    disc = new KubernetesDiscovery(options());
    const starting = disc.start();
    await eventually(() => api.lists >= 1, "a refused list");
    await disc.close();
    await assert.rejects(starting, /closed before namespace shop was listed/);
  });

  it("a watch the API refuses shows as down until it is back; a re-list updates the last list time", async () => {
    api.upsert("shop", "payment", 8080);
    disc = new KubernetesDiscovery(options());
    await disc.start();
    await eventually(() => disc!.health().watches[0].connected, "watch connected");
    assert.strictEqual(await metricValue(metrics, "worker_discovery_watch_connected", { watched_namespace: "shop" }), 1);
    const firstList = await metricValue(metrics, "worker_discovery_last_list_timestamp_seconds", { watched_namespace: "shop" });

    api.refuseWatches = true;
    api.dropWatches();
    await eventually(() => disc!.health().watches[0].connected === false, "watch down");
    assert.strictEqual(await metricValue(metrics, "worker_discovery_watch_connected", { watched_namespace: "shop" }), 0);
    await eventually(() => api.watches >= 3, "refused watch attempts");
    assert.ok((await metricValue(metrics, "worker_discovery_watch_failures_total", { watched_namespace: "shop" })) >= 1);
    assert.strictEqual(disc.resolve("payment"), "http://payment.shop.svc.cluster.local:8080", "the cache keeps serving while the watch is down");

    await new Promise((r) => setTimeout(r, 1100)); // the timestamp has a resolution of a second
    // The resume point is gone by the time the API answers again: coming back takes a re-list.
    api.compact();
    api.upsert("shop", "ledger", 8080);
    api.refuseWatches = false;
    await eventually(() => disc!.health().watches[0].connected && disc!.resolve("ledger") !== undefined, "watch back");
    assert.strictEqual(await metricValue(metrics, "worker_discovery_watch_connected", { watched_namespace: "shop" }), 1);
    assert.ok((await metricValue(metrics, "worker_discovery_last_list_timestamp_seconds", { watched_namespace: "shop" })) > firstList, "re-listed");
  });
});
