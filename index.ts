// The stack program: one CamundaOrchestrator per `camunda-orchestrator` component of the stack's
// OAM Application (config `application`) or inline list (config `components`).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CamundaOrchestrator, CONFIG_NAMESPACE, OrchestratorSettings, SECRET_SETTING_KEYS } from "./components";
import { GITOPS_AND_REPOSITORY_KEYS } from "./components/settings";
import { resolveStack } from "./components/stack-config";
import { recordRegistrations } from "./scaffold/stack-snapshot";
import { githubRepositories } from "./scaffold/github-program";

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

const { settings, specs, warnings } = resolveStack(raw, secretKeys, __dirname);
for (const warning of warnings) pulumi.log.warn(warning);

// With repositories on GitHub, the GitOps repository is built from the objects this program registers.
const recorder = settings.repositoryProvider === "github" ? recordRegistrations() : undefined;

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
const BOOTSTRAP_OUTPUT = "kafkaBootstrapServers";
const BOOTSTRAP_SERVERS = /^[^\s,]+:\d+(,[^\s,]+:\d+)*$/;
const platformServers = new Map<string, pulumi.Output<string>>();
function platformBootstrapServers(platform: string): pulumi.Output<string> | undefined {
  if (settings.eventBus !== "kafka" || !settings.platformStackTemplate) return undefined;
  if (!platformServers.has(platform)) {
    const stackName = settings.platformStackTemplate.replace(/\{platform\}/g, platform).replace(/\{stack\}/g, pulumi.getStack());
    const reference = new pulumi.StackReference(`${platform}-platform`, { name: stackName });
    // A missing or malformed output stops the program with a message on the reference, not a stack trace.
    const servers = reference.getOutput(BOOTSTRAP_OUTPUT).apply((value: unknown) => {
      const fix = `export it from that stack as "host:port[,host:port...]", or set ${CONFIG_NAMESPACE}:kafkaBootstrapServers in this one`;
      if (value === undefined || value === null) {
        throw new pulumi.ResourceError(
          `stack "${stackName}" (realtimePlatform "${platform}", from ${CONFIG_NAMESPACE}:platformStackTemplate) has no output "${BOOTSTRAP_OUTPUT}": ${fix}`,
          reference,
        );
      }
      if (typeof value !== "string" || !BOOTSTRAP_SERVERS.test(value)) {
        throw new pulumi.ResourceError(
          `stack "${stackName}": output "${BOOTSTRAP_OUTPUT}" must be "host:port[,host:port...]", it is ${typeof value === "string" ? "malformed" : `a ${typeof value}`}: ${fix}`,
          reference,
        );
      }
      return value;
    });
    platformServers.set(platform, servers);
  }
  return platformServers.get(platform);
}

const programOnly = new Set<string>([
  "application",
  "components",
  "allowNoOrchestrators",
  "namespace",
  "createNamespace",
  "namespaceLabels",
  ...GITOPS_AND_REPOSITORY_KEYS,
]);
const orchestratorSettings = Object.fromEntries(Object.entries(settings).filter(([key]) => !programOnly.has(key))) as OrchestratorSettings;
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

const repositories = recorder ? githubRepositories({ settings, specs, snapshot: recorder.snapshot() }) : {};

/** Per orchestrator with `language` and `repository` (repositoryProvider github): its repositories' URLs. */
export const scaffoldedRepositories = repositories;

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
        operateUrl: o.operateUrl,
      }),
    ),
  )
  .apply((entries) => Object.fromEntries(entries.map((entry, i) => [specs[i].name, entry])));
