import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RedisCache } from "./cache";
import { SagaDatabase } from "./database";
import { DiscoveryRbac } from "./discovery";
import { IstioGateway } from "./ingress";
import { WORKFLOWS_MOUNT } from "./knative";
import { Monitoring } from "./monitoring";
import { embeddedOperateUrl, OperateChartValues, operateOffReason, operatePath, saasOperateUrl } from "./operate";
import { labels, objectNames, SECRET_KEYS, TopicNames, topicNames } from "./naming";
import { ComponentProperties, ComponentPropertiesInput, validateComponent } from "./properties";
import { checkSettingsFor, CONFIG_NAMESPACE, GITOPS_AND_REPOSITORY_KEYS, SECRET_SETTING_KEYS, stackSettingsSchema, StackSettings } from "./settings";
import { EventTopics } from "./topics";
import { InvalidResourceError, ValidationError } from "./validation";
import { WorkerService } from "./worker";
import { workerEnvironment } from "./worker-env";
import { WorkflowModels } from "./workflows";
import { EmbeddedAuth, Zeebe } from "./zeebe";

type SecretSettingKey = (typeof SECRET_SETTING_KEYS)[number];
/** Keys only the stack program reads (it creates the namespace, the GitOps tree and the repositories). */
type ProgramOnlyKey =
  "application" | "components" | "allowNoOrchestrators" | "namespace" | "createNamespace" | "namespaceLabels" | (typeof GITOPS_AND_REPOSITORY_KEYS)[number];
/** Keys that may come from another stack's outputs (`StackReference`), so they take a `pulumi.Input`. */
type InputKey = "kafkaBootstrapServers" | "postgresHost" | "postgresPort" | "saasClusterId" | "saasRegion";

/**
 * Stack-level settings of an orchestrator, as in the README's configuration reference: every field is optional
 * and takes the documented default. Credentials (`saasClientSecret`, `postgresAdminPassword`,
 * `kafkaSaslPassword`, `redisUrl`, `camundaOidcClientSecret`) may be secret Outputs and stay secret.
 */
export type OrchestratorSettings = Partial<Omit<StackSettings, ProgramOnlyKey | SecretSettingKey | InputKey>> &
  Partial<Record<SecretSettingKey, pulumi.Input<string>>> & {
    /** Kafka bootstrap servers, `host:port[,host:port]`; may come from a platform stack's outputs. */
    kafkaBootstrapServers?: pulumi.Input<string>;
    /** The existing PostgreSQL server (`postgresMode: external`). */
    postgresHost?: pulumi.Input<string>;
    /** Its port; default 5432. */
    postgresPort?: pulumi.Input<number>;
    /** The Camunda 8 SaaS cluster id (`camundaMode: remote`). */
    saasClusterId?: pulumi.Input<string>;
    /** The Camunda 8 SaaS region id, e.g. `bru-2` (`camundaMode: remote`). */
    saasRegion?: pulumi.Input<string>;
  };

export interface CamundaOrchestratorArgs {
  /** The component's properties, as in an OAM Application; validated at run time, with defaults applied. */
  properties: ComponentPropertiesInput;
  /** Namespace for every namespaced object (it must exist, or be created by the caller). */
  namespace: pulumi.Input<string>;
  /** Stack-level settings; omitted fields take their defaults. */
  settings?: OrchestratorSettings;
  /** Directory of the BPMN models to ship (top-level `.bpmn` files); default: the worker's bundled templates. */
  workflowsDirectory?: string;
}

/** Secret names an application or operator may need; a part that does not exist is absent. */
export interface OrchestratorSecretNames {
  /** Secret with DATABASE_URL. */
  database: string;
  /** Secret with REDIS_URL. */
  redis: string;
  /** Secret with the worker's Zeebe credentials, unless the API is unprotected. */
  zeebeCredentials?: string;
  /** Secret with the Kafka SASL credentials, when SASL is used. */
  kafkaCredentials?: string;
}

const DEFAULT_SETTINGS = stackSettingsSchema.parse({});

/**
 * One Camunda 8 orchestrator: Zeebe (embedded or SaaS), the saga database, Redis, topics, discovery RBAC, the
 * worker as a Knative Service with its BPMN models, optionally an Istio Gateway, and monitoring.
 *
 * Resource options reach every child: a `kafka` or `postgresql` provider given in `providers` is used instead
 * of the one the orchestrator would create from the settings.
 */
export class CamundaOrchestrator extends pulumi.ComponentResource {
  /** The validated properties, defaults applied. */
  public readonly properties: ComponentProperties;
  /** Namespace of every namespaced object. */
  public readonly namespace: pulumi.Output<string>;
  /** Zeebe gRPC address for clients (grpc:// in the cluster, grpcs:// for SaaS). */
  public readonly zeebeGatewayAddress: pulumi.Output<string>;
  /** Zeebe REST address. */
  public readonly zeebeRestAddress: pulumi.Output<string>;
  /** The worker's URL: the Istio host when exposed, else its cluster-local URL. */
  public readonly workerUrl: pulumi.Output<string>;
  /** Name of the worker's Knative Service. */
  public readonly workerServiceName: pulumi.Output<string>;
  /** Topic names; they exist only when event streaming on Kafka is on. */
  public readonly topics: pulumi.Output<TopicNames>;
  /** Names of the Secrets applications and operators may need. */
  public readonly secretNames: pulumi.Output<OrchestratorSecretNames>;
  /** Name of the ConfigMap with the shipped BPMN models. */
  public readonly workflowsConfigMapName: pulumi.Output<string>;
  /**
   * Operate (process analytics): the SaaS cluster's; embedded, the orchestration cluster's inside the cluster, or
   * its public URL when `operateHost` exposes it.
   */
  public readonly operateUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: CamundaOrchestratorArgs, opts?: pulumi.ComponentResourceOptions) {
    const settings: ResolvedSettings = { ...DEFAULT_SETTINGS, ...definedOnly(args.settings ?? {}) };
    let props: ComponentProperties | undefined;
    let invalid: ValidationError | undefined;
    try {
      const spec = validateComponent(name, args.properties);
      props = spec.properties;
      checkSettingsFor([spec], settings);
      if (settings.operateHost && (!props.enableIstioGateway || props.camundaMode !== "embedded")) {
        throw new ValidationError([
          `component "${name}": stack config ${CONFIG_NAMESPACE}:operateHost exposes an embedded cluster's Operate through the orchestrator's Istio gateway: it needs enableIstioGateway and camundaMode embedded`,
        ]);
      }
      const operateOff = settings.operateHost ? operateOffReason(chartValues(settings)) : undefined;
      if (operateOff) {
        throw new ValidationError([
          `component "${name}": stack config ${CONFIG_NAMESPACE}:operateHost exposes Operate, but ${operateOff} (${CONFIG_NAMESPACE}:camundaHelmValues); drop operateHost or turn Operate on`,
        ]);
      }
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      invalid = error;
    }
    const topicsPrefix = props?.topicsPrefix ?? name;
    // Recorded in state and read by the policies of an offline check: never secrets.
    super(
      "camunda-orchestrator:index:CamundaOrchestrator",
      name,
      props ? { name, ...props, topicsPrefix, eventBus: settings.eventBus, monitoring: settings.monitoring, ...redisDurability(settings) } : {},
      opts,
    );
    if (invalid || !props) throw new InvalidResourceError(invalid?.problems ?? [`component "${name}": invalid`], this);
    this.properties = props;
    const parent = { parent: this };
    const names = objectNames(name);
    const namespace = args.namespace;
    this.namespace = pulumi.output(namespace);

    const zeebe = new Zeebe(
      `${name}-zeebe`,
      {
        component: name,
        namespace,
        mode: props.camundaMode,
        chart: {
          version: settings.camundaChartVersion,
          repository: settings.camundaChartRepository,
          values: settings.camundaHelmValues,
          sizing: { clusterSize: settings.zeebeClusterSize, partitionCount: settings.zeebePartitionCount, replicationFactor: settings.zeebeReplicationFactor },
        },
        auth: embeddedAuth(settings),
        webAppsHost: settings.operateHost,
        saas:
          props.camundaMode === "remote"
            ? { clusterId: settings.saasClusterId!, region: settings.saasRegion!, clientId: settings.saasClientId!, clientSecret: settings.saasClientSecret! }
            : undefined,
      },
      parent,
    );

    const database = new SagaDatabase(
      `${name}-database`,
      {
        component: name,
        namespace,
        mode: settings.postgresMode,
        external:
          settings.postgresMode === "external"
            ? {
                host: settings.postgresHost!,
                port: settings.postgresPort,
                adminUser: settings.postgresAdminUser,
                adminPassword: settings.postgresAdminPassword!,
                sslMode: settings.postgresSslMode,
              }
            : undefined,
      },
      parent,
    );

    // With Redis Streams, Redis holds the bus's pending triggers: the in-cluster one then persists them.
    const redis = new RedisCache(
      `${name}-redis`,
      {
        component: name,
        namespace,
        mode: settings.redisMode,
        url: settings.redisUrl,
        persistence:
          settings.eventBus === "redis-streams" ? { storageSize: settings.redisStorageSize, storageClassName: settings.redisStorageClassName } : undefined,
      },
      parent,
    );

    // Topics and Kafka credentials exist only when the worker uses them: event streaming on Kafka.
    const kafka = props.enableEventStreaming && settings.eventBus === "kafka" ? kafkaConnection(settings, props.realtimePlatform) : undefined;
    let topics: EventTopics | undefined;
    let kafkaCredentialsSecret: k8s.core.v1.Secret | undefined;
    if (kafka) {
      topics = new EventTopics(
        `${name}-topics`,
        {
          component: name,
          prefix: topicsPrefix,
          mode: settings.kafkaMode,
          settings: {
            partitions: settings.kafkaPartitions,
            replicationFactor: settings.kafkaReplicationFactor,
            minInsyncReplicas: settings.kafkaMinInsyncReplicas ?? Math.min(2, settings.kafkaReplicationFactor),
            retentionMs: settings.topicRetentionMs,
            deadLetterRetentionMs: settings.deadLetterRetentionMs,
          },
          strimzi: { cluster: kafka.strimziCluster, namespace: settings.kafkaStrimziNamespace!, apiVersion: settings.kafkaStrimziApiVersion },
          external: { bootstrapServers: kafka.bootstrapServers, tls: kafka.tls, sasl: kafka.sasl },
        },
        parent,
      );
      if (kafka.sasl) {
        kafkaCredentialsSecret = new k8s.core.v1.Secret(
          `${name}-kafka-credentials`,
          {
            metadata: { name: names.kafkaCredentialsSecret, namespace, labels: labels(name, "events") },
            type: "Opaque",
            stringData: pulumi.secret({ [SECRET_KEYS.kafkaSaslUsername]: kafka.sasl.username, [SECRET_KEYS.kafkaSaslPassword]: kafka.sasl.password }),
          },
          { parent: this, additionalSecretOutputs: ["stringData", "data"] },
        );
      }
    }
    this.topics = pulumi.output(topicNames(topicsPrefix));

    // OTLP headers usually carry a credential: a Secret of their own, read by secretKeyRef.
    const otlpSecret =
      settings.otlpEndpoint && settings.otlpHeaders
        ? new k8s.core.v1.Secret(
            `${name}-otlp`,
            {
              metadata: { name: names.otlpSecret, namespace, labels: labels(name, "tracing") },
              type: "Opaque",
              stringData: pulumi.secret({ [SECRET_KEYS.otlpHeaders]: pulumi.output(settings.otlpHeaders) }),
            },
            { parent: this, additionalSecretOutputs: ["stringData", "data"] },
          )
        : undefined;

    const discovery = new DiscoveryRbac(`${name}-discovery`, { component: name, namespace, watchNamespaces: settings.discoveryNamespaces }, parent);
    const workflows = new WorkflowModels(
      `${name}-workflows`,
      {
        component: name,
        namespace,
        directory: args.workflowsDirectory,
        servedBy: { sagaPatterns: props.sagaPatterns, eventStreaming: props.enableEventStreaming },
      },
      parent,
    );

    const worker = new WorkerService(
      `${name}-worker`,
      {
        component: name,
        namespace,
        image: settings.workerImage,
        serviceAccountName: discovery.serviceAccountName,
        resources: props.resources,
        workflowsConfigMap: workflows.configMapName,
        autoscaling: { minScale: settings.workerMinScale, maxScale: settings.workerMaxScale, cpuTargetPercent: settings.workerCpuTarget },
        env: workerEnvironment({
          zeebe: { grpcAddress: zeebe.grpcAddress, restAddress: zeebe.restAddress, auth: zeebe.workerAuth },
          databaseSecretName: database.secretName,
          redisSecretName: redis.secretName,
          events: {
            enabled: props.enableEventStreaming,
            bus: settings.eventBus,
            kafkaBrokers: kafka?.bootstrapServers,
            kafkaTls: kafka?.tls,
            kafkaSasl:
              kafka?.sasl && kafkaCredentialsSecret ? { mechanism: kafka.sasl.mechanism, secretName: kafkaCredentialsSecret.metadata.name } : undefined,
          },
          topicsPrefix,
          sagaPatterns: props.sagaPatterns,
          discoveryNamespaces: settings.discoveryNamespaces,
          workflowsDir: WORKFLOWS_MOUNT,
          extra: props.environment,
          tracing: settings.otlpEndpoint
            ? {
                endpoint: settings.otlpEndpoint,
                headersSecretName: otlpSecret?.metadata.name,
                protocol: settings.otlpProtocol,
                sampleRatio: settings.traceSampleRatio,
                serviceName: names.worker,
                namespace,
              }
            : undefined,
        }),
      },
      // The worker starts only once what it needs exists: otherwise the first revision outlives Knative's
      // progress deadline (600 s) while the chart installs (up to 15 minutes), and crash-loops meanwhile.
      {
        parent: this,
        dependsOn: [zeebe, database, redis, discovery, ...(topics ? [topics] : []), ...(kafkaCredentialsSecret ? [kafkaCredentialsSecret] : [])],
      },
    );
    this.workerServiceName = worker.serviceName;

    if (props.enableIstioGateway) {
      const gateway = new IstioGateway(
        `${name}-ingress`,
        {
          component: name,
          namespace,
          host: props.gatewayHost!,
          tlsCredentialName: settings.istioTlsCredentialName ?? `${name}-tls`,
          workerServiceName: worker.serviceName,
          jwt: { issuer: settings.gatewayJwtIssuer!, jwksUri: settings.gatewayJwksUri!, audiences: settings.gatewayJwtAudiences },
          ingressNamespace: settings.istioIngressNamespace,
          operate: settings.operateHost
            ? {
                host: settings.operateHost,
                tlsCredentialName: `${name}-operate-tls`,
                // The orchestration cluster's HTTP address (REST API and web apps), as the Zeebe component computed it.
                service: zeebe.restAddress.apply((rest) => new URL(rest).hostname),
                port: zeebe.restAddress.apply((rest) => Number(new URL(rest).port || 80)),
                path: operatePath(chartValues(settings)),
              }
            : undefined,
        },
        parent,
      );
      this.workerUrl = gateway.url;
      this.operateUrl = settings.operateHost ? gateway.operateUrl : inClusterOperate(props.camundaMode, zeebe.restAddress, settings);
    } else {
      this.workerUrl = worker.url;
      this.operateUrl = inClusterOperate(props.camundaMode, zeebe.restAddress, settings);
    }

    if (settings.monitoring) {
      const [labelKey, labelValue] = settings.grafanaDashboardLabel.split("=");
      new Monitoring(
        `${name}-monitoring`,
        {
          component: name,
          namespace,
          workerServiceName: names.worker,
          labels: settings.monitoringLabels,
          alertThresholds: settings.alertThresholds,
          dashboard: settings.grafanaDashboard ? { label: { key: labelKey, value: labelValue }, namespace: settings.grafanaDashboardNamespace } : false,
        },
        parent,
      );
    }

    this.zeebeGatewayAddress = zeebe.grpcAddress;
    this.zeebeRestAddress = zeebe.restAddress;
    this.workflowsConfigMapName = workflows.configMapName;
    this.secretNames = pulumi
      .all([database.secretName, redis.secretName, zeebe.credentialsSecretName, kafkaCredentialsSecret?.metadata.name])
      .apply(([databaseSecret, redisSecret, zeebeSecret, kafkaSecret]) => ({
        database: databaseSecret,
        redis: redisSecret,
        ...(zeebeSecret ? { zeebeCredentials: zeebeSecret } : {}),
        ...(kafkaSecret ? { kafkaCredentials: kafkaSecret } : {}),
      }));
    this.registerOutputs({
      // Policies of a real preview read components' registered outputs: repeat what they check.
      eventBus: settings.eventBus,
      monitoring: settings.monitoring,
      enableEventStreaming: props.enableEventStreaming,
      topicsPrefix,
      ...redisDurability(settings),
      namespace: this.namespace,
      zeebeGatewayAddress: this.zeebeGatewayAddress,
      zeebeRestAddress: this.zeebeRestAddress,
      workerUrl: this.workerUrl,
      workerServiceName: this.workerServiceName,
      topics: this.topics,
      secretNames: this.secretNames,
      workflowsConfigMapName: this.workflowsConfigMapName,
      operateUrl: this.operateUrl,
    });
  }
}

/** Operate of the orchestrator's cluster without an Istio exposure: the SaaS URL, or the in-cluster one. */
function inClusterOperate(mode: "embedded" | "remote", restAddress: pulumi.Output<string>, settings: ResolvedSettings): pulumi.Output<string | undefined> {
  if (mode === "remote") return pulumi.all([settings.saasClusterId!, settings.saasRegion!]).apply(([clusterId, region]) => saasOperateUrl(clusterId, region));
  // A stack's chart values may move the web apps (orchestration.contextPath) or turn Operate off.
  return restAddress.apply((rest) => embeddedOperateUrl(rest, chartValues(settings)));
}

/** The stack's own camunda-platform chart values, as far as they decide where Operate is. */
const chartValues = (settings: ResolvedSettings): OperateChartValues => (settings.camundaHelmValues ?? {}) as OperateChartValues;

/** How the worker and the topics reach Kafka: bootstrap servers, TLS, SASL, and the Strimzi cluster's name. */
function kafkaConnection(settings: ResolvedSettings, platform: string) {
  const strimziCluster = settings.kafkaStrimziCluster ?? platform;
  // The setting wins; else Strimzi's bootstrap Service `<cluster>-kafka-bootstrap` in the cluster's namespace.
  const bootstrapServers: pulumi.Input<string> =
    settings.kafkaBootstrapServers ?? `${strimziCluster}-kafka-bootstrap.${settings.kafkaStrimziNamespace}.svc:9092`;
  // An external cluster speaks TLS unless told otherwise; Strimzi's in-cluster plain listener does not.
  const tls = settings.kafkaTls ?? settings.kafkaMode === "external";
  const sasl =
    settings.kafkaSaslUsername !== undefined && settings.kafkaSaslPassword !== undefined
      ? { mechanism: settings.kafkaSaslMechanism ?? "scram-sha512", username: settings.kafkaSaslUsername, password: settings.kafkaSaslPassword }
      : undefined;
  return { strimziCluster, bootstrapServers, tls, sasl };
}

/** How the embedded cluster protects its API, from the settings (checkSettingsFor made sure OIDC is complete). */
function embeddedAuth(settings: ResolvedSettings): EmbeddedAuth {
  if (settings.camundaAuth !== "oidc") return { method: settings.camundaAuth };
  return {
    method: "oidc",
    issuerUrl: settings.camundaOidcIssuerUrl!,
    tokenUrl: settings.camundaOidcTokenUrl!,
    clientId: settings.camundaOidcClientId!,
    clientSecret: settings.camundaOidcClientSecret!,
    audience: settings.camundaOidcAudience,
  };
}

/** What the redis-streams-durability policy reads: where Redis runs, and whether an external one keeps an AOF. */
function redisDurability(settings: ResolvedSettings): { redisMode: string; redisAppendOnly: boolean } {
  return { redisMode: settings.redisMode, redisAppendOnly: settings.redisAppendOnly };
}

/** Defaults merged with the caller's settings. */
type ResolvedSettings = Omit<StackSettings, SecretSettingKey | InputKey> & OrchestratorSettings & { postgresPort: pulumi.Input<number> };

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
