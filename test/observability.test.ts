// An orchestrator's observability settings end to end through the components: tracing wired into the worker
// (headers as a Secret, by secretKeyRef), the dashboard and thresholds, and where Operate is.
import { strict as assert } from "assert";
import { CamundaOrchestrator } from "../components";
import { stackSettingsSchema } from "../components/settings";
import { runPolicies } from "../policy/offline";
import { policies } from "../policy/policies/all";
import { REDACTED } from "../render/types";
import { at, ofType, runProgram, single } from "./support/mock-program";

const K = {
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  knative: "kubernetes:serving.knative.dev/v1:Service",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
  gateway: "kubernetes:networking.istio.io/v1:Gateway",
  authorizationPolicy: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
  release: "kubernetes:helm.sh/v3:Release",
};

/** What every orchestrator of these tests needs besides the observability settings. */
const BASE = { kafkaStrimziNamespace: "kafka" };
const GATEWAY = {
  gatewayJwtIssuer: "https://idp.example.com/realms/apps",
  gatewayJwksUri: "https://idp.example.com/realms/apps/protocol/openid-connect/certs",
};

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
const workerEnv = (resources: Parameters<typeof single>[0]): Env => at(single(resources, K.knative), "spec.template.spec.containers.0.env");
const byName = (env: Env) => Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));

describe("observability settings", () => {
  it("otlpEndpoint wires tracing into the worker: OTEL_* variables, the headers only by secretKeyRef to a Secret of their own", async () => {
    const run = await runProgram(() => {
      new CamundaOrchestrator("checkout", {
        namespace: "shop",
        properties: { realtimePlatform: "shop-events" },
        settings: { ...BASE, otlpEndpoint: "http://otel-collector.observability:4318", otlpHeaders: "authorization=Bearer%20s3cret", traceSampleRatio: 0.25 },
      });
      return {};
    });
    const env = byName(workerEnv(run.resources));
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, "http://otel-collector.observability:4318");
    assert.equal(env.OTEL_SERVICE_NAME, "checkout-worker");
    assert.equal(env.OTEL_RESOURCE_ATTRIBUTES, "service.namespace=shop,k8s.namespace.name=shop");
    assert.equal(env.OTEL_TRACES_SAMPLER, "parentbased_traceidratio");
    assert.equal(env.OTEL_TRACES_SAMPLER_ARG, "0.25");
    assert.deepEqual(env.OTEL_EXPORTER_OTLP_HEADERS, { secretKeyRef: { name: "checkout-otlp", key: "OTEL_EXPORTER_OTLP_HEADERS" } });
    const secret = ofType(run.resources, K.secret).find((s) => at(s, "metadata.name") === "checkout-otlp");
    assert.ok(secret, "the OTLP headers' Secret");
    assert.deepEqual(at(secret, "stringData"), { OTEL_EXPORTER_OTLP_HEADERS: REDACTED });
  });

  it("without otlpEndpoint the worker gets no OTEL_* variable and no Secret for them", async () => {
    const run = await runProgram(() => {
      new CamundaOrchestrator("checkout", { namespace: "shop", properties: { realtimePlatform: "shop-events" }, settings: BASE });
      return {};
    });
    assert.deepEqual(
      workerEnv(run.resources).filter((e) => e.name.startsWith("OTEL_")),
      [],
    );
    assert.ok(!ofType(run.resources, K.secret).some((s) => at(s, "metadata.name") === "checkout-otlp"));
  });

  it("refuses OTLP headers, a protocol or a sample ratio without an endpoint, and an OTEL_* variable the settings own in `environment`", () => {
    const problems = (raw: Record<string, string>) => {
      const r = stackSettingsSchema.safeParse(raw);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    assert.deepEqual(problems({ otlpHeaders: "a=b" }), ["otlpHeaders: needs otlpEndpoint (the collector the headers are for)"]);
    assert.deepEqual(problems({ otlpEndpoint: "http://c:4318", traceSampleRatio: "2" }), ["traceSampleRatio: Too big: expected number to be <=1"]);
    assert.deepEqual(problems({ otlpEndpoint: "otel-collector:4318" }), [
      "otlpEndpoint: must be an http:// or https:// URL of an OTLP/HTTP collector, e.g. http://otel-collector.observability:4318",
    ]);
    assert.deepEqual(problems({ otlpEndpoint: "https://otlp.example.com", otlpHeaders: "Bearer token" }), [
      "otlpHeaders: must be key=value pairs separated by commas (values URL-encoded), e.g. authorization=Bearer%20<token>",
    ]);
    assert.throws(
      () =>
        new CamundaOrchestrator("x", {
          namespace: "n",
          properties: { realtimePlatform: "p", environment: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" } },
          settings: BASE,
        }),
      /environment\.OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });

  it("the dashboard label and thresholds come from the settings; grafanaDashboard false leaves the dashboard out", async () => {
    const run = await runProgram(() => {
      new CamundaOrchestrator("a", {
        namespace: "shop",
        properties: { realtimePlatform: "p" },
        settings: { ...BASE, grafanaDashboardLabel: "dashboards=orchestration", alertThresholds: { compensationSuccessRatio: 0.8 } },
      });
      new CamundaOrchestrator("b", { namespace: "shop", properties: { realtimePlatform: "p" }, settings: { ...BASE, grafanaDashboard: false } });
      return {};
    });
    const dashboards = ofType(run.resources, K.configMap).filter((c) => String(at(c, "metadata.name")).endsWith("-dashboard"));
    assert.deepEqual(
      dashboards.map((c) => [at(c, "metadata.name"), at(c, "metadata.labels").dashboards]),
      [["a-dashboard", "orchestration"]],
    );
    const ruleOfA = ofType(run.resources, K.prometheusRule).find((r) => at(r, "metadata.name") === "a-alerts")!;
    const success = at(ruleOfA, "spec.groups.0.rules").find((r: { alert: string }) => r.alert === "OrchestratorCompensationSuccessLow");
    assert.match(success.expr, /< 0\.8$/);
  });

  it("operateUrl: the embedded cluster's Operate, or the SaaS cluster's", async () => {
    const run = await runProgram(() => {
      const embedded = new CamundaOrchestrator("checkout", { namespace: "shop", properties: { realtimePlatform: "p" }, settings: BASE });
      const remote = new CamundaOrchestrator("payments", {
        namespace: "pay",
        properties: { realtimePlatform: "p", camundaMode: "remote" },
        settings: { ...BASE, saasClusterId: "5c34c0a7-7f29-4424-8414-125615f7a9b9", saasRegion: "syd-1", saasClientId: "id", saasClientSecret: "secret" },
      });
      return { embedded: embedded.operateUrl, remote: remote.operateUrl, rest: embedded.zeebeRestAddress };
    });
    assert.equal(run.outputs.embedded, `${run.outputs.rest}/operate`);
    assert.match(String(run.outputs.embedded), /^http:\/\/checkout-camunda-zeebe-gateway\.shop\.svc\.cluster\.local:8080\/operate$/);
    assert.equal(run.outputs.remote, "https://syd-1.operate.camunda.io/5c34c0a7-7f29-4424-8414-125615f7a9b9");
  });

  it("operateHost exposes the embedded Operate through the orchestrator's Istio gateway (HTTPS, same gateway), and operateUrl is then public", async () => {
    const run = await runProgram(() => {
      const o = new CamundaOrchestrator("checkout", {
        namespace: "shop",
        properties: { realtimePlatform: "p", enableIstioGateway: true, gatewayHost: "checkout.example.com" },
        settings: { ...BASE, ...GATEWAY, operateHost: "operate.checkout.example.com" },
      });
      return { operate: o.operateUrl };
    });
    assert.equal(run.outputs.operate, "https://operate.checkout.example.com/operate");
    const servers = (
      at(single(run.resources, K.gateway), "spec.servers") as { port: { protocol: string }; hosts: string[]; tls: Record<string, unknown> }[]
    ).filter((s) => s.hosts.includes("operate.checkout.example.com"));
    assert.deepEqual(
      servers.map((s) => [s.port.protocol, s.tls]),
      [
        ["HTTPS", { mode: "SIMPLE", credentialName: "checkout-operate-tls" }],
        ["HTTP", { httpsRedirect: true }],
      ],
    );
    const operate = ofType(run.resources, K.virtualService).find((v) => (at(v, "spec.hosts") as string[]).includes("operate.checkout.example.com"));
    assert.ok(operate, "a VirtualService for the Operate host");
    assert.deepEqual(at(operate, "spec.http.0.route.0.destination"), { host: "checkout-camunda-zeebe-gateway.shop.svc.cluster.local", port: { number: 8080 } });
  });

  it("operateHost follows the stack's chart values: Operate under their contextPath, OIDC logins returning to the public host; the policy pack agrees", async () => {
    const oidc = {
      camundaAuth: "oidc" as const,
      camundaOidcIssuerUrl: "https://idp.example.com/realms/camunda",
      camundaOidcTokenUrl: "https://idp.example.com/realms/camunda/protocol/openid-connect/token",
      camundaOidcClientId: "checkout-worker",
      camundaOidcClientSecret: "oidc-secret-value",
    };
    const run = await runProgram(() => {
      const o = new CamundaOrchestrator("checkout", {
        namespace: "shop",
        properties: { realtimePlatform: "p", enableIstioGateway: true, gatewayHost: "checkout.example.com" },
        settings: {
          ...BASE,
          ...GATEWAY,
          ...oidc,
          gatewayJwtAudiences: ["checkout-api"],
          operateHost: "operate.checkout.example.com",
          camundaHelmValues: { orchestration: { contextPath: "/camunda" } },
        },
      });
      return { operate: o.operateUrl };
    });
    assert.equal(run.outputs.operate, "https://operate.checkout.example.com/camunda/operate");
    const release = single(run.resources, K.release);
    assert.equal(at(release, "values.orchestration.contextPath"), "/camunda");
    assert.equal(at(release, "values.orchestration.security.authentication.oidc.redirectUrl"), "https://operate.checkout.example.com/camunda");
    const deny = single(run.resources, K.authorizationPolicy);
    for (const [rule, what] of [
      [0, "a JWT of the issuer"],
      [1, "one of the accepted audiences"],
    ] as const) {
      assert.ok(
        (at(deny, `spec.rules.${rule}.to.0.operation.hosts`) as string[]).includes("operate.checkout.example.com"),
        `the Operate host needs ${what}, as the public API does`,
      );
    }
    const violations = (await runPolicies(policies, run.resources)).map((v) => `${v.policy}: ${v.message}`);
    assert.deepEqual(
      violations.filter((v) => /^(istio-public-entry|zeebe-api-protected|no-plaintext-credentials)/.test(v)),
      [],
    );
  });

  it("refuses operateHost when the stack's chart values turn Operate off, naming the value", () => {
    const exposed = (camundaHelmValues: Record<string, unknown>) => () =>
      new CamundaOrchestrator("c", {
        namespace: "n",
        properties: { realtimePlatform: "p", enableIstioGateway: true, gatewayHost: "c.example.com" },
        settings: { ...BASE, ...GATEWAY, operateHost: "operate.example.com", camundaHelmValues },
      });
    assert.throws(exposed({ orchestration: { profiles: { operate: false } } }), /operateHost.*orchestration\.profiles\.operate: false/);
    assert.throws(exposed({ global: { noSecondaryStorage: true } }), /operateHost.*global\.noSecondaryStorage: true/);
  });

  it("refuses operateHost without the Istio gateway or in remote mode", () => {
    assert.throws(
      () => new CamundaOrchestrator("c", { namespace: "n", properties: { realtimePlatform: "p" }, settings: { ...BASE, operateHost: "operate.example.com" } }),
      /operateHost.*enableIstioGateway/,
    );
  });
});
