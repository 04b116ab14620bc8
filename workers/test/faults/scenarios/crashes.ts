// kill -9 of the worker process between a service call and its saga-log write, and in the middle of a
// compensation, then a restart: at seeded crash points, with many sagas running at once.
import type { CrashPoint } from "../crash";
import { completedBefore, STEPS, standardSaga, standardServices, StepService } from "../sagas";
import type { SagaSpec } from "../scripted-sagas";
import { outcomeOf, Scenario, World } from "../world";

const POINTS: CrashPoint[] = ["after-receipt", "before-log-write"];

export interface CrashScenarioOptions {
  name: string;
  sagas: number;
  crashes: number;
  /** Where the crashes are: in calls (forward steps), or at the first undo of a compensation. */
  on: "call" | "undo";
  salt: number;
}

export function crashScenario(o: CrashScenarioOptions): Scenario {
  return {
    name: o.name,
    items: o.on === "call" ? [1, 5] : [5, 6],
    proves:
      o.on === "call"
        ? `${o.sagas} sagas, ${o.crashes} kill -9 at seeded steps: after the service received the call (reply held) or after the reply, with the saga-log write blocked; every step executed once per key, nothing lost`
        : `${o.sagas} compensating sagas (handlers all at once, shuffled), ${o.crashes} kill -9 after the first of several undo calls (reply held, or undo recorded late); each completed step undone once, in reverse order`,
    async run(ctx) {
      const world = await World.create(ctx, { name: o.name, services: standardServices(), salt: o.salt });
      try {
        const rnd = world.random;
        const specs: SagaSpec[] = [];
        for (let i = 0; i < o.sagas; i++) {
          const rejectAt: StepService | undefined =
            o.on === "undo" ? rnd.pick(["shipping", "invoice"] as const) : rnd.pick([undefined, undefined, "shipping", "invoice"] as const);
          specs.push(standardSaga(`${o.name}-${i}`, rejectAt));
        }
        // Both kinds of crash point, in a seeded order.
        const points = rnd.shuffle(Array.from({ length: o.crashes }, (_, i) => POINTS[i % POINTS.length]));
        for (const [n, spec] of rnd.sample(specs, o.crashes).entries()) {
          const rejectAt = spec.variables.rejectAt as StepService | undefined;
          const done = completedBefore(rejectAt);
          if (o.on === "call") {
            // Any step the saga reaches: a completed one, or the one that rejects it.
            const reached = rejectAt ? [...done, rejectAt] : [...STEPS];
            world.plan.add(rnd.pick(reached), spec.sagaId, "call", points[n]);
          } else {
            // The first undo is of the last completed step (reverse order); more undos follow it.
            world.plan.add(done[done.length - 1], spec.sagaId, "undo", points[n]);
          }
        }
        const planned = world.plan.size();
        await world.startWorker();
        const runs = await world.runSagas(specs, { staggerMs: 300 });
        const c = world.crasher.crashes;
        // The harness, not the worker, would be at fault; but a crash scenario without a kill proves nothing.
        const problems = c.some((x) => x.killed) ? [] : [`none of the ${planned} crash points killed the worker`];
        return await world.verdict(
          o.name,
          this.items,
          runs.map((r) => outcomeOf(r)),
          {
            problems,
            notes: [
              `kills: ${c.filter((x) => x.killed && x.point === "after-receipt").length} after the service received a call, ` +
                `${c.filter((x) => x.killed && x.point === "before-log-write").length} with the saga-log write blocked; ` +
                `${planned - new Set(c.filter((x) => x.killed).map((x) => x.label)).size} of ${planned} planned points reached only by processes already killed`,
            ],
          },
        );
      } finally {
        await world.close();
      }
    },
  };
}
