// Trigger events start template sagas through the bridge: delivered several times, with the de-duplication
// Redis killed (and back empty) in between; and on the Redis Streams bus, with Redis itself killed while
// triggers wait in it. Each trigger starts exactly one instance; none is lost.
import Redis from "ioredis";
import { redisPersistenceFlags } from "../../../../components/redis-server";
import { topicNames } from "../../../src/events/bus";
import { RedisStreamsBus } from "../../../src/events/redis-streams-bus";
import { TEMPLATES_DIR } from "../../support/harness";
import { startKafkaMock, startRedis } from "../../support/servers";
import { confirmThroughBus, kafkaEnv, kafkaProducer } from "../event-checks";
import { standardServices } from "../sagas";
import { instancesOfSaga, templateOutcome, templateSaga, TemplateSagaSpec, TemplateStep, templateVariables, TEMPLATE_PROCESS } from "../template-sagas";
import type { EventBus } from "../../../src/events/bus";
import { Scenario, World } from "../world";

function trigger(spec: TemplateSagaSpec) {
  return {
    key: spec.sagaId,
    value: { bpmnProcessId: TEMPLATE_PROCESS, variables: templateVariables(spec) },
    headers: { "event-id": `trigger-${spec.sagaId}` },
  };
}

/** More than one instance for a trigger is a process started twice. */
function doubleStarts(world: World, specs: TemplateSagaSpec[]): string[] {
  return specs
    .filter((s) => instancesOfSaga(world.peer, s.sagaId).length > 1)
    .map((s) => `trigger of ${s.sagaId} started ${instancesOfSaga(world.peer, s.sagaId).length} instances`);
}

export function duplicateTriggerScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  const items = [7, 10, 12];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} trigger events on Kafka, each delivered twice, then the de-duplication Redis killed (kill -9) and back empty and every trigger delivered a third time: readiness reports the Redis outage, each trigger starts one instance (Zeebe refuses the repeated start message), every saga ends`,
    async run(ctx) {
      const [kafka, redis] = await Promise.all([startKafkaMock(), startRedis()]);
      let producer: EventBus | undefined;
      let world: World | undefined;
      try {
        const prefix = o.name;
        producer = await kafkaProducer(kafka.brokers, prefix);
        world = await World.create(ctx, {
          name: o.name,
          services: standardServices(),
          salt: o.salt,
          peerOptions: { execute: true },
          env: { ...kafkaEnv(kafka.brokers, redis.url, prefix), WORKFLOWS_DIR: TEMPLATES_DIR },
        });
        const w = world;
        const specs = Array.from({ length: o.sagas }, (_, i) =>
          templateSaga(`${o.name}-${i}`, w.random.pick([undefined, "shipping", "payment"] as (TemplateStep | undefined)[])),
        );
        await w.startWorker();
        const triggers = topicNames(prefix).triggers;
        for (const spec of specs) {
          await producer.publish(triggers, trigger(spec));
          await producer.publish(triggers, trigger(spec)); // a producer retry: the same event id
        }
        const sagas = w.followTemplateSagas(specs, confirmThroughBus(producer, prefix));
        await w.until(() => w.peer.instancesOf(TEMPLATE_PROCESS).length >= o.sagas / 2, 60_000, "half the sagas started");
        await redis.pause("SIGKILL");
        let redisDown: string | undefined;
        await w
          .until(
            async () => {
              const r = await w.worker.get("/actuator/ready").catch(() => undefined);
              if (r?.status === 503 && String(r.body?.checks?.dedupRedis ?? "").startsWith("DOWN")) redisDown = r.body.checks.dedupRedis;
              return redisDown !== undefined;
            },
            20_000,
            "readiness to report the de-duplication Redis down",
          )
          .catch(() => undefined);
        await redis.resume(); // empty: it kept no data
        for (const spec of specs) await producer.publish(triggers, trigger(spec)); // e.g. a replay of the topic
        const runs = await sagas;
        // Every delivery handled: each trigger's mark is in the new Redis (set by its third delivery, refused by Zeebe
        // when the instance was started before the Redis outage, or by a delivery still pending then).
        const marks = new Redis(redis.url, { maxRetriesPerRequest: 3 });
        const marked = async () => (await marks.mget(...specs.map((s) => `dedup:event-bridge:trigger-${s.sagaId}`))).every((v) => v === "done");
        const handled = await w.until(marked, 60_000, "every trigger delivery handled").then(
          () => true,
          () => false,
        );
        marks.disconnect();
        const refused = new Set(w.peer.duplicateMessages.filter((m) => m.name === `start:${TEMPLATE_PROCESS}`).map((m) => m.messageId)).size;
        const problems = [
          ...doubleStarts(w, specs),
          ...(redisDown ? [] : ["readiness never reported the de-duplication Redis down"]),
          ...(handled ? [] : ["not every trigger delivery was handled within 60 s"]),
        ];
        return await w.verdict(o.name, items, runs.map(templateOutcome), {
          problems,
          notes: [
            `${o.sagas * 3} trigger deliveries, ${w.peer.instancesOf(TEMPLATE_PROCESS).length} instances; ${refused} triggers repeated after the Redis outage were refused by Zeebe (same message id), the others by the marks`,
          ],
        });
      } finally {
        await producer?.close();
        await world?.close();
        await Promise.all([kafka.stop(), redis.stop()]);
      }
    },
  };
}

export function redisStreamsRestartScenario(o: { name: string; sagas: number; salt: number }): Scenario {
  const items = [11];
  return {
    name: o.name,
    items,
    proves: `${o.sagas} triggers on the Redis Streams bus (Redis with the append-only file the component renders): the worker killed after reading half of them, the rest published while it is dead, then Redis killed (kill -9) and restarted: every trigger starts exactly one instance`,
    async run(ctx) {
      // The component's persistence flags; the data directory is the test server's own (--dir is set by startRedis).
      const flags = redisPersistenceFlags(true);
      const dir = flags.indexOf("--dir");
      const redis = await startRedis({ flags: dir >= 0 ? [...flags.slice(0, dir), ...flags.slice(dir + 2)] : flags });
      let world: World | undefined;
      let producer: RedisStreamsBus | undefined;
      try {
        const prefix = o.name;
        world = await World.create(ctx, {
          name: o.name,
          services: standardServices(),
          salt: o.salt,
          peerOptions: { execute: true },
          env: { ENABLE_EVENT_STREAMING: "true", EVENT_BUS: "redis-streams", REDIS_URL: redis.url, TOPICS_PREFIX: prefix, WORKFLOWS_DIR: TEMPLATES_DIR },
        });
        const w = world;
        producer = new RedisStreamsBus({ url: redis.url, clientId: "fault-suite-producer" });
        const bus = producer;
        const specs = Array.from({ length: o.sagas }, (_, i) =>
          templateSaga(`${o.name}-${i}`, w.random.pick([undefined, "shipping"] as (TemplateStep | undefined)[])),
        );
        const triggers = topicNames(prefix).triggers;
        await w.startWorker();
        const half = Math.floor(o.sagas / 2);
        for (const spec of specs.slice(0, half)) await bus.publish(triggers, trigger(spec));
        await w.until(() => w.peer.instancesOf(TEMPLATE_PROCESS).length >= 1, 60_000, "a first start");
        await w.worker.kill9();
        for (const spec of specs.slice(half)) await bus.publish(triggers, trigger(spec));
        await bus.close();
        producer = undefined;
        await redis.pause("SIGKILL");
        await redis.resume(); // same directory: the append-only file is replayed
        producer = new RedisStreamsBus({ url: redis.url, clientId: "fault-suite-producer-2" });
        const confirm = confirmThroughBus(producer, prefix);
        await w.worker.restart();
        const runs = await w.followTemplateSagas(specs, confirm);
        return await w.verdict(o.name, items, runs.map(templateOutcome), {
          problems: doubleStarts(w, specs),
          notes: [`${w.peer.instancesOf(TEMPLATE_PROCESS).length} instances for ${o.sagas} triggers`],
        });
      } finally {
        await producer?.close();
        await world?.close();
        await redis.stop();
      }
    },
  };
}
