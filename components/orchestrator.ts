import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RedisCache } from "./cache";
import { SagaDatabase } from "./database";
import { DiscoveryRbac } from "./discovery";
import { IstioGateway } from "./ingress";
import { WORKFLOWS_MOUNT } from "./knative";
import { Monitoring } from "./monitoring";
import { embeddedOperateUrl, saasOperateUrl } from "./operate";
import { labels, objectNames, SECRET_KEYS, TopicNames, topicNames } from "./naming";
import { ComponentProperties, ComponentPropertiesInput, validateComponent } from "./properties";
import { checkSettingsFor, CONFIG_NAMESPACE, GITOPS_AND_REPOSITORY_KEYS, SECRET_SETTING_KEYS, stackSettingsSchema, StackSettings } from "./settings";
import { EventTopics } from "./topics";
import { WorkerService } from "./worker";
import { workerEnvironment } from "./worker-env";
import { WorkflowModels } from "./workflows";
import { ValidationError } from "./validation";
import { Zeebe } from "./zeebe";

type SecretSettingKey = (typeof SECRET_SETTING_KEYS)[number];
type ProgramOnlyKey = "application" | "components" | "namespace" | "createNamespace" | (typeof GITOPS_AND_REPOSITORY_KEYS)[number];

/**
 * Stack-level settings of an orchestrator (see the README's configuration reference); every field is
 * optional and takes the documented default. Credentials may be Outputs and stay secret.
 */
export type OrchestratorSettings = Partial<Omit<StackSettings, ProgramOnlyKey | SecretSettingKey | "kafkaBootstrapServers">> &
  Partial<Record<SecretSettingKey, pulumi.Input<string>>> & {
    /** Kafka bootstrap servers, `host:port[,host:port]`; may come from a platform stack's outputs. */
    kafkaBootstrapServers?: pulumi.Input<string>;
  };

export interface CamundaOrchestratorArgs {
  /** The component's properties, as in an OAM Application; validated again at run time, with defaults applied. */
  properties: ComponentPropertiesInput;
  /** Namespace for every namespaced object (it must exist, or be created by the caller). */
  namespace: pulumi.Input<string>;
  /** Stack-level settings; omitted fields take their defaults. */
  settings?: OrchestratorSettings;
  /** Directory of the BPMN models to ship; default: the worker's bundled templates. */
  workflowsDirectory?: string;
}

/** Secret names an application or operator may need; a part that does not exist is absent. */
export interface OrchestratorSecretNames {
  database: string;
  redis: string;
  zeebeCredentials?: string;
  kafkaCredentials?: string;
}

const DEFAULT_SETTINGS = stackSettingsSchema.parse({});

/**
 * One Camunda 8 orchestrator: Zeebe (embedded or SaaS), the saga database, Redis, topics, discovery
 * RBAC, the worker as a Knative Service with its BPMN models, optionally an Istio Gateway, and monitoring.
 */
export class CamundaOrchestrator extends pulumi.ComponentResource {
  public readonly properties: ComponentProperties;
  public readonly namespace: pulumi.Output<string>;
  /** Zeebe gRPC address for clients (grpc:// in the cluster, grpcs:// for SaaS). */
  public readonly zeebeGatewayAddress: pulumi.Output<string>;
  public readonly zeebeRestAddress: pulumi.Output<string>;
  /** The worker's URL: the Istio host when exposed, else its cluster-local URL. */
  public readonly workerUrl: pulumi.Output<string>;
  public readonly workerServiceName: pulumi.Output<string>;
  public readonly topics: pulumi.Output<TopicNames>;
  public readonly secretNames: pulumi.Output<OrchestratorSecretNames>;
  public readonly workflowsConfigMapName: pulumi.Output<string>;
  /**
   * Operate (process analytics): the SaaS cluster's; embedded, the orchestration cluster's inside the cluster, or
   * its public URL when `operateHost` exposes it.
   */
  public readonly operateUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: CamundaOrchestratorArgs, opts?: pulumi.ComponentResourceOptions) {
    const spec = validateComponent(name, args.properties);
    const settings: ResolvedSettings = { ...DEFAULT_SETTINGS, ...definedOnly(args.settings ?? {}) };
    checkSettingsFor([spec], settings);
    const props = spec.properties;
    if (settings.operateHost && (!props.enableIstioGateway || props.camundaMode !== "embedded")) {
      throw new ValidationError([`component "${name}": stack config ${CONFIG_NAMESPACE}:operateHost exposes an embedded cluster's Operate through the orchestrator's Istio gateway: it needs enableIstioGateway and camundaMode embedded`]);
    }
    super("camunda-orchestrator:index:CamundaOrchestrator", name, {
      name, ...props, eventBus: settings.eventBus, monitoring: settings.monitoring, ...redisDurability(settings),
    }, opts);
    this.properties = props;
    const parent = { parent: this };
    const names = objectNames(name);
    const namespace = args.namespace;
    this.namespace = pulumi.output(namespace);

    const zeebe = new Zeebe(`${name}-zeebe`, {
      component: name,
      namespace,
      mode: props.camundaMode,
      chart: { version: settings.camundaChartVersion, repository: settings.camundaChartRepository, sizing: {
        clusterSize: settings.zeebeClusterSize, partitionCount: settings.zeebePartitionCount, replicationFactor: settings.zeebeReplicationFactor,
      } },
      saas: props.camundaMode === "remote" ? {
        clusterId: settings.saasClusterId!, region: settings.saasRegion!, clientId: settings.saasClientId!, clientSecret: settings.saasClientSecret!,
      } : undefined,
    }, parent);

    const database = new SagaDatabase(`${name}-database`, {
      component: name,
      namespace,
      mode: settings.postgresMode,
      external: settings.postgresMode === "external" ? {
        host: settings.postgresHost!, port: settings.postgresPort, adminUser: settings.postgresAdminUser,
        adminPassword: settings.postgresAdminPassword!, sslMode: settings.postgresSslMode,
      } : undefined,
    }, parent);

    // With Redis Streams, Redis holds the bus's pending triggers: the in-cluster one then persists them.
    const redis = new RedisCache(`${name}-redis`, {
      component: name, namespace, mode: settings.redisMode, url: settings.redisUrl,
      persistence: settings.eventBus === "redis-streams" ? { storageSize: settings.redisStorageSize, storageClassName: settings.redisStorageClassName } : undefined,
    }, parent);

    const kafkaBootstrap = settings.eventBus === "kafka" ? kafkaBootstrapServers(settings, props.realtimePlatform) : undefined;
    // An external cluster speaks TLS unless told otherwise; Strimzi's in-cluster listener is plain by default.
    const kafkaTls = settings.kafkaTls ?? settings.kafkaMode === "external";
    const sasl = settings.kafkaSaslUsername !== undefined && settings.kafkaSaslPassword !== undefined
      ? { mechanism: settings.kafkaSaslMechanism ?? "scram-sha512", username: settings.kafkaSaslUsername, password: settings.kafkaSaslPassword }
      : undefined;
    let kafkaCredentialsSecret: k8s.core.v1.Secret | undefined;
    if (settings.eventBus === "kafka") {
      new EventTopics(`${name}-topics`, {
        component: name,
        prefix: props.topicsPrefix,
        mode: settings.kafkaMode,
        settings: {
          partitions: settings.kafkaPartitions,
          replicationFactor: settings.kafkaReplicationFactor,
          minInsyncReplicas: settings.kafkaMinInsyncReplicas ?? Math.min(2, settings.kafkaReplicationFactor),
          retentionMs: settings.topicRetentionMs,
          deadLetterRetentionMs: settings.deadLetterRetentionMs,
        },
        strimzi: { cluster: settings.kafkaStrimziCluster ?? props.realtimePlatform, namespace: settings.kafkaStrimziNamespace ?? namespace },
        external: { bootstrapServers: kafkaBootstrap!, tls: kafkaTls, sasl },
      }, parent);
      if (sasl) {
        kafkaCredentialsSecret = new k8s.core.v1.Secret(`${name}-kafka-credentials`, {
          metadata: { name: names.kafkaCredentialsSecret, namespace, labels: labels(name, "events") },
          type: "Opaque",
          stringData: pulumi.secret({ [SECRET_KEYS.kafkaSaslUsername]: pulumi.output(sasl.username), [SECRET_KEYS.kafkaSaslPassword]: pulumi.output(sasl.password) }),
        }, { parent: this, additionalSecretOutputs: ["stringData", "data"] });
      }
    }
    this.topics = pulumi.output(topicNames(props.topicsPrefix));

    // OTLP headers usually carry a credential: a Secret of their own, read by secretKeyRef.
    const otlpSecret = settings.otlpEndpoint && settings.otlpHeaders
      ? new k8s.core.v1.Secret(`${name}-otlp`, {
        metadata: { name: names.otlpSecret, namespace, labels: labels(name, "tracing") },
        type: "Opaque",
        stringData: pulumi.secret({ [SECRET_KEYS.otlpHeaders]: pulumi.output(settings.otlpHeaders) }),
      }, { parent: this, additionalSecretOutputs: ["stringData", "data"] })
      : undefined;

    const discovery = new DiscoveryRbac(`${name}-discovery`, { component: name, namespace, watchNamespaces: settings.discoveryNamespaces }, parent);
    const workflows = new WorkflowModels(`${name}-workflows`, { component: name, namespace, directory: args.workflowsDirectory }, parent);

    const worker = new WorkerService(`${name}-worker`, {
      component: name,
      namespace,
      image: settings.workerImage,
      serviceAccountName: discovery.serviceAccountName,
      resources: props.resources,
      workflowsConfigMap: workflows.configMapName,
      autoscaling: { minScale: settings.workerMinScale, maxScale: settings.workerMaxScale, concurrencyTarget: settings.workerConcurrencyTarget },
      traffic: settings.workerTraffic,
      env: workerEnvironment({
        zeebe: {
          grpcAddress: zeebe.grpcAddress,
          restAddress: zeebe.restAddress,
          oauth: zeebe.oauth ? { secretName: zeebe.credentialsSecretName.apply((n) => n!), ...zeebe.oauth } : undefined,
        },
        databaseSecretName: database.secretName,
        redisSecretName: redis.secretName,
        events: {
          enabled: props.enableEventStreaming,
          bus: settings.eventBus,
          kafkaBrokers: kafkaBootstrap,
          kafkaTls,
          kafkaSasl: sasl && kafkaCredentialsSecret ? { mechanism: sasl.mechanism, secretName: kafkaCredentialsSecret.metadata.name } : undefined,
        },
        topicsPrefix: props.topicsPrefix,
        sagaPatterns: props.sagaPatterns,
        discoveryNamespaces: settings.discoveryNamespaces,
        workflowsDir: WORKFLOWS_MOUNT,
        extra: props.environment,
        tracing: settings.otlpEndpoint
          ? {
            endpoint: settings.otlpEndpoint, headersSecretName: otlpSecret?.metadata.name, protocol: settings.otlpProtocol,
            sampleRatio: settings.traceSampleRatio, serviceName: names.worker, namespace,
          }
          : undefined,
      }),
    }, parent);
    this.workerServiceName = worker.serviceName;

    if (props.enableIstioGateway) {
      const gateway = new IstioGateway(`${name}-ingress`, {
        component: name,
        namespace,
        host: props.gatewayHost!,
        tlsCredentialName: settings.istioTlsCredentialName ?? `${name}-tls`,
        workerServiceName: worker.serviceName,
        operate: settings.operateHost
          ? {
            host: settings.operateHost,
            tlsCredentialName: `${name}-operate-tls`,
            service: zeebe.restAddress.apply((rest) => new URL(rest).hostname),
            port: 8080,
          }
          : undefined,
      }, parent);
      this.workerUrl = gateway.url;
      this.operateUrl = settings.operateHost ? gateway.operateUrl : inClusterOperate(props.camundaMode, zeebe.restAddress, settings);
    } else {
      this.workerUrl = worker.url;
      this.operateUrl = inClusterOperate(props.camundaMode, zeebe.restAddress, settings);
    }

    if (settings.monitoring) {
      const [labelKey, labelValue] = settings.grafanaDashboardLabel.split("=");
      new Monitoring(`${name}-monitoring`, {
        component: name,
        namespace,
        workerServiceName: names.worker,
        alertThresholds: settings.alertThresholds,
        dashboard: settings.grafanaDashboard ? { label: { key: labelKey, value: labelValue }, namespace: settings.grafanaDashboardNamespace } : false,
      }, parent);
    }

    this.zeebeGatewayAddress = zeebe.grpcAddress;
    this.zeebeRestAddress = zeebe.restAddress;
    this.workflowsConfigMapName = workflows.configMapName;
    this.secretNames = pulumi.all([database.secretName, redis.secretName, zeebe.credentialsSecretName, kafkaCredentialsSecret?.metadata.name]).apply(
      ([databaseSecret, redisSecret, zeebeSecret, kafkaSecret]) => ({
        database: databaseSecret,
        redis: redisSecret,
        ...(zeebeSecret ? { zeebeCredentials: zeebeSecret } : {}),
        ...(kafkaSecret ? { kafkaCredentials: kafkaSecret } : {}),
      }));
    this.registerOutputs({
      // Policies of a real preview read components' registered outputs: repeat what they check.
      eventBus: settings.eventBus,
      monitoring: settings.monitoring,
      ...redisDurability(settings),
      topicsPrefix: props.topicsPrefix,
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
  if (mode === "remote") return pulumi.output(saasOperateUrl(settings.saasClusterId!, settings.saasRegion!));
  return restAddress.apply((rest) => embeddedOperateUrl(rest));
}

/** Bootstrap servers the worker uses: the setting, else the Strimzi cluster's bootstrap Service. */
function kafkaBootstrapServers(settings: ResolvedSettings, platform: string): pulumi.Input<string> {
  if (settings.kafkaBootstrapServers !== undefined) return settings.kafkaBootstrapServers;
  const cluster = settings.kafkaStrimziCluster ?? platform;
  const namespace = settings.kafkaStrimziNamespace;
  return namespace ? `${cluster}-kafka-bootstrap.${namespace}.svc:9092` : `${cluster}-kafka-bootstrap:9092`;
}

/** What the redis-streams-durability policy reads: where Redis runs, and whether an external one keeps an AOF. */
function redisDurability(settings: ResolvedSettings): { redisMode: string; redisAppendOnly: boolean } {
  return { redisMode: settings.redisMode, redisAppendOnly: settings.redisAppendOnly };
}

/** Defaults merged with the caller's settings. */
type ResolvedSettings = Omit<StackSettings, SecretSettingKey | "kafkaBootstrapServers"> & OrchestratorSettings;

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
