// Bad data among healthy sagas, in the same activation batches: U+0000 in variables and in a reply, integers
// beyond 2^53 in variables (more of them than once stalled a task type), a reply far over the size cap.
// Each bad job becomes an incident saying why; the healthy ones run once, on their first attempt.
import { PAYLOAD_MARKER } from "../markers";
import type { ServiceRequest } from "../saga-services";
import { standardDecision, standardSaga, standardServices, STEPS } from "../sagas";
import type { SagaRun, SagaSpec } from "../scripted-sagas";
import { outcomeOf, Scenario, World } from "../world";

const HUGE_REPLY_BYTES = 6 * 1024 * 1024;

/** The reply a saga's variables ask of a service: U+0000 in it, or 6 MB. */
function badReply(service: string, req: ServiceRequest) {
  const d = standardDecision(service, req);
  if (req.kind !== "call" || d.status !== 200) return d;
  if (req.variables.nulReplyFrom === service) return { ...d, body: { note: "half\u0000done" } };
  if (req.variables.hugeReplyFrom === service) return { ...d, body: { blob: "x".repeat(HUGE_REPLY_BYTES) } };
  return d;
}

export function badDataScenario(o: { name: string; healthy: number; unsafeIntegers: number; salt: number }): Scenario {
  const items = [2, 3, 4, 15];
  return {
    name: o.name,
    items,
    proves: `${o.healthy} healthy sagas batched with 2 whose variables hold U+0000, ${o.unsafeIntegers} holding integers beyond 2^53, a reply holding U+0000 and a 6 MB reply: each bad job an incident naming the cause, healthy steps once on the first attempt, liveness UP, the task type still polling`,
    async run(ctx) {
      const services = Object.fromEntries(STEPS.map((s) => [s, { decide: (req: ServiceRequest) => badReply(s, req) }]));
      const world = await World.create(ctx, { name: o.name, services: { ...standardServices(), ...services }, salt: o.salt });
      try {
        const rnd = world.random;
        const healthy = Array.from({ length: o.healthy }, (_, i) => standardSaga(`${o.name}-ok-${i}`, rnd.pick([undefined, "shipping"] as const)));
        const nulVars = [0, 1].map((i) => standardSaga(`${o.name}-nul-${i}`, undefined, { expected: "incident" }));
        nulVars.forEach((s) => (s.variables.note = `bad\u0000byte ${PAYLOAD_MARKER}`));
        const nulReply = standardSaga(`${o.name}-nul-reply`, undefined, { expected: "incident" });
        nulReply.variables.nulReplyFrom = "payment";
        const hugeReply = standardSaga(`${o.name}-huge-reply`, undefined, { expected: "incident" });
        hugeReply.variables.hugeReplyFrom = "invoice";
        // One step, its variables as raw JSON (Zeebe accepts any JSON number): a card number as an integer.
        const unsafe: SagaSpec[] = Array.from({ length: o.unsafeIntegers }, (_, i) => {
          const spec = standardSaga(`${o.name}-int-${i}`, undefined, { expected: "incident" });
          spec.steps = [{ ...spec.steps[0], rawVariables: `{"sagaId":"${spec.sagaId}","card":"${PAYLOAD_MARKER}","cardNumber":41111111111111111${i % 10}}` }];
          return spec;
        });
        // Healthy sagas after all the bad ones: the task type must still fetch jobs.
        const late = Array.from({ length: 3 }, (_, i) => standardSaga(`${o.name}-late-${i}`));
        await world.startWorker();
        const first = await world.runSagas([...rnd.shuffle([...healthy, ...nulVars, nulReply, hugeReply]), ...unsafe]);
        const health = await world.worker.get("/actuator/health");
        const later = await world.runSagas(late, { deadlineMs: 60_000 });
        const runs: SagaRun[] = [...first, ...later];

        const problems: string[] = [];
        if (health.status !== 200) problems.push(`liveness ${health.status} after the bad jobs: ${health.text}`);
        const why: [SagaSpec[], RegExp][] = [
          [nulVars, /cannot be recorded in the saga log: .*note/],
          [[nulReply], /reply cannot be recorded in the saga log/],
          [[hugeReply], /larger than RESPONSE_MAX_BYTES/],
          [unsafe, /integers beyond ±2\^53.*cardNumber/],
        ];
        for (const [specs, pattern] of why) {
          for (const spec of specs) {
            const run = runs.find((r) => r.spec === spec)!;
            if (run.state === "incident" && !run.incidents.some((m) => pattern.test(m)))
              problems.push(`saga ${spec.sagaId}: incident without the cause (${run.incidents.join("; ").slice(0, 200)})`);
          }
        }
        // Per-job writes: a bad job in a batch costs the healthy ones nothing (no failure, no retry).
        const healthyKeys = new Set([...healthy, ...late].map((s) => s.processInstanceKey));
        const healthyFailures = world.peer.failures.filter((f) => healthyKeys.has(f.job.processInstanceKey));
        if (healthyFailures.length > 0)
          problems.push(`${healthyFailures.length} failure(s) of healthy sagas' jobs, e.g. ${healthyFailures[0].errorMessage.slice(0, 160)}`);
        if (world.peer.timedOut > 0) problems.push(`${world.peer.timedOut} job(s) timed out (stuck, e.g. a completion the gateway refused)`);

        const noCall = (run: SagaRun) => (nulVars.includes(run.spec) || unsafe.includes(run.spec) ? [...STEPS] : undefined);
        return await world.verdict(
          o.name,
          items,
          runs.map((r) => outcomeOf(r, noCall(r))),
          {
            problems,
            notes: [`${runs.filter((r) => r.state === "incident").length} incidents, ${healthy.length + late.length} healthy sagas ended without a failed job`],
          },
        );
      } finally {
        await world.close();
      }
    },
  };
}
