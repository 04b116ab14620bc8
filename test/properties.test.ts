import { strict as assert } from "assert";
import { validateComponent, validateComponents } from "../components/properties";
import { problemsOf } from "./support/validation";

const minimal = { realtimePlatform: "shop-events" };

describe("component properties", () => {
  it("applies the defaults to a minimal component", () => {
    const spec = validateComponent("checkout", minimal);
    assert.deepEqual(spec.properties, {
      realtimePlatform: "shop-events",
      camundaMode: "embedded",
      enableEventStreaming: true,
      sagaPatterns: ["compensation", "timeout", "retry"],
      topicsPrefix: "checkout",
      enableIstioGateway: false,
      resources: { cpu: "500m", memory: "512Mi" },
      environment: {},
    });
  });

  it("keeps every valid property", () => {
    const spec = validateComponent("payments", {
      realtimePlatform: "payments-events",
      camundaMode: "remote",
      enableEventStreaming: false,
      sagaPatterns: ["timeout"],
      topicsPrefix: "payments.prod",
      language: "typescript",
      framework: "express",
      repository: "git@example.com:team/payments.git",
      enableIstioGateway: true,
      gatewayHost: "payments.example.com",
      resources: { cpu: "2", memory: "2Gi" },
      environment: { LOG_LEVEL: "debug" },
    });
    assert.equal(spec.properties.topicsPrefix, "payments.prod");
    assert.equal(spec.properties.gatewayHost, "payments.example.com");
    assert.deepEqual(spec.properties.resources, { cpu: "2", memory: "2Gi" });
  });

  const rejected: Array<[string, unknown, RegExp]> = [
    ["an unknown mode", { ...minimal, camundaMode: "hybrid" }, /properties\.camundaMode: must be one of embedded, remote \(got "hybrid"\)/],
    [
      "an unknown saga pattern",
      { ...minimal, sagaPatterns: ["compensation", "undo"] },
      /properties\.sagaPatterns\.1: must be one of compensation, timeout, retry \(got "undo"\)/,
    ],
    ["a saga pattern listed twice", { ...minimal, sagaPatterns: ["retry", "retry"] }, /properties\.sagaPatterns: must not list a pattern twice/],
    ["a gateway without a host", { ...minimal, enableIstioGateway: true }, /properties\.gatewayHost: is required when enableIstioGateway is true/],
    ["a host without a gateway", { ...minimal, gatewayHost: "a.example.com" }, /properties\.gatewayHost: is set but enableIstioGateway is false/],
    ["a malformed host", { ...minimal, enableIstioGateway: true, gatewayHost: "not a host" }, /properties\.gatewayHost: must be a DNS hostname/],
    [
      "a malformed cpu quantity",
      { ...minimal, resources: { cpu: "2 cores", memory: "1Gi" } },
      /properties\.resources\.cpu: must be a Kubernetes CPU quantity.*got "2 cores"/,
    ],
    [
      "a malformed memory quantity",
      { ...minimal, resources: { cpu: "1", memory: "1GB" } },
      /properties\.resources\.memory: must be a Kubernetes memory quantity.*got "1GB"/,
    ],
    ["resources without memory", { ...minimal, resources: { cpu: "1" } }, /properties\.resources\.memory: /],
    [
      "an unknown resource key",
      { ...minimal, resources: { cpu: "1", memory: "1Gi", gpu: "1" } },
      /properties\.resources: unknown property "gpu"; allowed: cpu, memory/,
    ],
    ["an unknown property", { ...minimal, colour: "blue" }, /properties: unknown property "colour"; allowed: realtimePlatform, camundaMode/],
    ["a missing realtimePlatform", {}, /properties\.realtimePlatform: /],
    ["a realtimePlatform that is no DNS label", { realtimePlatform: "Shop Events" }, /properties\.realtimePlatform: must be a DNS label/],
    ["a topic prefix with a space", { ...minimal, topicsPrefix: "shop events" }, /properties\.topicsPrefix: may contain only letters/],
    ["a non-boolean flag", { ...minimal, enableEventStreaming: "yes" }, /properties\.enableEventStreaming: /],
    ["an environment value that is not a string", { ...minimal, environment: { RETRIES: 3 } }, /properties\.environment\.RETRIES: /],
    [
      "an environment name that is no variable name",
      { ...minimal, environment: { "LOG-LEVEL": "x" } },
      /properties\.environment\.LOG-LEVEL: must be an environment variable name/,
    ],
    [
      "an environment name the orchestrator sets",
      { ...minimal, environment: { DATABASE_URL: "postgres://x" } },
      /properties\.environment\.DATABASE_URL: is set by the orchestrator itself/,
    ],
    ["an environment name Knative reserves", { ...minimal, environment: { PORT: "9090" } }, /properties\.environment\.PORT: is reserved by Knative/],
    ["language without framework", { ...minimal, language: "typescript" }, /properties\.framework: language and framework go together/],
    ["an unknown language", { ...minimal, language: "cobol", framework: "x" }, /properties\.language: /],
  ];
  for (const [what, properties, expected] of rejected) {
    it(`rejects ${what}, naming the component and the path`, () => {
      const problems = problemsOf(() => validateComponent("orders", properties));
      assert.ok(
        problems.some((p) => p.startsWith('component "orders": ') && expected.test(p)),
        `got:\n${problems.join("\n")}`,
      );
    });
  }

  it("rejects component names that cannot prefix Kubernetes names", () => {
    for (const name of ["Orders", "orders_v2", "-orders", "a".repeat(31), 42]) {
      const problems = problemsOf(() => validateComponent(name, minimal));
      assert.match(problems[0], /name: must be a DNS label of at most 30 characters/);
    }
  });

  it("reports the problems of every component at once, and duplicate names", () => {
    const problems = problemsOf(() =>
      validateComponents([
        { name: "a", properties: { ...minimal, camundaMode: "x" } },
        { name: "b", properties: { ...minimal, colour: "x" } },
        { name: "c", properties: minimal },
        { name: "c", properties: minimal },
      ]),
    );
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^component "a": /);
    assert.match(problems[1], /^component "b": /);
    assert.match(problems[2], /^component "c": name: used by more than one component/);
  });

  it("takes Kubernetes quantities as strings or as the numbers YAML makes of them (cpu: 2, memory: 1e9)", () => {
    const accepted: Array<[Record<string, unknown>, Record<string, string>]> = [
      [
        { cpu: 2, memory: 1e9 },
        { cpu: "2", memory: "1000000000" },
      ],
      [
        { cpu: 0.5, memory: "1.5Gi" },
        { cpu: "0.5", memory: "1.5Gi" },
      ],
      [
        { cpu: "250m", memory: "1e9" },
        { cpu: "250m", memory: "1e9" },
      ],
      [
        { cpu: ".5", memory: "128k" },
        { cpu: ".5", memory: "128k" },
      ],
      [
        { cpu: "1e-1", memory: "2E" },
        { cpu: "1e-1", memory: "2E" },
      ],
    ];
    for (const [resources, expected] of accepted) {
      assert.deepEqual(validateComponent("orders", { ...minimal, resources }).properties.resources, expected, JSON.stringify(resources));
    }
  });

  it("refuses quantities Kubernetes does not parse, and the likely typos it would take literally", () => {
    const rejected: Array<[Record<string, unknown>, RegExp]> = [
      [{ cpu: "1", memory: "512m" }, /properties\.resources\.memory: must be a Kubernetes memory quantity such as 512Mi, 2Gi or 1e9 .* \(got "512m"\)/],
      [{ cpu: "2Gi", memory: "1Gi" }, /properties\.resources\.cpu: must be a Kubernetes CPU quantity such as 500m, 0\.5 or 2 .* \(got "2Gi"\)/],
      [{ cpu: 0, memory: "1Gi" }, /properties\.resources\.cpu: must be more than zero$/],
      [{ cpu: -1, memory: "1Gi" }, /properties\.resources\.cpu: must be a Kubernetes CPU quantity .*, written as a string or a number \(got -1\)/],
      [{ cpu: "1", memory: "-1Gi" }, /properties\.resources\.memory: must be a Kubernetes memory quantity/],
      [{ cpu: "1e3m", memory: "1Gi" }, /properties\.resources\.cpu: must be a Kubernetes CPU quantity/],
      [{ cpu: true, memory: "1Gi" }, /properties\.resources\.cpu: must be a Kubernetes CPU quantity .*, written as a string or a number \(got true\)/],
    ];
    for (const [resources, expected] of rejected) {
      const problems = problemsOf(() => validateComponent("orders", { ...minimal, resources }));
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${JSON.stringify(resources)} got:\n${problems.join("\n")}`,
      );
    }
  });
});
