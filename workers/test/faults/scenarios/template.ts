// The shipped compensation-saga template executed by the gateway peer's engine, with Kafka (librdkafka's mock
// cluster) as the bus: kill -9 in calls and in compensations, and, in a second scenario, the brokers down
// while sagas run and the worker killed during the outage. Every event the outbox wrote must reach Kafka.
import { KafkaMockServer, RedisServer, startKafkaMock, startRedis } from "../../support/servers";
import { TEMPLATES_DIR } from "../../support/harness";
import type { CrashPoint } from "../crash";
import { checkOutboxDelivered, kafkaEnv, kafkaProducer } from "../event-checks";
import { standardServices } from "../sagas";
import { confirmInEngine, templateOutcome, templateSaga, TemplateSagaSpec, TEMPLATE_STEPS, TemplateStep } from "../template-sagas";
import { Scenario, SuiteContext, World } from "../world";

const POINTS: CrashPoint[] = ["after-receipt", "before-log-write"];
const ITEMS_CRASH = [1, 5, 6, 9, 12];
const ITEMS_OUTAGE = [9, 12];

async function withKafka<T>(fn: (kafka: KafkaMockServer, redis: RedisServer) => Promise<T>): Promise<T> {
  const [kafka, redis] = await Promise.all([startKafkaMock(), startRedis()]);
  try {
    return await fn(kafka, redis);
  } finally {
    await Promise.all([kafka.stop(), redis.stop()]);
  }
}

/** A world whose peer executes the shipped templates, with Kafka as the bus and the scenario's name as the topics prefix. */
function templateWorld(ctx: SuiteContext, o: { name: string; salt: number }, kafka: KafkaMockServer, redis: RedisServer): Promise<World> {
  return World.create(ctx, {
    name: o.name,
    services: standardServices(),
    salt: o.salt,
    peerOptions: { execute: true },
    env: { ...kafkaEnv(kafka.brokers, redis.url, o.name), WORKFLOWS_DIR: TEMPLATES_DIR },
  });
}

export function templateCrashScenario(o: { name: string; sagas: number; crashes: number; salt: number }): Scenario {
  return {
    name: o.name,
    items: ITEMS_CRASH,
    proves: `${o.sagas} sagas of the shipped compensation-saga template on the executing peer (Kafka bus, confirmations through the bridge), ${o.crashes} kill -9 in calls and at the first undo; steps once, undos once in reverse order, every outbox event on Kafka`,
    run: (ctx) =>
      withKafka(async (kafka, redis) => {
        const prefix = o.name;
        const producer = await kafkaProducer(kafka.brokers, prefix);
        const world = await templateWorld(ctx, o, kafka, redis);
        try {
          const rnd = world.random;
          const specs: TemplateSagaSpec[] = Array.from({ length: o.sagas }, (_, i) =>
            templateSaga(`${o.name}-${i}`, rnd.pick([undefined, "shipping", "payment"] as const)),
          );
          const points = rnd.shuffle(Array.from({ length: o.crashes }, (_, i) => POINTS[i % POINTS.length]));
          for (const [n, spec] of rnd.sample(specs, o.crashes).entries()) {
            const done = spec.rejectAt ? TEMPLATE_STEPS.slice(0, TEMPLATE_STEPS.indexOf(spec.rejectAt)) : [...TEMPLATE_STEPS];
            // Half in calls, half at the first undo of a compensating saga (the last completed step's).
            if (spec.rejectAt && n % 2 === 1) world.plan.add(done[done.length - 1], spec.sagaId, "undo", points[n]);
            else world.plan.add(rnd.pick(spec.rejectAt ? [...done, spec.rejectAt] : done), spec.sagaId, "call", points[n]);
          }
          await world.startWorker();
          const runs = await world.runTemplateSagas(specs, confirmInEngine(world.peer), { staggerMs: 300 });
          const delivery = await checkOutboxDelivered(world.databaseUrl, kafka.brokers, prefix);
          const kills = world.crasher.crashes.filter((c) => c.killed).length;
          return await world.verdict(o.name, ITEMS_CRASH, runs.map(templateOutcome), {
            problems: [...delivery.problems, ...(kills === 0 ? ["no crash point killed the worker"] : [])],
            notes: [`${delivery.events} outbox events, ${delivery.records} records of them on Kafka`],
          });
        } finally {
          await producer.close();
          await world.close();
        }
      }),
  };
}

export function kafkaOutageScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  return {
    name: o.name,
    items: ITEMS_OUTAGE,
    proves: `${o.sagas} compensating template sagas (one undo dead-lettered) while the Kafka brokers are down, the worker killed during the outage with events in the outbox; after the brokers return every step event and the dead letter reach Kafka`,
    run: (ctx) =>
      withKafka(async (kafka, redis) => {
        const prefix = o.name;
        const producer = await kafkaProducer(kafka.brokers, prefix);
        const world = await templateWorld(ctx, o, kafka, redis);
        try {
          const specs: TemplateSagaSpec[] = Array.from({ length: o.sagas }, (_, i) =>
            // Compensating sagas need no bus to end (no publish-and-wait, no confirmation); one undo fails for good.
            templateSaga(`${o.name}-${i}`, world.random.pick(["shipping", "payment"] as TemplateStep[]), i === 0 ? "inventory" : undefined),
          );
          await world.startWorker();
          await producer.close();
          await kafka.down();
          const sagas = world.runTemplateSagas(specs, async () => undefined, { staggerMs: 200 });
          // Once half the sagas have ended, the worker dies with the outbox still full; a new one starts.
          await world.until(() => world.peer.instancesOf("compensation-saga").filter((i) => i.state !== "ACTIVE").length >= o.sagas / 2, 120_000);
          await world.worker.kill9();
          await world.worker.restart({ wait: "none" });
          await new Promise((r) => setTimeout(r, 3000));
          await kafka.up();
          const runs = await sagas;
          await world.worker.waitReady();
          const delivery = await checkOutboxDelivered(world.databaseUrl, kafka.brokers, prefix);
          return await world.verdict(o.name, ITEMS_OUTAGE, runs.map(templateOutcome), {
            problems: delivery.problems,
            notes: [`${delivery.events} outbox events written while Kafka was down or the worker dead, ${delivery.records} records of them on Kafka`],
          });
        } finally {
          await world.close();
        }
      }),
  };
}
