// Where the stack outputs say Operate is (the values' effect as chart 13.x and the SaaS Console define it).
import * as assert from "assert";
import { embeddedOperateUrl, saasOperateUrl } from "../components/operate";

const GATEWAY = "http://checkout-camunda-zeebe-gateway.shop.svc.cluster.local:8080";

describe("Operate URL", () => {
  it("embedded: the orchestration cluster serves Operate at <contextPath>/operate on the gateway's HTTP port", () => {
    assert.strictEqual(embeddedOperateUrl(GATEWAY), `${GATEWAY}/operate`);
    assert.strictEqual(embeddedOperateUrl(`${GATEWAY}/`, { contextPath: "/orchestration/" }), `${GATEWAY}/orchestration/operate`);
    assert.strictEqual(embeddedOperateUrl(GATEWAY, { contextPath: "camunda" }), `${GATEWAY}/camunda/operate`);
  });

  it("embedded with the operate profile turned off: no URL", () => {
    assert.strictEqual(embeddedOperateUrl(GATEWAY, { profiles: { operate: false } }), undefined);
    assert.strictEqual(embeddedOperateUrl(GATEWAY, { profiles: { operate: true } }), `${GATEWAY}/operate`);
  });

  it("SaaS: https://<region>.operate.camunda.io/<clusterId>", () => {
    assert.strictEqual(
      saasOperateUrl("5c34c0a7-7f29-4424-8414-125615f7a9b9", "syd-1"),
      "https://syd-1.operate.camunda.io/5c34c0a7-7f29-4424-8414-125615f7a9b9",
    );
  });
});
