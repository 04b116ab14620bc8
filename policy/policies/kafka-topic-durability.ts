import { ResourceValidationPolicy } from "@pulumi/policy";
import { numberSetting, topicOf } from "../lib/kafka";
import { settings, stackOf } from "../lib/settings";

const defaults = { productionStacks: ["prod", "production"], minReplicationFactor: 3, minInSyncReplicas: 2 };

export const kafkaTopicDurability: ResourceValidationPolicy = {
  name: "kafka-topic-durability",
  description:
    "Kafka topics in a production stack have a replication factor of at least 3 and min.insync.replicas of " +
    "at least 2, so one broker loss neither loses acknowledged events nor stops the saga. Fix: set " +
    "replicationFactor (Strimzi: spec.replicas) and config min.insync.replicas.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      productionStacks: {
        type: "array",
        items: { type: "string" },
        default: defaults.productionStacks,
        description: "Stack names this policy applies to.",
      },
      minReplicationFactor: { type: "integer", minimum: 1, default: defaults.minReplicationFactor },
      minInSyncReplicas: { type: "integer", minimum: 1, default: defaults.minInSyncReplicas },
    },
  },
  validateResource: (args, reportViolation) => {
    const topic = topicOf(args.type, args.props);
    if (!topic) return;
    const cfg = settings(args, defaults);
    const stack = stackOf(args.urn);
    if (!cfg.productionStacks.includes(stack)) {
      args.notApplicable(`stack "${stack}" is not a production stack`);
    }
    const rf = numberSetting(topic.replicationFactor);
    if (rf === undefined || rf < cfg.minReplicationFactor) {
      reportViolation(`Topic "${topic.name}" has replication factor ${rf ?? "unset"}; production needs at least ${cfg.minReplicationFactor}.`);
    }
    const isr = numberSetting(topic.config["min.insync.replicas"]);
    if (isr === undefined || isr < cfg.minInSyncReplicas) {
      reportViolation(`Topic "${topic.name}" has min.insync.replicas ${isr ?? "unset"}; production needs at least ${cfg.minInSyncReplicas}.`);
    }
  },
};
