// Where the stack outputs say Operate is (the values' effect as chart 13.x and the SaaS Console define it).
import * as assert from "assert";
import { embeddedOperateUrl, operateOffReason, operatePath, publicWebAppsRoot, saasOperateUrl } from "../components/operate";

const GATEWAY = "http://checkout-camunda-zeebe-gateway.shop.svc.cluster.local:8080";

describe("Operate URL", () => {
  it("embedded: the orchestration cluster serves Operate at <contextPath>/operate on the gateway's HTTP port", () => {
    assert.strictEqual(embeddedOperateUrl(GATEWAY), `${GATEWAY}/operate`);
    assert.strictEqual(embeddedOperateUrl(`${GATEWAY}/`, { orchestration: { contextPath: "/orchestration/" } }), `${GATEWAY}/orchestration/operate`);
    assert.strictEqual(embeddedOperateUrl(GATEWAY, { orchestration: { contextPath: "camunda" } }), `${GATEWAY}/camunda/operate`);
    assert.strictEqual(operatePath({ orchestration: { contextPath: "" } }), "/operate");
  });

  it("embedded with the operate profile off or without secondary storage: no URL, and the reason names the value", () => {
    assert.strictEqual(embeddedOperateUrl(GATEWAY, { orchestration: { profiles: { operate: false } } }), undefined);
    assert.match(operateOffReason({ orchestration: { profiles: { operate: false } } })!, /orchestration\.profiles\.operate: false/);
    assert.strictEqual(embeddedOperateUrl(GATEWAY, { global: { noSecondaryStorage: true } }), undefined);
    assert.match(operateOffReason({ global: { noSecondaryStorage: true } })!, /global\.noSecondaryStorage: true/);
    assert.strictEqual(
      embeddedOperateUrl(GATEWAY, { orchestration: { profiles: { operate: true } }, global: { noSecondaryStorage: false } }),
      `${GATEWAY}/operate`,
    );
    assert.strictEqual(operateOffReason({}), undefined);
  });

  it("the web apps' public root, where an OIDC login returns: https://<host><contextPath>", () => {
    assert.strictEqual(publicWebAppsRoot("operate.example.com"), "https://operate.example.com");
    assert.strictEqual(publicWebAppsRoot("operate.example.com", { orchestration: { contextPath: "/camunda/" } }), "https://operate.example.com/camunda");
  });

  it("SaaS: https://<region>.operate.camunda.io/<clusterId>", () => {
    assert.strictEqual(
      saasOperateUrl("5c34c0a7-7f29-4424-8414-125615f7a9b9", "syd-1"),
      "https://syd-1.operate.camunda.io/5c34c0a7-7f29-4424-8414-125615f7a9b9",
    );
  });
});
