import * as k8s from "@pulumi/kubernetes";
import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import { labels, TOPIC_SUFFIXES, topicNames, TopicNames, topicObjectName } from "./naming";

/** Partitions, replication and retention of the topics. */
export interface TopicSettings {
  /** Partitions per topic. */
  partitions: number;
  /** Replicas of each partition (Strimzi `spec.replicas`). */
  replicationFactor: number;
  /** `min.insync.replicas`: at most `replicationFactor`. */
  minInsyncReplicas: number;
  /** `retention.ms` of every topic but the dead-letter one. */
  retentionMs: number;
  /** The dead-letter topic keeps records longer, long enough to replay them. */
  deadLetterRetentionMs: number;
}

/** An existing Kafka cluster that `pulumi up` can reach. */
export interface ExternalKafka {
  /** `host:port[,host:port]`; may come from another stack. */
  bootstrapServers: pulumi.Input<string>;
  /** TLS to the brokers. */
  tls: boolean;
  /** SASL credentials, if the cluster wants them; the password stays secret (the Kafka provider does not mark it). */
  sasl?: { mechanism: "plain" | "scram-sha256" | "scram-sha512"; username: pulumi.Input<string>; password: pulumi.Input<string> };
}

/** A Strimzi-managed Kafka cluster. */
export interface StrimziKafka {
  /** The Kafka cluster's name: the `strimzi.io/cluster` label the Topic Operator selects topics by. */
  cluster: string;
  /** The Kafka cluster's namespace: Strimzi 1.x's Topic Operator reconciles KafkaTopics there only. */
  namespace: pulumi.Input<string>;
  /** KafkaTopic API version: `v1` (Strimzi 0.49 and later; the only one since 1.0, the default) or `v1beta2` (before 1.0). */
  apiVersion?: "v1" | "v1beta2";
}

export interface EventTopicsArgs {
  /** Name of the orchestrator the topics belong to (labels). */
  component: string;
  /** Topic names are `<prefix>.<suffix>`. */
  prefix: string;
  /** Partitions, replication and retention. */
  settings: TopicSettings;
  /** `strimzi`: KafkaTopic resources for the Strimzi Topic Operator (needs `strimzi`); `external`: topics created with the Kafka provider (needs `external`). */
  mode: "strimzi" | "external";
  /** For `strimzi`: the cluster. */
  strimzi?: StrimziKafka;
  /** For `external`: the connection; a `kafka` provider passed in the resource options is used instead of one built from it. */
  external?: ExternalKafka;
}

/** Topic-level config, as Kafka names it; values are strings for the Kafka provider. */
export function topicConfig(role: keyof TopicNames, settings: TopicSettings): Record<string, string> {
  return {
    "retention.ms": String(role === "deadLetter" ? settings.deadLetterRetentionMs : settings.retentionMs),
    "min.insync.replicas": String(settings.minInsyncReplicas),
    "cleanup.policy": "delete",
  };
}

/** The seven topics of one orchestrator, created in Kafka or as Strimzi KafkaTopic resources. */
export class EventTopics extends pulumi.ComponentResource {
  /** The topic names, by role. */
  public readonly names: TopicNames;

  constructor(name: string, args: EventTopicsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:events:EventTopics", name, { mode: args.mode, prefix: args.prefix }, opts);
    this.names = topicNames(args.prefix);
    const roles = Object.keys(this.names) as Array<keyof TopicNames>;

    if (args.mode === "strimzi") {
      if (!args.strimzi) throw new pulumi.ResourceError(`EventTopics ${name}: strimzi mode needs the Strimzi cluster (args.strimzi)`, this);
      const version = args.strimzi.apiVersion ?? "v1";
      const apiVersion = `kafka.strimzi.io/${version}`;
      // One object under either API version: moving between them (Strimzi 1.0 removed v1beta2) is an update of the
      // same topic, never a delete of the old one (with its data) and a create of a new one.
      const otherVersion = version === "v1" ? "v1beta2" : "v1";
      const aliases = [{ type: `kubernetes:kafka.strimzi.io/${otherVersion}:KafkaTopic` }];
      for (const role of roles) {
        const topic = this.names[role];
        new k8s.apiextensions.CustomResource(
          `${name}-${TOPIC_SUFFIXES[role]}`,
          {
            apiVersion,
            kind: "KafkaTopic",
            metadata: {
              name: topicObjectName(topic),
              namespace: args.strimzi.namespace,
              labels: { ...labels(args.component, "events"), "strimzi.io/cluster": args.strimzi.cluster },
            },
            spec: {
              topicName: topic,
              partitions: args.settings.partitions,
              replicas: args.settings.replicationFactor,
              // Strimzi takes typed values; the Kafka provider below takes strings.
              config: Object.fromEntries(Object.entries(topicConfig(role, args.settings)).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v])),
            },
          },
          { parent: this, aliases },
        );
      }
    } else {
      if (!args.external) throw new pulumi.ResourceError(`EventTopics ${name}: external mode needs the Kafka connection (args.external)`, this);
      const { bootstrapServers, tls, sasl } = args.external;
      // A provider passed in the resource options reaches the topics by inheritance; else one from the connection.
      const provider = this.getProvider("kafka:index/topic:Topic")
        ? undefined
        : new kafka.Provider(
            `${name}-provider`,
            {
              bootstrapServers: pulumi.output(bootstrapServers).apply((servers) => servers.split(",")),
              tlsEnabled: tls,
              ...(sasl ? { saslMechanism: sasl.mechanism, saslUsername: sasl.username, saslPassword: pulumi.secret(sasl.password) } : {}),
            },
            { parent: this },
          );
      for (const role of roles) {
        new kafka.Topic(
          `${name}-${TOPIC_SUFFIXES[role]}`,
          {
            name: this.names[role],
            partitions: args.settings.partitions,
            replicationFactor: args.settings.replicationFactor,
            config: topicConfig(role, args.settings),
          },
          { parent: this, provider },
        );
      }
    }
    this.registerOutputs({ names: this.names });
  }
}
