import assert from "assert";
import { parseCheckArgs } from "../args";

describe("offline check arguments", () => {
  it("parses every option, repeated key=value pairs and values containing '='", () => {
    const argv = ["--stack", "prod", "--app", "examples/shop.yaml", "--config", "workerImage=ghcr.io/a/w:1.0", "--config", "kafka:brokers=a:9092",
      "--secret", "zeebeClientSecret=abc==", "--policy-config", "p.json"];
    assert.deepStrictEqual(parseCheckArgs(argv), {
      stack: "prod",
      appFile: "examples/shop.yaml",
      config: { workerImage: "ghcr.io/a/w:1.0", "kafka:brokers": "a:9092" },
      secrets: { zeebeClientSecret: "abc==" },
      policyConfigFile: "p.json",
    });
  });

  it("rejects what it cannot use, saying why", () => {
    assert.throws(() => parseCheckArgs([]), /--stack is required/);
    assert.throws(() => parseCheckArgs(["--stack"]), /--stack needs a value/);
    assert.throws(() => parseCheckArgs(["--stack", "dev", "--config", "novalue"]), /--config expects key=value/);
    assert.throws(() => parseCheckArgs(["--stack", "dev", "--verbose"]), /unknown argument "--verbose"/);
  });
});
