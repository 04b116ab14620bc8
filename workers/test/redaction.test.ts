// Credentials and payloads never reach an error message or a log line: the redaction helper, the
// configuration errors, and the logger's safety net, each fed a secret marker.
import * as assert from "assert";
import { ConfigError, loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { errorText, redact } from "../src/redact";

const MARKER = "s3cr3t-marker-7f3a";
const PAYLOAD = "4111-payload-marker";

describe("redaction", () => {
  describe("redact()", () => {
    const cases: [string, string][] = [
      [`postgres://saga:${MARKER}@db:5432/saga`, "postgres://saga:***@db:5432/saga"],
      [`redis://:${MARKER}@redis:6379`, "redis://***@redis:6379"],
      [`rediss://default:${MARKER}@redis:6380/0`, "rediss://default:***@redis:6380/0"],
      [`https://${MARKER}@github.com/org/repo`, "https://***@github.com/org/repo"],
      [`connect to postgres://saga:pa@ss/${MARKER}@db/x failed`, "connect to postgres://saga:***@db/x failed"],
      [`https://login/oauth/token?client_id=a&client_secret=${MARKER}&x=1`, "https://login/oauth/token?client_id=a&client_secret=***&x=1"],
      [`postgres://db/x?sslmode=require&sslpassword=${MARKER}`, "postgres://db/x?sslmode=require&sslpassword=***"],
      [`{"payment":"http://u:${MARKER}@pay:8080","stock":"nope"}`, `{"payment":"http://u:***@pay:8080","stock":"nope"}`],
      [`SyntaxError: Unexpected token 'c', "card ${PAYLOAD}" is not valid JSON`, `SyntaxError: Unexpected token 'c', "***" is not valid JSON`],
    ];
    for (const [input, expected] of cases) {
      it(`masks ${expected}`, () => assert.strictEqual(redact(input), expected));
    }
    it("leaves text without credentials alone", () => {
      for (const t of [
        "connect ECONNREFUSED 127.0.0.1:5432",
        "http://payment.shop.svc.cluster.local:8080/api/process",
        "grpc://zeebe:26500",
        "a@b is not a URL",
      ]) {
        assert.strictEqual(redact(t), t);
      }
    });
  });

  describe("errorText()", () => {
    it("is the redacted message and code, never the fields drivers attach (command args, inputs, rows)", () => {
      const ioredisLike = Object.assign(new Error("WRONGPASS invalid username-password pair"), { command: { name: "auth", args: ["default", MARKER] } });
      assert.strictEqual(errorText(ioredisLike), "Error: WRONGPASS invalid username-password pair");
      const urlError = Object.assign(new TypeError("Invalid URL"), { code: "ERR_INVALID_URL", input: `postgres://u:${MARKER}@` });
      assert.strictEqual(errorText(urlError), "TypeError: Invalid URL [ERR_INVALID_URL]");
      const pgLike = Object.assign(new Error("unsupported Unicode escape sequence"), { code: "22P05", where: `JSON data, line 1: {"card":"${PAYLOAD}` });
      assert.strictEqual(errorText(pgLike), "Error: unsupported Unicode escape sequence [22P05]");
      const fetchLike = new TypeError(`Request cannot be constructed from a URL that includes credentials: http://u:${MARKER}@127.0.0.1:1/x`);
      assert.strictEqual(errorText(fetchLike), "TypeError: Request cannot be constructed from a URL that includes credentials: http://u:***@127.0.0.1:1/x");
      assert.ok(errorText("x".repeat(5000)).length < 1100);
    });
  });

  describe("configuration errors", () => {
    const base = { DATABASE_URL: "postgres://saga@db:5432/saga" };
    const bad: [Record<string, string>, string, RegExp][] = [
      [{ DATABASE_URL: `mysql://saga:${MARKER}@db/x` }, "DATABASE_URL", /\(got "mysql:\/\/saga:\*\*\*@db\/x"\)$/],
      [{ DATABASE_URL: `postgres://saga:${MARKER}@db:port/x` }, "DATABASE_URL", /\(got "postgres:\/\/saga:\*\*\*@db:port\/x"\)$/],
      [{ DATABASE_URL: `mysql://db/x?password=${MARKER}` }, "DATABASE_URL", /password=\*\*\*/],
      [{ ...base, REDIS_URL: `http://:${MARKER}@redis:6379` }, "REDIS_URL", /\(got "http:\/\/\*\*\*@redis:6379"\)$/],
      [{ ...base, ZEEBE_GRPC_ADDRESS: `https://client:${MARKER}@zeebe:443` }, "ZEEBE_GRPC_ADDRESS", /client:\*\*\*@zeebe/],
      [
        { ...base, CAMUNDA_AUTH_STRATEGY: "OAUTH", ZEEBE_CLIENT_ID: "id", ZEEBE_CLIENT_SECRET: MARKER, CAMUNDA_OAUTH_URL: `ftp://id:${MARKER}@login/oauth` },
        "CAMUNDA_OAUTH_URL",
        /id:\*\*\*@login/,
      ],
      [
        { ...base, DISCOVERY_STATIC_SERVICES: `{"payment":"http://u:${MARKER}@pay:8080","stock":"nope"}` },
        "DISCOVERY_STATIC_SERVICES",
        /"payment":"http:\/\/u:\*\*\*@pay:8080"/,
      ],
      [{ ...base, KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_PASSWORD: MARKER }, "KAFKA_SASL_USERNAME", /not set/],
      [
        { ...base, ZEEBE_CLIENT_SECRET: "", CAMUNDA_AUTH_STRATEGY: "OAUTH", ZEEBE_CLIENT_ID: MARKER, CAMUNDA_OAUTH_URL: "https://login/oauth" },
        "ZEEBE_CLIENT_SECRET",
        /not set/,
      ],
    ];
    for (const [env, variable, shown] of bad) {
      it(`names ${variable} without echoing a credential (${shown})`, () => {
        assert.throws(
          () => loadConfig(env),
          (e: Error) => {
            assert.ok(e instanceof ConfigError, String(e));
            assert.ok(e.message.startsWith(`invalid configuration: ${variable} `), e.message);
            assert.match(e.message, shown);
            assert.ok(!e.message.includes(MARKER), e.message);
            return true;
          },
        );
      });
    }
  });

  describe("the logger", () => {
    function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
      const lines: string[] = [];
      return { lines, log: createLogger("debug", { write: (l: string) => void lines.push(l) }) };
    }

    it("logs sizes and keys of payloads, never their content", () => {
      const { lines, log } = capture();
      const variables = { orderId: "o-1", card: PAYLOAD };
      log.warn({ jobKey: "1", variables, body: `card ${PAYLOAD}`, record: { replay: [{ body: { request: variables } }] }, response: [PAYLOAD] }, "step failed");
      assert.strictEqual(lines.length, 1);
      assert.ok(!lines[0].includes(PAYLOAD), lines[0]);
      const line = JSON.parse(lines[0]);
      assert.deepStrictEqual(line.variables, { redacted: "payload", bytes: Buffer.byteLength(JSON.stringify(variables)), keys: ["orderId", "card"] });
      assert.deepStrictEqual(line.body, { redacted: "payload", bytes: 24 });
      assert.strictEqual(line.jobKey, "1");
    });

    it("masks credentials in strings, messages and secret-named fields, at any depth", () => {
      const { lines, log } = capture();
      log.info(
        {
          target: { url: `postgres://saga:${MARKER}@db/x`, headers: { authorization: `Bearer ${MARKER}`, "x-api-key": MARKER } },
          password: MARKER,
          clientSecret: MARKER,
        },
        `connecting to redis://:${MARKER}@r:6379`,
      );
      log.info(`plain message with https://u:${MARKER}@h/`);
      assert.ok(
        lines.every((l) => !l.includes(MARKER)),
        lines.join(""),
      );
      const first = JSON.parse(lines[0]);
      assert.strictEqual(first.target.url, "postgres://saga:***@db/x");
      assert.strictEqual(first.msg, "connecting to redis://***@r:6379");
      assert.strictEqual(first.password, "[redacted]");
    });

    it("reduces errors to type, code, message and stack, wherever they sit", () => {
      const { lines, log } = capture();
      const err = Object.assign(new Error(`call to http://u:${MARKER}@svc failed`), {
        code: "EFAIL",
        response: { body: PAYLOAD },
        command: { args: [MARKER, PAYLOAD] },
      });
      log.error({ err, nested: { cause: err } }, "job handler crashed");
      log.error(err);
      assert.ok(
        lines.every((l) => !l.includes(MARKER) && !l.includes(PAYLOAD)),
        lines.join(""),
      );
      const line = JSON.parse(lines[0]);
      assert.deepStrictEqual(Object.keys(line.err).sort(), ["code", "message", "stack", "type"]);
      assert.strictEqual(line.err.message, "call to http://u:***@svc failed");
      assert.strictEqual(line.nested.cause.code, "EFAIL");
    });
  });
});
