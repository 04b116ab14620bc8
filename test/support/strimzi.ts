import { z } from "zod";
import { ConfigMap } from "kubernetes-models/v1";

/**
 * Strimzi `KafkaTopic` (kafka.strimzi.io/v1beta2). No CommonJS models package for Strimzi exists,
 * so this mirrors the `openAPIV3Schema` of the v1beta2 version in Strimzi's CRD
 * (packaging/install/cluster-operator/043-Crd-kafkatopic.yaml): `spec.partitions` integer ≥ 1,
 * `spec.replicas` integer 1..32767, `spec.config` an object, `spec.topicName` a string.
 *
 * Stricter than the CRD where the CRD would silently lose data: unknown fields (which the API server
 * prunes without an error) are rejected, and so is a missing `strimzi.io/cluster` label, without which
 * the Topic Operator ignores the topic.
 */
const kafkaTopicSchema = z.strictObject({
  apiVersion: z.literal("kafka.strimzi.io/v1beta2"),
  kind: z.literal("KafkaTopic"),
  metadata: z.looseObject({
    labels: z.looseObject({ "strimzi.io/cluster": z.string().min(1) }),
  }),
  spec: z.strictObject({
    partitions: z.int().min(1).optional(),
    replicas: z.int().min(1).max(32767).optional(),
    // x-kubernetes-preserve-unknown-fields: Kafka topic configs, which the Topic Operator takes as scalars.
    config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    topicName: z.string().optional(),
  }).optional(),
});

/** Validates a KafkaTopic; throws with the failing path. Its metadata goes through the ObjectMeta schema of kubernetes-models. */
export function validateKafkaTopic(object: Record<string, unknown>): void {
  const result = kafkaTopicSchema.safeParse(object);
  if (!result.success) {
    throw new Error(result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; "));
  }
  // ObjectMeta is one schema for every kind: validate it through a core model that holds nothing else.
  new ConfigMap({ metadata: object.metadata as ConfigMap["metadata"] }).validate();
}
