// PostgreSQL outages mid-saga: read-only (a failover) and stopped. Jobs wait on PostgreSQL's state without
// using up retries, readiness reports it, and the work drains by itself once it is back.
import { setReadOnly } from "../../support/servers";
import { standardSaga, standardServices } from "../sagas";
import type { SagaSpec } from "../scripted-sagas";
import { outcomeOf, Scenario, World } from "../world";

/** How long the queued sagas may take to drain once PostgreSQL is back. */
const DRAIN_BOUND_S = 20;

/** Polls readiness until stop() is called; resolves with the first answer naming PostgreSQL as down, if any. */
function watchReadiness(world: World): { stop(): Promise<string | undefined> } {
  let stopped = false;
  let down: string | undefined;
  const loop = (async () => {
    while (!stopped) {
      const r = await world.worker.get("/actuator/ready").catch(() => undefined);
      if (r?.status === 503 && typeof r.body?.checks?.postgres === "string" && r.body.checks.postgres.startsWith("DOWN")) down ??= r.body.checks.postgres;
      await new Promise((res) => setTimeout(res, 200));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return down;
    },
  };
}

/** Failures that used up a retry: an outage must never cost one. */
function retriesUsed(world: World): string[] {
  return world.peer.failures
    .filter((f) => f.retries < f.job.retries)
    .map((f) => `${f.job.elementId} of ${f.job.processInstanceKey} lost a retry: ${f.errorMessage.slice(0, 120)}`);
}

export function readOnlyScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  const items = [7, 15];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} sagas while PostgreSQL turns read-only for 5 s (a failover, SQLSTATE 25006): readiness DOWN meanwhile, no retry used up, every saga ends once it is writable again`,
    async run(ctx) {
      const world = await World.create(ctx, { name: o.name, services: standardServices(), salt: o.salt });
      try {
        const specs: SagaSpec[] = Array.from({ length: o.sagas }, (_, i) =>
          standardSaga(`${o.name}-${i}`, world.random.pick([undefined, "shipping", "invoice"] as const)),
        );
        await world.startWorker();
        const sagas = world.runSagas(specs, { staggerMs: 300 });
        await new Promise((r) => setTimeout(r, 1000));
        const readiness = watchReadiness(world);
        await setReadOnly(ctx.pg.url, true);
        try {
          await new Promise((r) => setTimeout(r, 5000));
        } finally {
          await setReadOnly(ctx.pg.url, false);
        }
        const down = await readiness.stop();
        const runs = await sagas;
        const problems = [...retriesUsed(world), ...(down ? [] : ["readiness never reported PostgreSQL down while it was read-only"])];
        return await world.verdict(
          o.name,
          items,
          runs.map((r) => outcomeOf(r)),
          { problems, notes: down ? [`readiness during the outage: ${down.slice(0, 100)}`] : [] },
        );
      } finally {
        await world.close();
      }
    },
  };
}

export function postgresStoppedScenario(o: { name: string; sagas: number; queued: number; salt: number }): Scenario {
  const items = [7, 8, 15];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} sagas running and ${o.queued} one-step sagas queued while PostgreSQL is stopped for 5 s (default backoffs): no retry used up, readiness DOWN, the queue drains by itself after the restart (time measured)`,
    async run(ctx) {
      // The worker's default backoffs (1 s base, 60 s cap): a per-job backoff would hold the queue long after recovery.
      const world = await World.create(ctx, {
        name: o.name,
        services: standardServices(),
        salt: o.salt,
        env: { BACKOFF_BASE_MS: "1000", BACKOFF_CAP_MS: "60000" },
      });
      let paused = false;
      try {
        const specs: SagaSpec[] = Array.from({ length: o.sagas }, (_, i) =>
          standardSaga(`${o.name}-${i}`, world.random.pick([undefined, "shipping"] as const)),
        );
        const queued: SagaSpec[] = Array.from({ length: o.queued }, (_, i) => {
          const spec = standardSaga(`${o.name}-q${i}`);
          spec.steps = spec.steps.slice(0, 1);
          return spec;
        });
        await world.startWorker();
        const sagas = world.runSagas(specs, { staggerMs: 200 });
        await new Promise((r) => setTimeout(r, 1000));
        const readiness = watchReadiness(world);
        await ctx.pg.pause();
        paused = true;
        const queuedRuns = world.runSagas(queued);
        await new Promise((r) => setTimeout(r, 5000));
        await ctx.pg.resume();
        paused = false;
        const back = Date.now();
        const qRuns = await queuedRuns;
        const drainedIn = (Date.now() - back) / 1000;
        const down = await readiness.stop();
        const runs = [...(await sagas), ...qRuns];
        const problems = [...retriesUsed(world), ...(down ? [] : ["readiness never reported PostgreSQL down while it was stopped"])];
        // Item 8 asks for 5 s; the bound here is generous for a loaded 2-core machine, yet far below the 55 s of a
        // backoff counted per job (outages.e2e holds the 5 s bound).
        if (drainedIn > DRAIN_BOUND_S)
          problems.push(`the ${o.queued} queued sagas took ${drainedIn.toFixed(1)} s after PostgreSQL was back (bound ${DRAIN_BOUND_S} s)`);
        return await world.verdict(
          o.name,
          items,
          runs.map((r) => outcomeOf(r)),
          {
            problems,
            notes: [`${o.queued} queued one-step sagas done ${drainedIn.toFixed(1)} s after PostgreSQL was back (bound ${DRAIN_BOUND_S} s)`],
          },
        );
      } finally {
        if (paused) await ctx.pg.resume();
        await world.close();
      }
    },
  };
}
