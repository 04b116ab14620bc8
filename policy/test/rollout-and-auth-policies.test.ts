import assert from "assert";
import { workerAutoscaling } from "../policies/worker-autoscaling";
import { istioPublicEntry } from "../policies/istio-public-entry";
import { zeebeApiProtected } from "../policies/zeebe-api-protected";
import { KNATIVE, messages, resource, workerService } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const hpa: Record<string, string> = {
  "autoscaling.knative.dev/class": "hpa.autoscaling.knative.dev",
  "autoscaling.knative.dev/metric": "cpu",
  "autoscaling.knative.dev/min-scale": "1",
};
const worker = (annotations: Record<string, string>) => {
  const svc = workerService();
  (svc.spec.template.metadata as { annotations: Record<string, string> }).annotations = annotations;
  return resource(KNATIVE, "w", svc);
};
const release = (security: Record<string, unknown>, stack = "prod") =>
  resource(RELEASE, "checkout-zeebe-release", { chart: "camunda-platform", version: "13.12.7", values: { orchestration: { security } } }, { stack });

describe("worker-autoscaling", () => {
  it("passes a worker on Knative's HPA class scaling on CPU with at least one pod", async () => {
    assert.deepStrictEqual(await messages(workerAutoscaling, [worker(hpa)]), []);
  });

  it("refuses min-scale 0, or none (Knative's default lets it scale to zero), since no request wakes a pull worker", async () => {
    assert.match((await messages(workerAutoscaling, [worker({ ...hpa, "autoscaling.knative.dev/min-scale": "0" })]))[0], /min-scale 0: .*never wakes up/);
    const { ["autoscaling.knative.dev/min-scale"]: _min, ...noMin } = hpa;
    assert.match((await messages(workerAutoscaling, [worker(noMin)]))[0], /min-scale unset/);
  });

  it("refuses request-based scaling, which never sees a pull worker's load", async () => {
    const found = await messages(workerAutoscaling, [worker({ "autoscaling.knative.dev/min-scale": "1", "autoscaling.knative.dev/metric": "concurrency" })]);
    assert.match(found.join(), /class kpa\.autoscaling\.knative\.dev \(the default\), metric concurrency: .*hpa\.autoscaling\.knative\.dev with metric cpu/);
  });
});

describe("zeebe-api-protected", () => {
  it("passes the chart's protected API (basic or oidc) in production", async () => {
    assert.deepStrictEqual(
      await messages(zeebeApiProtected, [release({ authentication: { method: "basic", unprotectedApi: false }, authorizations: { enabled: true } })]),
      [],
    );
    assert.deepStrictEqual(await messages(zeebeApiProtected, [release({ authentication: { method: "oidc" } })]), [], "chart defaults fill in the rest");
  });

  it("refuses an unprotected API or authorizations off in production, not in dev", async () => {
    const open = release({ authentication: { method: "basic", unprotectedApi: true }, authorizations: { enabled: false } });
    const found = await messages(zeebeApiProtected, [open]);
    assert.match(found.join("\n"), /unprotectedApi: true/);
    assert.match(found.join("\n"), /authorizations\.enabled: false/);
    assert.deepStrictEqual(await messages(zeebeApiProtected, [release({ authentication: { unprotectedApi: true } }, "dev")]), []);
    assert.match((await messages(zeebeApiProtected, [release({ authentication: { method: "none" } })]))[0], /method "none"/);
  });
});

describe("istio-public-entry", () => {
  const VS = "kubernetes:networking.istio.io/v1:VirtualService";
  const AUTHZ = "kubernetes:security.istio.io/v1:AuthorizationPolicy";
  const virtualService = (http: unknown[], gateways = ["shop/checkout-gateway"]) =>
    resource(VS, "vs", { spec: { hosts: ["checkout.example.com"], gateways, http } });
  const denyWithoutJwt = resource(AUTHZ, "authz", {
    spec: {
      action: "DENY",
      rules: [
        { from: [{ source: { notRequestPrincipals: ["https://idp/*"] } }], to: [{ operation: { hosts: ["checkout.example.com", "checkout.example.com:*"] } }] },
      ],
    },
  });
  const publicRoute = { match: [{ uri: { exact: "/api/v1/messages" }, method: { exact: "POST" } }], route: [{ destination: { host: "x" } }] };

  it("passes a gateway route to the public API, protected by a JWT rule on its host", async () => {
    assert.deepStrictEqual(await messages(istioPublicEntry, [virtualService([publicRoute]), denyWithoutJwt]), []);
  });

  it("refuses a route without match (every path, /metrics and /actuator included) and a route to an ops path", async () => {
    const everything = await messages(istioPublicEntry, [virtualService([{ route: [{ destination: { host: "x" } }] }]), denyWithoutJwt]);
    assert.match(everything.join(), /route 0 has no match, so it routes every path/);
    const ops = await messages(istioPublicEntry, [
      virtualService([
        { match: [{ uri: { prefix: "/actuator" } }], route: [] },
        { match: [{ uri: { prefix: "/" } }], route: [] },
      ]),
      denyWithoutJwt,
    ]);
    assert.match(ops.join("\n"), /route 0 matches \{"prefix":"\/actuator"\}/);
    assert.match(ops.join("\n"), /route 1 matches \{"prefix":"\/"\}/);
  });

  it("refuses a public host no JWT rule protects", async () => {
    assert.match((await messages(istioPublicEntry, [virtualService([publicRoute])]))[0], /checkout\.example\.com is public without a JWT requirement/);
  });

  it("lets an Operate entry route its whole host to the orchestration cluster's web port, behind the same JWT rule, never to the worker or a management port", async () => {
    const operate = (destination: unknown, host = "checkout.example.com") =>
      resource(VS, "operate", {
        metadata: { labels: { "app.kubernetes.io/component": "operate" } },
        spec: { hosts: [host], gateways: ["shop/checkout-gateway"], http: [{ name: "operate", route: [{ destination }] }] },
      });
    const web = { host: "checkout-camunda-zeebe-gateway.shop.svc.cluster.local", port: { number: 8080 } };
    assert.deepStrictEqual(await messages(istioPublicEntry, [operate(web), denyWithoutJwt]), []);
    assert.match(
      (await messages(istioPublicEntry, [operate(web, "operate.example.com"), denyWithoutJwt]))[0],
      /operate\.example\.com is public without a JWT requirement/,
    );
    assert.match(
      (await messages(istioPublicEntry, [operate({ host: "knative-local-gateway.istio-system.svc.cluster.local", port: { number: 80 } }), denyWithoutJwt]))[0],
      /route 0 has no match/,
    );
    assert.match((await messages(istioPublicEntry, [operate({ ...web, port: { number: 9600 } }), denyWithoutJwt]))[0], /route 0 has no match/);
    assert.match((await messages(istioPublicEntry, [operate({ host: web.host }), denyWithoutJwt]))[0], /route 0 has no match/, "a port must be named");
    const worker = { host: "checkout-worker-00001-private.shop.svc.cluster.local", port: { number: 80 } };
    assert.match((await messages(istioPublicEntry, [operate(worker), denyWithoutJwt]))[0], /route 0 has no match/, "not the worker's pods");
  });

  it("leaves mesh-internal VirtualServices alone", async () => {
    assert.deepStrictEqual(await messages(istioPublicEntry, [virtualService([{ route: [] }], ["mesh"])]), []);
  });
});
