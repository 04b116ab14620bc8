import assert from "assert";
import { createHash } from "crypto";
import { credentialShape, DEFAULT_SECRET_NAME_PATTERNS, entropy, plaintextCredential } from "../lib/credentials";

const rules = { secretNamePatterns: DEFAULT_SECRET_NAME_PATTERNS, allowedNames: [] };

describe("credential detectors", () => {
  it("flags secret-looking names with a value", () => {
    const names = ["ZEEBE_CLIENT_SECRET", "DB_PASSWORD", "GITHUB_TOKEN", "API_KEY", "zeebe.client.secret", "TLS_PRIVATE_KEY_PEM"];
    // The short and plural spellings: each is matched by its own alternative of the default pattern.
    names.push("DB_PWD", "SMTP_PASSWD", "GCP_CREDENTIALS", "aws-credential", "PAYMENT_APIKEY");
    for (const name of names) {
      assert.ok(plaintextCredential(name, "x", rules), name);
    }
  });

  it("leaves harmless names alone", () => {
    for (const name of ["KAFKA_SASL_MECHANISM", "ZEEBE_TOKEN_AUDIENCE", "SECRET_NAME", "KEYSPACE", "LOG_LEVEL", "order-saga.bpmn"]) {
      assert.strictEqual(plaintextCredential(name, "plain", rules), undefined, name);
    }
  });

  it("ignores empty values and allowed names", () => {
    assert.strictEqual(plaintextCredential("DB_PASSWORD", "", rules), undefined);
    assert.strictEqual(plaintextCredential("CORRELATION_KEY", "orderId", { ...rules, allowedNames: ["CORRELATION_KEY"] }), undefined);
  });

  it("recognises credential-shaped values", () => {
    assert.match(credentialShape("postgres://app:hunter2@db:5432/app")!, /password/);
    assert.match(credentialShape("redis://:s3cr3t@redis:6379")!, /password/);
    assert.match(credentialShape("-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----")!, /PEM/);
    assert.match(credentialShape("AKIAIOSFODNN7EXAMPLE")!, /AWS/);
    assert.match(credentialShape("q8Zr3VbX1nT7kLp0YwS5dGh2JcF9mA4e")!, /random token/);
    assert.match(credentialShape("[secret]")!, /Pulumi secret/);
  });

  it("does not flag ordinary configuration values", () => {
    const bpmn =
      '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
      'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Definitions_1a2b3c4d5e6f7g8h9i0j">\n' +
      '<bpmn:serviceTask id="Activity_0x9k2mz"><zeebe:taskDefinition type="call-microservice-payment" retries="3"/></bpmn:serviceTask>\n</bpmn:definitions>';
    const digest = createHash("sha256").update("worker").digest("hex");
    for (const v of [
      bpmn,
      digest,
      "grpc://checkout-zeebe-gateway.orchestration.svc.cluster.local:26500",
      "postgres://checkout:$(DB_PASSWORD)@pg:5432/checkout",
      "checkout-orchestrator-compensation-triggers",
      "550e8400-e29b-41d4-a716-446655440000",
      "2000m",
    ]) {
      assert.strictEqual(credentialShape(v), undefined, v);
    }
  });

  it("measures entropy in bits per character", () => {
    assert.strictEqual(entropy("aaaa"), 0);
    assert.strictEqual(entropy("abcd"), 2);
  });
});
