import { kubeType } from "./k8s";
import { KAFKA_TOPIC } from "./types";

export const DEAD_LETTER_SUFFIX = ".dead-letter";

/** A Kafka topic read from either shape: `@pulumi/kafka` Topic or Strimzi KafkaTopic. */
export interface TopicView {
  name: string;
  replicationFactor: unknown;
  /** Topic config; `@pulumi/kafka` gives strings, Strimzi numbers. */
  config: Record<string, unknown>;
}

export function topicOf(type: string, props: any): TopicView | undefined {
  if (type === KAFKA_TOPIC) {
    return { name: String(props?.name ?? ""), replicationFactor: props?.replicationFactor, config: props?.config ?? {} };
  }
  const t = kubeType(type);
  if (t?.group === "kafka.strimzi.io" && t.kind === "KafkaTopic") {
    return {
      name: String(props?.spec?.topicName ?? props?.metadata?.name ?? ""),
      replicationFactor: props?.spec?.replicas,
      config: props?.spec?.config ?? {},
    };
  }
  return undefined;
}

/** A numeric setting given as a number or a decimal string; undefined when absent or malformed. */
export function numberSetting(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}
