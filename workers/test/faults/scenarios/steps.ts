// Steps run once, whatever the deliveries: loop iterations (with a kill), duplicate deliveries and calls
// longer than the job timeout, redirects to a hostile host.
import type { CrashPoint } from "../crash";
import { startSagaService, ServiceRequest } from "../saga-services";
import { ELEMENT_OF, standardDecision, standardSaga, standardServices } from "../sagas";
import type { SagaSpec } from "../scripted-sagas";
import { outcomeOf, Scenario, World } from "../world";

const ITEMS = [1, 2, 3];

export function loopScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  const items = [1, 6];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} sagas with a sequential loop (3 items) and a parallel multi-instance step (3 items), kill -9 in an iteration and at the first undo: every iteration called once with its own key and completed with its own result, each undone once, later iterations first`,
    async run(ctx) {
      const world = await World.create(ctx, { name: o.name, services: standardServices(), salt: o.salt });
      try {
        const rnd = world.random;
        const specs: SagaSpec[] = Array.from({ length: o.sagas }, (_, i) => {
          const spec = standardSaga(`${o.name}-${i}`, i % 2 === 0 ? "shipping" : undefined);
          spec.steps = [
            { service: "inventory", elementId: ELEMENT_OF.inventory, items: { values: ITEMS, parallel: false } },
            { service: "payment", elementId: ELEMENT_OF.payment, items: { values: ITEMS, parallel: true } },
            { service: "shipping", elementId: ELEMENT_OF.shipping },
          ];
          return spec;
        });
        const points: CrashPoint[] = ["after-receipt", "before-log-write"];
        for (const [n, spec] of rnd.sample(specs, Math.ceil(o.sagas / 2)).entries()) {
          if (spec.expected === "compensated" && n % 2 === 1) world.plan.add("payment", spec.sagaId, "undo", points[n % 2]);
          else world.plan.add(rnd.pick(["inventory", "payment"]), spec.sagaId, "call", points[n % 2]);
        }
        await world.startWorker();
        const runs = await world.runSagas(specs, { staggerMs: 300 });
        const iterations = world.services
          .flatMap((s) => s.executions)
          .filter((e) => e.request.kind === "call" && e.request.variables.item !== undefined).length;
        return await world.verdict(
          o.name,
          items,
          runs.map((r) => outcomeOf(r)),
          {
            problems: world.crasher.crashes.some((c) => c.killed) ? [] : ["no crash point killed the worker"],
            notes: [`${iterations} iterations executed (${o.sagas} sagas x 6 expected)`],
          },
        );
      } finally {
        await world.close();
      }
    },
  };
}

export function duplicateDeliveryScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  const items = [5];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} sagas whose every job (calls, rejections, compensations) is handed out twice in one batch, and sagas whose step outlasts the job timeout (timeoutMs header 20 s, job timeout 6 s): never two calls of one step at once, a rejected or undone step never called again`,
    async run(ctx) {
      const slow = new Set<string>();
      const world = await World.create(ctx, {
        name: o.name,
        salt: o.salt,
        // Payment takes 5.5 s to answer a slow saga: longer than 80% of the job timeout, where the worker ends every call.
        services: standardServices({
          payment: {
            decide: (req: ServiceRequest) => ({ ...standardDecision("payment", req), delayMs: slow.has(req.sagaId) && req.kind === "call" ? 5500 : 0 }),
          },
        }),
      });
      try {
        const specs: SagaSpec[] = Array.from({ length: o.sagas }, (_, i) =>
          standardSaga(`${o.name}-${i}`, world.random.pick([undefined, "shipping", "invoice"] as const), { duplicateDeliveries: true }),
        );
        for (const i of [0, 1]) {
          const spec = standardSaga(`${o.name}-slow-${i}`, i === 1 ? "shipping" : undefined);
          spec.steps = spec.steps.map((s) => (s.service === "payment" ? { ...s, headers: { ...s.headers, timeoutMs: "20000" } } : s));
          slow.add(spec.sagaId);
          specs.push(spec);
        }
        await world.startWorker();
        const runs = await world.runSagas(specs, { staggerMs: 100 });
        // Without crashes, a step answered once is never asked again: a retry with the same key is a second call of a
        // step that had an outcome (only the slow steps, cut off by the worker's own timeout, are retried).
        const asked = world.services.flatMap((s) => s.exchanges).filter((e) => e.replay && !slow.has(e.request.sagaId));
        return await world.verdict(
          o.name,
          items,
          runs.map((r) => outcomeOf(r)),
          {
            problems: asked.map((e) => `${e.request.kind} ${e.request.stepId} asked again with its key after it had an outcome`),
            notes: [`${world.peer.activations} job activations for ${world.peer.completions.length + world.peer.errors.length} outcomes`],
          },
        );
      } finally {
        await world.close();
      }
    },
  };
}

export function redirectScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  const items = [14, 15];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} sagas whose payment answers 307 to a hostile host (twice then normal: completes; always: incident; on the undo: dead letter): the hostile host receives nothing`,
    async run(ctx) {
      const hostile = await startSagaService("hostile");
      const redirect = () => ({ status: 307, headers: { location: `${hostile.url}/api/process?token=stolen` } });
      const world = await World.create(ctx, {
        name: o.name,
        salt: o.salt,
        services: standardServices({
          payment: {
            decide: (req) => {
              const mode = req.variables.redirect as string | undefined;
              if (req.kind === "call" && (mode === "always" || (mode === "twice" && req.nth <= 2))) return redirect();
              if (req.kind === "undo" && mode === "undo") return redirect();
              return standardDecision("payment", req);
            },
          },
        }),
      });
      try {
        const specs: SagaSpec[] = Array.from({ length: o.sagas }, (_, i) => {
          const mode = ["twice", "always", "undo", undefined][i % 4];
          const spec = standardSaga(`${o.name}-${i}`, mode === "undo" ? "shipping" : undefined, { compensationRetries: 2 });
          spec.variables.redirect = mode;
          spec.expected = mode === "always" ? "incident" : mode === "undo" ? "compensation-incident" : spec.expected;
          return spec;
        });
        await world.startWorker();
        const runs = await world.runSagas(specs, { staggerMs: 100 });
        const problems = hostile.exchanges.length > 0 ? [`the hostile host received ${hostile.exchanges.length} request(s)`] : [];
        if (world.worker.output().includes("stolen")) problems.push("the redirect's query (a token) appeared in the worker's output");
        return await world.verdict(
          o.name,
          items,
          runs.map((r) => outcomeOf(r)),
          { problems, notes: [`hostile host: ${hostile.exchanges.length} requests`] },
        );
      } finally {
        await world.close();
        await hostile.stop();
      }
    },
  };
}
