// Waiting on the saga log's state: one probe while it is down, every waiting job goes on once it is back.
import * as assert from "assert";
import { SagaLogAvailability } from "../src/saga/availability";
import { SagaLogUnavailableError } from "../src/saga/log";

const PROBE_EVERY_MS = 20;

/** A saga log whose availability the test switches; counts the probes. */
function switchable() {
  const state = { up: true, probes: 0 };
  const availability = new SagaLogAvailability(async () => {
    state.probes += 1;
    if (!state.up) throw new SagaLogUnavailableError("saga log unavailable: connect ECONNREFUSED");
  }, PROBE_EVERY_MS);
  const op = async () => {
    if (!state.up) throw new SagaLogUnavailableError("saga log unavailable: connect ECONNREFUSED");
    return "written";
  };
  return { state, availability, op };
}

describe("saga log availability", () => {
  it("runs an operation at once while the saga log is up, without probing", async () => {
    const { state, availability, op } = switchable();
    assert.strictEqual(availability.isDown(), false);
    assert.strictEqual(await availability.run(op, Date.now() + 1000), "written");
    assert.strictEqual(await availability.waitUntilUp(Date.now()), true);
    assert.strictEqual(state.probes, 0);
    availability.close();
  });

  it("marks the saga log down on an outage, waits for the probe, and runs every waiting operation once it is back", async () => {
    const { state, availability, op } = switchable();
    state.up = false;
    const waiting = [availability.run(op, Date.now() + 5000), availability.run(op, Date.now() + 5000)];
    await new Promise((r) => setTimeout(r, 5 * PROBE_EVERY_MS));
    assert.strictEqual(availability.isDown(), true);
    assert.match(availability.lastError ?? "", /ECONNREFUSED/);
    const probesWhileDown = state.probes;
    assert.ok(probesWhileDown >= 2, `one probe every ${PROBE_EVERY_MS} ms (got ${probesWhileDown})`);
    state.up = true;
    assert.deepStrictEqual(await Promise.all(waiting), ["written", "written"]);
    assert.strictEqual(availability.isDown(), false);
    availability.close();
  });

  it("gives up at the deadline with the outage's reason, and never waits on other errors", async () => {
    const { state, availability, op } = switchable();
    state.up = false;
    await assert.rejects(availability.run(op, Date.now() + 3 * PROBE_EVERY_MS), (e) => e instanceof SagaLogUnavailableError && /ECONNREFUSED/.test(e.message));
    assert.strictEqual(await availability.waitUntilUp(Date.now() + PROBE_EVERY_MS), false, "still down at the deadline");
    availability.close();
    // Not an outage (e.g. data PostgreSQL refuses): the operation's own error, at once, and the log stays up.
    const fresh = new SagaLogAvailability(async () => undefined, PROBE_EVERY_MS);
    const refused = new Error("PostgreSQL refused the step's data");
    await assert.rejects(
      fresh.run(async () => Promise.reject(refused), Date.now() + 5000),
      (e) => e === refused,
    );
    assert.strictEqual(fresh.isDown(), false);
    fresh.close();
  });

  it("wakes the waiting operations when closed (shutdown), so none outlives the worker", async () => {
    const { state, availability, op } = switchable();
    state.up = false;
    const waiting = availability.run(op, Date.now() + 60_000);
    await new Promise((r) => setTimeout(r, 2 * PROBE_EVERY_MS));
    const t0 = Date.now();
    availability.close();
    await assert.rejects(waiting, SagaLogUnavailableError);
    assert.ok(Date.now() - t0 < 1000, "woken at once, not at the deadline");
  });
});
