import { strict as assert } from "assert";
import { invocationDir, parseCommandLine } from "../render/args";
import { RENDER_COMMAND } from "../render/cli";
import { InputError } from "../render/errors";
import { InputIO, pulumiConfig, resolveInputs } from "../render/inputs";

const parse = (argv: string[]) => parseCommandLine(argv, RENDER_COMMAND, "/home/me/work");

function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error.message;
  }
  return assert.fail("expected an InputError");
}

/** An IO with the given environment, files and standard input; records what was read. */
function io(options: { env?: Record<string, string>; files?: Record<string, string>; stdin?: string } = {}): InputIO & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    env: options.env ?? {},
    readFile: (file) => {
      read.push(file);
      const content = options.files?.[file];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: "ENOENT" });
      return content;
    },
    readStdin: () => {
      read.push("-");
      return options.stdin ?? "";
    },
  };
}

describe("the command line", () => {
  it("takes --flag value and --flag=value, repeats --config, and resolves paths against the user's folder", () => {
    const line = parse([
      "--stack=dev",
      "--app",
      "apps/shop.yaml",
      "--out=../rendered",
      "--config",
      "namespace=a",
      "--config=workerImage=w:1=2",
      "--stack-outputs",
      "/abs/o.json",
    ]);
    assert.equal(line.stack, "dev");
    assert.equal(line.appFile, "/home/me/work/apps/shop.yaml");
    assert.equal(line.paths.out, "/home/me/rendered");
    assert.equal(line.stackOutputs, "/abs/o.json");
    assert.deepEqual(line.config, { namespace: "a", workerImage: "w:1=2" });
  });

  it("takes the user's folder from npm (INIT_CWD) only when started by `npm run` of that script", () => {
    assert.equal(invocationDir({ npm_lifecycle_event: "render", INIT_CWD: "/home/me/work" }, "/repo", "render"), "/home/me/work");
    assert.equal(invocationDir({ npm_lifecycle_event: "test", INIT_CWD: "/elsewhere" }, "/repo", "render"), "/repo");
    assert.equal(invocationDir({}, "/repo", "render"), "/repo");
  });

  it("names what is wrong and points at --help", () => {
    assert.match(
      inputError(() => parse(["--colour", "blue"])),
      /^Unknown option '--colour'\nRun `npm run render -- --help` for the options\.$/,
    );
    assert.match(
      inputError(() => parse([])),
      /^--stack is required, e.g. --stack dev/,
    );
    assert.match(
      inputError(() => parse(["--stack"])),
      /argument missing/,
    );
    assert.match(
      inputError(() => parse(["--stack", "dev", "prod"])),
      /Unexpected argument 'prod'/,
    );
    assert.match(
      inputError(() => parse(["--stack", "dev", "--config", "novalue"])),
      /--config takes <key>=<value>, got "novalue"/,
    );
    assert.equal(parse(["--help", "--colour"].slice(0, 1)).help, true);
  });

  it("warns about a secret given as an argument, and never repeats a secret in a message", () => {
    const line = parse(["--stack", "prod", "--secret", "saasClientSecret=hunter2-secret"]);
    assert.match(line.warnings[0], /^--secret saasClientSecret=… puts a secret on the command line/);
    assert.ok(!line.warnings[0].includes("hunter2"));
    const bad = inputError(() => parse(["--stack", "prod", "--secret", "bad key=hunter2-secret"]));
    assert.ok(!bad.includes("hunter2"), bad);
    assert.match(bad, /--secret takes <key>=<value>, got "bad key=…"/);
  });

  it("refuses a secret given twice, and two options reading standard input", () => {
    assert.match(
      inputError(() => parse(["--stack", "p", "--secret-env", "a=X", "--secret-file", "a=f"])),
      /secret "a" is given more than once/,
    );
    assert.match(
      inputError(() => parse(["--stack", "p", "--secret-file", "a=-", "--pulumi-config", "-"])),
      /only one option can read standard input, got --secret-file a=- and --pulumi-config -/,
    );
  });
});

describe("secrets from the environment, files and standard input", () => {
  it("reads each source, drops one trailing newline of a file, and lets per-key options win over piped config", () => {
    const line = parse([
      "--stack",
      "prod",
      "--secret-env",
      "saasClientSecret=SAAS",
      "--secret-file",
      "postgresAdminPassword=secrets/pg",
      "--pulumi-config",
      "-",
      "--config",
      "namespace=cli",
    ]);
    const piped = JSON.stringify({
      "camunda-orchestrator:saasClientSecret": { value: "from-pulumi", secret: true },
      "camunda-orchestrator:redisUrl": { value: "rediss://:r@redis:6380", secret: true },
      "camunda-orchestrator:namespace": { value: "payments", secret: false },
      "camunda-orchestrator:workerTraffic": { value: "[]", objectValue: [], secret: false },
    });
    const inputs = resolveInputs(line, io({ env: { SAAS: "from-env" }, files: { "/home/me/work/secrets/pg": "pg-pass\n" }, stdin: piped }));
    assert.deepEqual(inputs.secrets, {
      "camunda-orchestrator:saasClientSecret": "from-env",
      "camunda-orchestrator:redisUrl": "rediss://:r@redis:6380",
      "camunda-orchestrator:postgresAdminPassword": "pg-pass",
    });
    assert.deepEqual(inputs.config, { "camunda-orchestrator:namespace": "cli", "camunda-orchestrator:workerTraffic": "[]" });
  });

  it("says which variable or file is missing or empty, without the value", () => {
    assert.match(
      inputError(() => resolveInputs(parse(["--stack", "p", "--secret-env", "redisUrl=REDIS_URL"]), io())),
      /--secret-env redisUrl=REDIS_URL: environment variable REDIS_URL is not set/,
    );
    assert.match(
      inputError(() => resolveInputs(parse(["--stack", "p", "--secret-env", "redisUrl=REDIS_URL"]), io({ env: { REDIS_URL: "" } }))),
      /secret "redisUrl" \(environment variable REDIS_URL\) is empty/,
    );
    assert.match(
      inputError(() => resolveInputs(parse(["--stack", "p", "--secret-file", "pw=nope"]), io())),
      /--secret-file pw: cannot read \/home\/me\/work\/nope \(ENOENT\)/,
    );
  });

  it("reads Pulumi's JSON shape, refuses hidden secrets, and never quotes the text it cannot parse", () => {
    assert.deepEqual(pulumiConfig(JSON.stringify({ "a:b": { value: "1", secret: false }, "a:c": { value: "s", secret: true } })), {
      config: { "a:b": "1" },
      secrets: { "a:c": "s" },
    });
    assert.match(
      inputError(() => pulumiConfig(JSON.stringify({ "a:c": { secret: true } }))),
      /"a:c" is secret but its value is hidden: run `pulumi config --show-secrets --json`/,
    );
    assert.match(
      inputError(() => pulumiConfig(JSON.stringify({ "a:c": { value: "[secret]", secret: true } }))),
      /value is hidden/,
    );
    const broken = inputError(() => pulumiConfig('{"a:c": {"value": "topsecret-value", "secret": tru'));
    assert.ok(!broken.includes("topsecret"), broken);
    assert.match(broken, /--pulumi-config: not valid JSON; it takes the output of `pulumi config --show-secrets --json`/);
    assert.match(
      inputError(() => pulumiConfig("[]")),
      /not a JSON object/,
    );
  });

  it("reads stack outputs and says what shape they take", () => {
    const files = {
      "/home/me/work/o.json": JSON.stringify({ "acme/p/dev": { kafkaBootstrapServers: "k:9092" } }),
      "/home/me/work/bad.json": JSON.stringify({ "acme/p/dev": "k:9092" }),
    };
    assert.deepEqual(resolveInputs(parse(["--stack", "p", "--stack-outputs", "o.json"]), io({ files })).stackOutputs, {
      "acme/p/dev": { kafkaBootstrapServers: "k:9092" },
    });
    assert.match(
      inputError(() => resolveInputs(parse(["--stack", "p", "--stack-outputs", "bad.json"]), io({ files }))),
      /"acme\/p\/dev" must map output names to values; it must hold \{ "<stack name>": \{ "<output>": value \} \}/,
    );
  });
});
