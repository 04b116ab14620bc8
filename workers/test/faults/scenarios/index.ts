// Every scenario of the fault suite, in the order the table lists them. QUICK_SCENARIOS also run in `npm test`.
import type { Scenario } from "../world";
import { crashScenario } from "./crashes";
import { badDataScenario } from "./data";
import { hostileDiscoveryScenario } from "./discovery";
import { postgresStoppedScenario, readOnlyScenario } from "./outages";
import { duplicateDeliveryScenario, loopScenario, redirectScenario } from "./steps";
import { kafkaOutageScenario, templateCrashScenario } from "./template";
import { duplicateTriggerScenario, redisStreamsRestartScenario } from "./triggers";

export const SCENARIOS: Scenario[] = [
  crashScenario({ name: "crash-in-steps", sagas: 10, crashes: 5, on: "call", salt: 1 }),
  crashScenario({ name: "crash-in-compensation", sagas: 10, crashes: 5, on: "undo", salt: 2 }),
  templateCrashScenario({ name: "template-crashes", sagas: 10, crashes: 6, salt: 3 }),
  loopScenario({ name: "loop-iterations", sagas: 6, salt: 4 }),
  badDataScenario({ name: "bad-data", healthy: 9, unsafeIntegers: 25, salt: 5 }),
  duplicateDeliveryScenario({ name: "duplicate-deliveries", sagas: 8, salt: 6 }),
  readOnlyScenario({ name: "postgres-read-only", sagas: 10, salt: 7 }),
  postgresStoppedScenario({ name: "postgres-stopped", sagas: 10, queued: 100, salt: 8 }),
  kafkaOutageScenario({ name: "kafka-outage", sagas: 8, salt: 9 }),
  duplicateTriggerScenario({ name: "duplicate-triggers", sagas: 10, salt: 10 }),
  redisStreamsRestartScenario({ name: "redis-streams-restart", sagas: 8, salt: 11 }),
  hostileDiscoveryScenario({ name: "hostile-discovery", sagas: 8, salt: 13 }),
  redirectScenario({ name: "redirects", sagas: 8, salt: 14 }),
];

/** The representative few that run in `npm test` (well under 2 minutes together). */
export const QUICK_SCENARIOS: Scenario[] = [
  crashScenario({ name: "quick-crash-in-steps", sagas: 3, crashes: 2, on: "call", salt: 101 }),
  crashScenario({ name: "quick-crash-in-compensation", sagas: 2, crashes: 1, on: "undo", salt: 102 }),
];
