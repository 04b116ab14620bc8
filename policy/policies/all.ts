import { Policies } from "@pulumi/policy";
import { deadLetterRetention } from "./dead-letter-retention";
import { discoveryRbacLeastPrivilege } from "./discovery-rbac-least-privilege";
import { istioGatewayHttps } from "./istio-gateway-https";
import { istioPublicEntry } from "./istio-public-entry";
import { kafkaTopicDurability } from "./kafka-topic-durability";
import { knativeWorkerClusterLocal } from "./knative-worker-cluster-local";
import { noPlaintextCredentials } from "./no-plaintext-credentials";
import { orchestratorCompleteness } from "./orchestrator-completeness";
import { pinnedImages } from "./pinned-images";
import { postgresqlRoleLeastPrivilege } from "./postgresql-role-least-privilege";
import { redisStreamsDurability } from "./redis-streams-durability";
import { workerAutoscaling } from "./worker-autoscaling";
import { workerContainerHardening } from "./worker-container-hardening";
import { zeebeApiProtected } from "./zeebe-api-protected";

/** Every policy of the pack: served by index.ts to the Pulumi CLI and run by offline.ts on a render. */
export const policies: Policies = [
  noPlaintextCredentials,
  workerContainerHardening,
  pinnedImages,
  discoveryRbacLeastPrivilege,
  istioGatewayHttps,
  knativeWorkerClusterLocal,
  kafkaTopicDurability,
  deadLetterRetention,
  postgresqlRoleLeastPrivilege,
  orchestratorCompleteness,
  redisStreamsDurability,
  workerAutoscaling,
  zeebeApiProtected,
  istioPublicEntry,
];
