/** Type tokens of the resources the stack registers (see render/types.ts and the component docs). */
export const ORCHESTRATOR = "camunda-orchestrator:index:CamundaOrchestrator";
export const KNATIVE_SERVICE = "kubernetes:serving.knative.dev/v1:Service";
export const KAFKA_TOPIC = "kafka:index/topic:Topic";
export const POSTGRESQL_ROLE = "postgresql:index/role:Role";
export const REDIS_CACHE = "camunda-orchestrator:cache:RedisCache";
