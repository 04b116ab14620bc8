import * as assert from "assert";
import * as k8s from "@kubernetes/client-node";
import pino from "pino";
import { KubernetesDiscovery, resolveNamespaces, serviceUrl } from "../src/discovery/kubernetes";
import { staticRegistry, UnknownServiceError } from "../src/discovery/registry";
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

describe("service discovery", () => {
  it("resolves namespaces: configured, all, or the service account's own", () => {
    assert.deepStrictEqual(resolveNamespaces(["a", "b"]), ["a", "b"]);
    assert.deepStrictEqual(resolveNamespaces(["a", "*"]), ["*"]);
    assert.deepStrictEqual(resolveNamespaces([], () => "shop\n"), ["shop"]);
    assert.throws(() => resolveNamespaces([], () => { throw new Error("ENOENT"); }), /DISCOVERY_NAMESPACES/);
  });

  it("builds the cluster DNS URL from the http port", () => {
    const svc = { metadata: { name: "pay", namespace: "shop" }, spec: { ports: [{ name: "grpc", port: 9000 }, { name: "http", port: 8081 }] } };
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
      disc = new KubernetesDiscovery({ kubeConfig: kubeConfigFor(api.url), labelSelector: "orchestration.platform/managed=true", namespaces: ["shop"], log: pino({ level: "silent" }), restartBaseMs: 20, restartCapMs: 100 });
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
  });
});
