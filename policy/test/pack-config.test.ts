import assert from "assert";
import { checkPackConfig } from "../pack-config";
import { policies } from "../policies/all";

describe("policy config file check", () => {
  it("accepts levels, options and both together", () => {
    const doc = {
      "pinned-images": "advisory",
      "kafka-topic-durability": { enforcementLevel: "mandatory", productionStacks: ["prod", "live"], minReplicationFactor: 3 },
      "no-plaintext-credentials": { allowedNames: ["CORRELATION_KEY"] },
    };
    assert.deepStrictEqual(checkPackConfig(doc, policies), doc);
  });

  it("rejects unknown policies, bad levels, unknown options and wrong types, naming them", () => {
    assert.throws(() => checkPackConfig([], policies), /JSON object/);
    assert.throws(() => checkPackConfig({ "no-such": "advisory" }, policies), /unknown policy "no-such"/);
    assert.throws(() => checkPackConfig({ "pinned-images": "warn" }, policies), /pinned-images: level "warn"/);
    assert.throws(() => checkPackConfig({ "pinned-images": { enforcementLevel: "hard" } }, policies), /pinned-images.enforcementLevel/);
    assert.throws(() => checkPackConfig({ "pinned-images": { requireTag: true } }, policies), /no option "requireTag"/);
    assert.throws(() => checkPackConfig({ "pinned-images": { requireDigest: "yes" } }, policies), /requireDigest must be of type boolean/);
    assert.throws(
      () => checkPackConfig({ "kafka-topic-durability": { productionStacks: ["prod", 1] } }, policies),
      /productionStacks must be an array of string/,
    );
    assert.throws(
      () => checkPackConfig({ "dead-letter-retention": { minDeadLetterRetentionMs: 1.5 } }, policies),
      /minDeadLetterRetentionMs must be of type integer/,
    );
  });
});
