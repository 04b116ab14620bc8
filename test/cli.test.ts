// The two commands as a new user runs them: `npm run render` and `npm run policy` from their own folder.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MARKER } from "../render/out-dir";
import { policies } from "../policy/policies/all";
import { npmRun, REPO, snapshot } from "./support/cli";

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

/** An OAM Application with one component of the given type. */
const application = (type: string) =>
  `apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: { name: shop }\nspec:\n  components:\n  - name: checkout\n    type: ${type}\n    properties: { realtimePlatform: shop-events }\n`;

describe("npm run render and npm run policy, run by a user in their own folder", function () {
  this.timeout(180_000);
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), "cli-user-"))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it("refuses --out . in a folder holding the user's files and .git, and changes nothing there", () => {
    const project = path.join(home, "my-project");
    fs.mkdirSync(path.join(project, ".git", "refs"), { recursive: true });
    fs.writeFileSync(path.join(project, ".git", "HEAD"), "ref: refs/heads/main\n");
    fs.mkdirSync(path.join(project, "manifests"));
    fs.writeFileSync(path.join(project, "manifests", "mine.yaml"), "kind: ConfigMap\n");
    fs.writeFileSync(path.join(project, "README.md"), "my notes\n");
    const before = snapshot(project);

    const run = npmRun("render", ["--stack", "dev", "--out", "."], { cwd: project });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`--out ${project}: the folder is not empty \\(.git, README.md, manifests\\) and holds no render`));
    assert.match(run.stderr, /never deletes or overwrites what it did not write/);
    assert.equal(run.output, "");
    assert.deepEqual(snapshot(project), before);
    assert.ok(fs.existsSync(path.join(REPO, "package.json")), "the project the render runs from is intact");
  });

  it("replaces only what the earlier render wrote, keeping the user's files beside and among it", () => {
    const out = path.join(home, "rendered");
    let run = npmRun("render", ["--stack", "dev", "--app", path.join(REPO, "examples/platform-multi.yaml"), "--out", "rendered"], { cwd: home });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.output, /written to rendered\nnext steps:\n(- .*\n)+$/);
    const first = JSON.parse(fs.readFileSync(path.join(out, MARKER), "utf8")) as { files: string[] };
    assert.ok(first.files.includes("helm/orders-camunda.values.yaml"));
    fs.writeFileSync(path.join(out, "NOTES.md"), "mine\n");
    fs.writeFileSync(path.join(out, "manifests", "zz-my-extra.yaml"), "kind: ConfigMap\n");

    run = npmRun("render", ["--stack", "dev", "--out", "rendered"], { cwd: home });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.output, /written to rendered \(\d+ files of the earlier render removed\)\nnext steps:\n(- .*\n)+$/);
    const second = JSON.parse(fs.readFileSync(path.join(out, MARKER), "utf8")) as { stack: string; files: string[] };
    const onDisk = Object.keys(snapshot(out))
      .filter((f) => f !== MARKER)
      .sort();
    assert.deepEqual(onDisk, [...second.files, "NOTES.md", "manifests/zz-my-extra.yaml"].sort());
    assert.deepEqual(fs.readdirSync(path.join(out, "helm")), ["checkout-camunda.values.yaml"]);
    assert.ok(!second.files.some((f) => f.includes("orders") || f.includes("shipping")));
    assert.equal(fs.readFileSync(path.join(out, "NOTES.md"), "utf8"), "mine\n");
  });

  it("takes secrets from standard input as `pulumi config --show-secrets --json` prints them, and warns about one given as an argument", () => {
    const piped = {
      "camunda-orchestrator:saasClientSecret": { value: "stdin-saas-secret-1", secret: true },
      "camunda-orchestrator:redisUrl": { value: "rediss://:stdin-redis-secret-2@redis:6380", secret: true },
      "camunda-orchestrator:kafkaSaslUsername": { value: "payments-orchestrator", secret: false },
      "kubernetes:context": { value: "prod-cluster", secret: false },
    };
    const run = npmRun(
      "render",
      [
        "--stack",
        "prod",
        "--out",
        "prod",
        "--pulumi-config",
        "-",
        "--secret-env",
        "kafkaSaslPassword=SASL_PASSWORD",
        "--secret",
        "postgresAdminPassword=argument-pg-secret-4",
      ],
      { cwd: home, input: JSON.stringify(piped), env: { SASL_PASSWORD: "env-sasl-secret-3" } },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stderr,
      /^warning: --secret postgresAdminPassword=… puts a secret on the command line, where npm echoes it .* use --secret-env postgresAdminPassword=<VARIABLE>, --secret-file postgresAdminPassword=<file> or --pulumi-config - instead$/m,
    );
    assert.ok(run.stdout.includes("argument-pg-secret-4"), "npm echoes an argument: why it is warned about");
    const files = snapshot(path.join(home, "prod"));
    for (const secret of ["stdin-saas-secret-1", "stdin-redis-secret-2", "env-sasl-secret-3", "argument-pg-secret-4"]) {
      assert.ok(!run.output.includes(secret) && !run.stderr.includes(secret), `${secret} printed`);
      for (const [file, content] of Object.entries(files)) assert.ok(!content.includes(secret), `${secret} in ${file}`);
    }
    assert.ok(!run.stdout.includes("stdin-") && !run.stdout.includes("env-sasl"), "secrets from stdin and the environment never reach npm's echo");
  });

  it("refuses a component type one typo away from camunda-orchestrator, in both commands, writing nothing", () => {
    fs.writeFileSync(path.join(home, "typo.yaml"), application("camunda-orchestrater"));
    const render = npmRun("render", ["--stack", "dev", "--app", "typo.yaml", "--out", "typo-out"], { cwd: home });
    assert.equal(render.status, 2, render.stderr);
    assert.match(
      render.stderr,
      /component "checkout" in .*typo\.yaml: type: "camunda-orchestrater" is not a known type, but close to "camunda-orchestrator": did you mean "camunda-orchestrator"\?/,
    );
    assert.ok(!fs.existsSync(path.join(home, "typo-out")));
    const policy = npmRun("policy", ["--stack", "dev", "--app=typo.yaml"], { cwd: home });
    assert.equal(policy.status, 2, policy.stderr);
    assert.match(policy.stderr, /did you mean "camunda-orchestrator"\?/);
    assert.equal(policy.output, "");
  });

  it("reports a platform stack without the output the program needs, without a stack trace; the policy check takes --stack-outputs", () => {
    const config = ["--config", "kafkaMode=external", "--config", "platformStackTemplate=acme/realtime-{platform}/{stack}"];
    const render = npmRun("render", ["--stack", "dev", ...config, "--out", "out"], { cwd: home });
    assert.equal(render.status, 2, render.stderr);
    assert.match(
      render.stderr,
      /stack "acme\/realtime-shop-events\/dev" \(realtimePlatform "shop-events", from camunda-orchestrator:platformStackTemplate\) has no output "kafkaBootstrapServers"/,
    );
    assert.match(render.stderr, /the offline render answers StackReferences from --stack-outputs <file.json>/);
    assert.doesNotMatch(render.stderr, STACK_TRACE);

    fs.writeFileSync(path.join(home, "outputs.json"), JSON.stringify({ "acme/realtime-shop-events/dev": { kafkaBootstrapServers: "kafka.platform:9093" } }));
    const policy = npmRun("policy", ["--stack", "dev", ...config, "--stack-outputs", "outputs.json"], { cwd: home });
    assert.equal(policy.status, 0, policy.stderr);
    assert.match(policy.output, new RegExp(`^stack dev: \\d+ resources, ${policies.length} policies, 0 violations`, "m"));
  });

  it("has --help, takes --flag=value, and puts errors on stderr with exit code 2", () => {
    const help = npmRun("render", ["--help"], { cwd: home });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.output, /^Usage: npm run render -- --stack <name> \[options\]/);
    assert.match(help.output, /Exit codes:\n {2}0 {2}rendered and written\n {2}2 {2}invalid input or usage.*\n {2}3 {2}internal error/);
    const unknown = npmRun("render", ["--stack=dev", "--colour=blue"], { cwd: home });
    assert.equal(unknown.status, 2);
    assert.equal(unknown.output, "");
    assert.match(unknown.stderr, /^render failed, nothing written:\nUnknown option '--colour'\nRun `npm run render -- --help` for the options\.$/m);
    const policy = npmRun("policy", ["--stack=nope"], { cwd: home });
    assert.equal(policy.status, 2);
    assert.equal(policy.output, "");
    assert.match(policy.stderr, /^policy check not run:\nstack "nope": no stack file .*Pulumi\.nope\.yaml; stacks here: dev, prod$/m);
  });
});
