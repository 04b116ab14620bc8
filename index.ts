// The stack program: one CamundaOrchestrator per `camunda-orchestrator` component of the stack's
// OAM Application (config `application`) or inline list (config `components`).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CamundaOrchestrator, CONFIG_NAMESPACE, OrchestratorSettings, SECRET_SETTING_KEYS } from "./components";
import { resolveStack } from "./components/stack-config";

// Not in the SDK's typings, but how the SDK itself tells secret config apart (@pulumi/pulumi is pinned).
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

const prefix = `${CONFIG_NAMESPACE}:`;
const raw: Record<string, string> = {};
const secretKeys = new Set<string>();
for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
  if (!key.startsWith(prefix)) continue;
  const short = key.slice(prefix.length);
  raw[short] = value;
  if (isConfigSecret(key)) secretKeys.add(short);
}

const { settings, specs, skipped, source } = resolveStack(raw, secretKeys, __dirname);
for (const component of skipped) {
  pulumi.log.warn(`component "${component.name}" in ${source} has type "${component.type}", not "camunda-orchestrator": skipped`);
}

// Credentials become secret Outputs here and stay secret through every component.
const secretSettings: OrchestratorSettings = {};
for (const key of SECRET_SETTING_KEYS) {
  const value = settings[key];
  if (value !== undefined) secretSettings[key] = pulumi.secret(value);
}

// namespaceLabels: e.g. istio-injection or pod-security.kubernetes.io/enforce; ours win on a clash.
const namespace = settings.createNamespace
  ? new k8s.core.v1.Namespace("namespace", {
      metadata: { name: settings.namespace, labels: { ...settings.namespaceLabels, "app.kubernetes.io/part-of": "camunda-orchestrator" } },
    }).metadata.name
  : pulumi.output(settings.namespace);

// A realtime platform's Kafka connection may come from that platform's own stack; stack config wins.
const platformStacks = new Map<string, pulumi.StackReference>();
function platformBootstrapServers(platform: string): pulumi.Output<string> | undefined {
  if (settings.eventBus !== "kafka" || !settings.platformStackTemplate) return undefined;
  if (!platformStacks.has(platform)) {
    const stackName = settings.platformStackTemplate.replace(/\{platform\}/g, platform).replace(/\{stack\}/g, pulumi.getStack());
    platformStacks.set(platform, new pulumi.StackReference(`${platform}-platform`, { name: stackName }));
  }
  return platformStacks.get(platform)!.requireOutput("kafkaBootstrapServers") as pulumi.Output<string>;
}

const {
  application: _application,
  components: _components,
  namespace: _namespace,
  createNamespace: _create,
  namespaceLabels: _labels,
  ...orchestratorSettings
} = settings;
const created = specs.map(
  (spec) =>
    new CamundaOrchestrator(spec.name, {
      properties: spec.properties,
      namespace,
      settings: {
        ...orchestratorSettings,
        ...secretSettings,
        kafkaBootstrapServers: settings.kafkaBootstrapServers ?? platformBootstrapServers(spec.properties.realtimePlatform),
      },
    }),
);

/** The namespace every orchestrator lives in. */
export const orchestratorNamespace = namespace;

/** Per orchestrator, what applications consume: addresses, topic names and names of Secrets (never their values). */
export const orchestrators = pulumi
  .all(
    created.map((o) =>
      pulumi.output({
        zeebeGatewayAddress: o.zeebeGatewayAddress,
        zeebeRestAddress: o.zeebeRestAddress,
        workerUrl: o.workerUrl,
        workerServiceName: o.workerServiceName,
        namespace: o.namespace,
        topics: o.topics,
        secretNames: o.secretNames,
        workflowsConfigMap: o.workflowsConfigMapName,
      }),
    ),
  )
  .apply((entries) => Object.fromEntries(entries.map((entry, i) => [specs[i].name, entry])));
