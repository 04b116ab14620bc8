import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { redisUrl } from "./connection-strings";
import { labels, objectNames, SECRET_KEYS } from "./naming";
import { REDIS_DATA_DIR, redisServerArgs } from "./redis-server";
import { guaranteedResources, restrictedSecurityContext } from "./workload";

export interface RedisCacheArgs {
  /** Name of the orchestrator; names the Secret (and the in-cluster server). */
  component: string;
  /** Namespace of the Secret (and of the in-cluster server). */
  namespace: pulumi.Input<string>;
  /** `in-cluster`: one Redis pod for dev stacks; `external`: an existing Redis given by URL. */
  mode: "in-cluster" | "external";
  /** For `external`: redis:// or rediss:// URL, possibly with a password, so kept secret. */
  url?: pulumi.Input<string>;
  /**
   * For `in-cluster`: keep the data (append-only file, fsync every second) on a PersistentVolumeClaim of this
   * size. The orchestrator sets it whenever Redis carries the event bus (Redis Streams); without it Redis keeps nothing.
   */
  persistence?: {
    /** Requested storage, a Kubernetes quantity such as `1Gi`. */
    storageSize: pulumi.Input<string>;
    /** StorageClass of the claim; the cluster's default class when omitted. */
    storageClassName?: pulumi.Input<string>;
  };
}

/** Image of the in-cluster Redis, pinned. */
export const REDIS_IMAGE = "redis:7.4.1-alpine";
const REDIS_UID = 999; // the redis user of the alpine image

/**
 * Redis for de-duplicating consumed events, and the event bus itself with Redis Streams (then it persists).
 * The worker gets REDIS_URL from one Secret.
 */
export class RedisCache extends pulumi.ComponentResource {
  /** The Secret with REDIS_URL (and the in-cluster server's password). */
  public readonly secretName: pulumi.Output<string>;
  /** The key of the URL in that Secret. */
  public readonly secretKey: string = SECRET_KEYS.redisUrl;

  constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("camunda-orchestrator:cache:RedisCache", name, { mode: args.mode, persistent: args.persistence !== undefined }, opts);
    const names = objectNames(args.component);
    const secretLabels = labels(args.component, "redis");
    let secretData: pulumi.Output<Record<string, string>>;

    if (args.mode === "external") {
      if (args.url === undefined) throw new pulumi.ResourceError(`RedisCache ${name}: external mode needs the Redis URL (args.url)`, this);
      secretData = pulumi.output(args.url).apply((url): Record<string, string> => ({ [SECRET_KEYS.redisUrl]: url }));
    } else {
      const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, additionalSecretOutputs: ["result"] });
      const podLabels = { ...secretLabels, "app.kubernetes.io/instance": names.redis };
      const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
          metadata: { name: names.redis, namespace: args.namespace, labels: podLabels },
          spec: { selector: podLabels, ports: [{ name: "redis", port: 6379, targetPort: 6379 }] },
        },
        { parent: this },
      );
      const host = pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
      secretData = pulumi.all([host, password.result]).apply(([h, pw]): Record<string, string> => ({
        [SECRET_KEYS.redisPassword]: pw,
        [SECRET_KEYS.redisUrl]: redisUrl({ password: pw, host: h, port: 6379 }),
      }));
      const persistent = args.persistence !== undefined;
      const claim = args.persistence
        ? new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            {
              metadata: { name: `${names.redis}-data`, namespace: args.namespace, labels: podLabels },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.persistence.storageClassName,
                resources: { requests: { storage: args.persistence.storageSize } },
              },
            },
            { parent: this },
          )
        : undefined;
      new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
          metadata: { name: names.redis, namespace: args.namespace, labels: podLabels },
          spec: {
            replicas: 1,
            // A ReadWriteOnce claim is attached to one pod: the old pod must let go before the new one starts.
            ...(persistent ? { strategy: { type: "Recreate" } } : {}),
            selector: { matchLabels: podLabels },
            template: {
              metadata: { labels: podLabels },
              spec: {
                securityContext: { fsGroup: REDIS_UID }, // the claim's files belong to the redis user
                containers: [
                  {
                    name: "redis",
                    image: REDIS_IMAGE,
                    // The password comes from the Secret through the environment ($(REDIS_PASSWORD) is expanded by
                    // Kubernetes), never as plain text in the spec.
                    command: ["redis-server"],
                    args: redisServerArgs(persistent),
                    ports: [{ name: "redis", containerPort: 6379 }],
                    env: [{ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: names.redisSecret, key: SECRET_KEYS.redisPassword } } }],
                    resources: guaranteedResources("100m", "128Mi"),
                    securityContext: restrictedSecurityContext(REDIS_UID, true),
                    readinessProbe: { tcpSocket: { port: 6379 }, periodSeconds: 5 },
                    volumeMounts: [{ name: "data", mountPath: REDIS_DATA_DIR }],
                  },
                ],
                volumes: [claim ? { name: "data", persistentVolumeClaim: { claimName: claim.metadata.name } } : { name: "data", emptyDir: {} }],
              },
            },
          },
        },
        { parent: this },
      );
    }

    const secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: names.redisSecret, namespace: args.namespace, labels: secretLabels },
        type: "Opaque",
        stringData: pulumi.secret(secretData),
      },
      { parent: this, additionalSecretOutputs: ["stringData", "data"] },
    );
    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
