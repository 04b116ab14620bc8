import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { findLeaks } from "../render/redact";
import { renderStack } from "../render/render";
import { CamundaOrchestrator } from "../components";
import { REDACTED, RenderResult } from "../render/types";
import { runProgram } from "./support/mock-program";
import { writeRender } from "../render/write";
import { findInFiles, listFiles } from "./support/files";
import { FAKE_SECRETS, RENDER_CASES, renderCase, secretValuesOf } from "./support/render-cases";

type Obj = Record<string, unknown>;

/** What the preview mocks hand out for every generated password (`render/mocks.ts`). */
const GENERATED_PREFIX = "render-generated-";
/** Worker environment variables that carry credentials: only ever by secretKeyRef. */
const CREDENTIAL_ENV = ["DATABASE_URL", "REDIS_URL", "ZEEBE_CLIENT_SECRET", "CAMUNDA_BASIC_AUTH_PASSWORD", "KAFKA_SASL_PASSWORD"];

/** Whether a registered input value is wrapped in Pulumi's secret marker (what the engine encrypts in state). */
const isSecretMarked = (value: unknown) =>
  value !== null && typeof value === "object" && (value as Obj)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;

/** Registered inputs that carry credentials and must be marked secret, by resource type. */
const CREDENTIAL_INPUTS: Record<string, string[]> = {
  "pulumi:providers:kafka": ["saslPassword"],
  "pulumi:providers:postgresql": ["password"],
  "postgresql:index/role:Role": ["password"],
};

function manifests(dir: string): Obj[] {
  return listFiles(path.join(dir, "manifests"))
    .filter((f) => path.basename(f) !== "kustomization.yaml")
    .map((f) => parseYaml(fs.readFileSync(path.join(dir, "manifests", f), "utf8")) as Obj);
}

interface EnvEntry {
  name: string;
  value?: unknown;
  valueFrom?: { secretKeyRef?: { name?: unknown; key?: unknown } };
}

function workerEnv(service: Obj): EnvEntry[] {
  const containers = ((service.spec as Obj).template as { spec: { containers: Array<{ env?: EnvEntry[] }> } }).spec.containers;
  return containers.flatMap((c) => c.env ?? []);
}

describe("secrets never reach a rendered file in plain text", function () {
  this.timeout(120_000);
  const tempDirs: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(dir);
    return dir;
  };
  after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  for (const c of RENDER_CASES) {
    describe(c.label, () => {
      let result: RenderResult;
      let dir: string;
      before(async () => {
        result = await renderCase(c);
        dir = tempDir("secrets-render-");
        writeRender(result, dir);
      });

      it("writes no secret value and no generated password into any file", () => {
        const files = listFiles(dir);
        assert.ok(files.includes("resources.json") && files.includes("outputs.json"), `written: ${files.join(", ")}`);
        assert.ok(
          files.some((f) => f.startsWith("manifests" + path.sep)),
          "no manifests written",
        );
        const embedded = result.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release");
        assert.equal(
          files.some((f) => f.startsWith("helm" + path.sep)),
          embedded,
          "a helm/ values file exactly when Zeebe runs embedded",
        );
        const needles = [...secretValuesOf(c.options), GENERATED_PREFIX];
        assert.deepEqual(findInFiles(dir, needles), []);
      });

      it("registers every Secret payload and every credential input of a provider or role marked secret (not just redacted in the files)", () => {
        const secrets = result.resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
        assert.ok(secrets.length > 0);
        // @pulumi/kubernetes 4.34.2 wraps a Secret's data and stringData in pulumi.secret itself
        // (`core/v1/secret.js`): this half checks that the provider still does, whatever a component passes.
        // The credential inputs below are the half a component can get wrong.
        for (const secret of secrets) {
          const raw = secret.rawInputs!;
          for (const field of ["stringData", "data"]) {
            const payload = raw[field];
            if (payload === undefined) continue;
            const marked = isSecretMarked(payload) || (payload !== null && typeof payload === "object" && Object.values(payload as Obj).every(isSecretMarked));
            assert.ok(
              marked,
              `Secret ${secret.name}: ${field} is registered in plain text: @pulumi/kubernetes no longer marks Secret payloads secret, so wrap them in pulumi.secret`,
            );
          }
        }
        for (const resource of result.resources) {
          for (const field of CREDENTIAL_INPUTS[resource.type] ?? []) {
            const value = resource.rawInputs![field];
            if (value !== undefined) assert.ok(isSecretMarked(value), `${resource.type} ${resource.name}: ${field} is registered in plain text`);
          }
        }
      });

      it("has generated passwords in the render, so the placeholder scan is not vacuous", () => {
        // Every case creates passwords with @pulumi/random (saga database role, in-cluster PostgreSQL/Redis).
        assert.ok(
          result.resources.some((r) => r.type === "random:index/randomPassword:RandomPassword"),
          "no RandomPassword rendered",
        );
      });

      it("writes no Secret manifest, and records every Secret in resources.json with [secret] for each key", () => {
        assert.deepEqual(
          manifests(dir).filter((m) => m.apiVersion === "v1" && m.kind === "Secret"),
          [],
        );
        const inResources = (
          JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as Array<{ type: string; name: string; inputs: Obj }>
        ).filter((r) => r.type === "kubernetes:core/v1:Secret");
        assert.ok(inResources.length > 0, "no Secret rendered");
        for (const r of inResources) {
          const payload = { ...(r.inputs.data as Obj | undefined), ...(r.inputs.stringData as Obj | undefined) };
          assert.ok(Object.keys(payload).length > 0, `Secret ${r.name} lists no keys`);
          for (const value of Object.values(payload)) assert.equal(value, REDACTED);
        }
      });

      it("passes credentials to the worker only by secretKeyRef, to Secrets and keys it renders", () => {
        const all = manifests(dir);
        const secretKeys = new Map(
          all
            .filter((m) => m.kind === "ExternalSecret")
            .map((m) => [String(((m.spec as Obj).target as Obj).name), new Set(((m.spec as Obj).data as Obj[]).map((d) => String(d.secretKey)))]),
        );
        const services = all.filter((m) => m.apiVersion === "serving.knative.dev/v1" && m.kind === "Service");
        assert.ok(services.length > 0);
        for (const service of services) {
          const env = workerEnv(service);
          const names = env.map((e) => e.name);
          for (const required of ["DATABASE_URL", "REDIS_URL"]) assert.ok(names.includes(required), `worker env lacks ${required}`);
          if (c.options.secrets?.saasClientSecret) assert.ok(names.includes("ZEEBE_CLIENT_SECRET"), "remote Zeebe without ZEEBE_CLIENT_SECRET");
          if (c.options.secrets?.kafkaSaslPassword) assert.ok(names.includes("KAFKA_SASL_PASSWORD"), "SASL without KAFKA_SASL_PASSWORD");
          for (const entry of env.filter((e) => CREDENTIAL_ENV.includes(e.name))) {
            assert.equal(entry.value, undefined, `${entry.name} has a plain value`);
            const ref = entry.valueFrom?.secretKeyRef;
            assert.ok(ref && typeof ref.name === "string" && typeof ref.key === "string", `${entry.name} is not a secretKeyRef`);
            assert.ok(
              secretKeys.get(ref.name as string)?.has(ref.key as string),
              `${entry.name} refers to ${String(ref.name)}/${String(ref.key)}, which no rendered ExternalSecret provides`,
            );
          }
        }
      });
    });
  }

  describe("credentials handed to the components as plain strings", () => {
    it("are still registered marked secret: the components mark them, not only the stack config", async () => {
      const run = await runProgram(() => {
        new CamundaOrchestrator("payments", {
          namespace: "pay",
          properties: { realtimePlatform: "pay-events", camundaMode: "remote" },
          settings: {
            saasClusterId: "c1",
            saasRegion: "bru-2",
            saasClientId: "client",
            saasClientSecret: "plain-saas-secret",
            kafkaMode: "external",
            kafkaBootstrapServers: "k:9093",
            kafkaSaslUsername: "user",
            kafkaSaslPassword: "plain-sasl-secret",
            postgresMode: "external",
            postgresHost: "pg",
            postgresAdminPassword: "plain-pg-secret",
            redisMode: "external",
            redisUrl: "redis://:plain-redis-secret@r:6379",
          },
        });
        return {};
      });
      const plain: string[] = [];
      for (const resource of run.resources) {
        const raw = resource.rawInputs!;
        const fields = resource.type === "kubernetes:core/v1:Secret" ? ["stringData", "data"] : (CREDENTIAL_INPUTS[resource.type] ?? []);
        for (const field of fields) if (raw[field] !== undefined && !isSecretMarked(raw[field])) plain.push(`${resource.name}.${field}`);
      }
      assert.deepEqual(plain, []);
      assert.deepEqual(
        run.resources
          .filter((r) => r.type === "kubernetes:core/v1:Secret")
          .map((r) => r.name)
          .sort(),
        ["payments-database-secret", "payments-kafka-credentials", "payments-redis-secret", "payments-zeebe-credentials"],
      );
    });
  });

  describe("the file scan", () => {
    it("finds a planted secret, in plain text and base64", () => {
      const dir = tempDir("secrets-scan-");
      fs.mkdirSync(path.join(dir, "manifests"));
      fs.writeFileSync(path.join(dir, "manifests", "a.yaml"), `data:\n  url: ${FAKE_SECRETS.postgresAdminPassword}\n`);
      fs.writeFileSync(
        path.join(dir, "b.json"),
        JSON.stringify({ data: Buffer.from(`postgres://u:${FAKE_SECRETS.kafkaSaslPassword}@h/db`).toString("base64") }),
      );
      fs.writeFileSync(path.join(dir, "c.json"), `{"x":"${GENERATED_PREFIX}0123456789abcdef"}`);
      assert.deepEqual(findInFiles(dir, [FAKE_SECRETS.postgresAdminPassword, FAKE_SECRETS.kafkaSaslPassword, GENERATED_PREFIX]).sort(), [
        `b.json: ${FAKE_SECRETS.kafkaSaslPassword} (base64)`,
        `c.json: ${GENERATED_PREFIX}`,
        `${path.join("manifests", "a.yaml")}: ${FAKE_SECRETS.postgresAdminPassword}`,
      ]);
    });
  });

  describe("the leak guard", () => {
    it("rejects a render where a secret value also reaches a plain field, naming the resource", async () => {
      // The SaaS cluster id is plain (it is part of the Zeebe addresses); here it equals the client secret.
      const value = "abcd-1234";
      await assert.rejects(
        renderStack({
          stack: "dev",
          appFile: "examples/payments-remote.yaml",
          config: {
            saasClusterId: value,
            saasRegion: "bru-2",
            saasClientId: "payments-dev-client",
            gatewayJwtIssuer: "https://idp.example.com/r",
            gatewayJwksUri: "https://idp.example.com/r/certs",
          },
          secrets: { saasClientSecret: value },
        }),
        (error: Error) => {
          assert.match(error.message, /secret values reached these places in plain text; nothing was written/);
          assert.match(
            error.message,
            /kubernetes:serving\.knative\.dev\/v1:Service payments-worker-service: inputs\.spec\.template\.spec\.containers\[0\]\.env\[\d+\]\.value/,
          );
          assert.match(error.message, /stack output orchestrators\.payments\.zeebeGatewayAddress/);
          return true;
        },
      );
    });

    it("rejects a Kafka SASL user name equal to the SASL password (provider input)", async () => {
      await assert.rejects(
        renderStack({ stack: "prod", config: { kafkaSaslUsername: FAKE_SECRETS.kafkaSaslPassword }, secrets: { ...FAKE_SECRETS } }),
        /pulumi:providers:kafka payments-topics-provider: inputs\.saslUsername/,
      );
    });

    it("finds secrets and generated passwords by path", () => {
      const inputs = {
        spec: {
          env: [
            { name: "A", value: "x" },
            { name: "B", value: `postgres://u:${GENERATED_PREFIX}ab12@h` },
          ],
        },
        note: "abcd-1234",
      };
      assert.deepEqual(findLeaks(inputs, [`${GENERATED_PREFIX}ab12`, "abcd-1234"]), ["spec.env[1].value", "note"]);
      assert.deepEqual(findLeaks(inputs, ["not-there"]), []);
    });
  });
});
