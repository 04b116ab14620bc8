// A few representative scenarios of the fault suite (workers/test/faults, `npm run test:faults` runs them all):
// the real worker process killed with kill -9 between a service call and its saga-log write, and in the middle
// of a compensation, then restarted; judged from the services' own records.
import * as assert from "assert";
import { suiteSeed } from "./faults/random";
import { QUICK_SCENARIOS } from "./faults/scenarios";
import { passed, renderTable } from "./faults/table";
import { PostgresServer, startPostgres } from "./support/servers";

describe("fault suite: kill -9 of the worker process (quick scenarios)", function () {
  this.timeout(180_000);
  let pg: PostgresServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
  });

  for (const scenario of QUICK_SCENARIOS) {
    it(`${scenario.name}: ${scenario.proves}`, async () => {
      const t0 = Date.now();
      const result = {
        ...(await scenario.run({ pg, launch: { kind: "ts-node" }, seed: suiteSeed(), log: () => undefined })),
        seconds: (Date.now() - t0) / 1000,
      };
      assert.ok(passed(result), renderTable([result]));
      assert.ok(result.kills > 0, "the scenario killed the worker");
    });
  }
});
