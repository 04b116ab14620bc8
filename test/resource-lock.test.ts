import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { RenderedResource } from "../render/types";
import { RENDER_CASES, renderCase } from "./support/render-cases";

/**
 * The (type, logical name, parent) of every resource each example stack registers. Pulumi identifies a resource
 * by them: change one and `pulumi up` deletes the resource and creates a new one (the saga database, a topic
 * with its events, the Helm release with Zeebe's state). This test fails on any change, so none goes unnoticed:
 * - a resource that disappears must be carried by a resource with an alias naming it (a rename), or be dropped
 *   from the lock on purpose (it is really to be deleted);
 * - after a deliberate change, rewrite the lock with `UPDATE_RESOURCE_LOCK=1 npx mocha test/resource-lock.test.ts`
 *   and review its diff.
 */
const LOCK_FILE = path.join(__dirname, "resource-lock.json");

type Entry = { type: string; name: string; parent: string | null };
const key = (e: Entry) => `${e.type} ${e.name} ${e.parent ?? "-"}`;

/** Whether `resource` declares an alias that stands for `old` (same name unless renamed, same type unless retyped, same parent unless moved). */
function aliasCovers(resource: RenderedResource, old: Entry, parentType: (name: string | null) => string | undefined): boolean {
  return (resource.aliases ?? []).some((alias) => {
    if (alias.urn) return alias.urn.endsWith(`::${old.name}`) && alias.urn.includes(old.type);
    const name = alias.name ?? resource.name;
    const type = alias.type ?? resource.type;
    const parent = alias.noParent ? null : alias.parentUrn ? alias.parentUrn.slice(alias.parentUrn.lastIndexOf("::") + 2) : resource.parent;
    return name === old.name && type === old.type && parent === old.parent && (alias.parentUrn === undefined || parentType(parent) !== undefined);
  });
}

describe("resource identities of the example stacks (upgrades never replace data by accident)", function () {
  this.timeout(120_000);
  const locked = (fs.existsSync(LOCK_FILE) ? JSON.parse(fs.readFileSync(LOCK_FILE, "utf8")) : {}) as Record<string, Entry[]>;
  const current: Record<string, Entry[]> = {};

  after(() => {
    if (process.env.UPDATE_RESOURCE_LOCK === "1") fs.writeFileSync(LOCK_FILE, JSON.stringify(current, null, 1) + "\n");
  });

  for (const c of RENDER_CASES) {
    it(`${c.label}: keeps every resource's type, name and parent, or carries it by an alias`, async () => {
      const { resources } = await renderCase(c);
      current[c.label] = resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent })).sort((a, b) => key(a).localeCompare(key(b)));
      if (process.env.UPDATE_RESOURCE_LOCK === "1") return;
      const was = locked[c.label];
      assert.ok(was, `no lock for "${c.label}": run UPDATE_RESOURCE_LOCK=1 npx mocha test/resource-lock.test.ts`);
      const now = new Set(current[c.label].map(key));
      const typeOf = (name: string | null) => resources.find((r) => r.name === name)?.type;
      const lost = was.filter((e) => !now.has(key(e)) && !resources.some((r) => aliasCovers(r, e, typeOf)));
      assert.deepEqual(
        lost.map(key),
        [],
        "these would be deleted and created anew on `pulumi up`: give the renamed resource an alias, or drop them from the lock on purpose",
      );
      const before = new Set(was.map(key));
      const added = current[c.label].filter((e) => !before.has(key(e)));
      assert.deepEqual(added.map(key), [], "new resources (or renamed ones): review them and update the lock (UPDATE_RESOURCE_LOCK=1)");
    });
  }

  it("counts an alias only for the identity it names", () => {
    const topic: RenderedResource = {
      type: "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
      name: "t",
      urn: "u",
      parent: "p",
      custom: true,
      inputs: {},
      aliases: [{ type: "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic" }],
    };
    const typeOf = () => "x";
    assert.ok(aliasCovers(topic, { type: "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic", name: "t", parent: "p" }, typeOf));
    assert.ok(!aliasCovers(topic, { type: "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic", name: "other", parent: "p" }, typeOf));
    assert.ok(!aliasCovers({ ...topic, aliases: [] }, { type: "kubernetes:kafka.strimzi.io/v1beta2:KafkaTopic", name: "t", parent: "p" }, typeOf));
    assert.ok(aliasCovers({ ...topic, name: "new", aliases: [{ name: "old" }] }, { type: topic.type, name: "old", parent: "p" }, typeOf));
  });
});
