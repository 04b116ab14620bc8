// Public entry point of the library: `import { CamundaOrchestrator } from "camunda-orchestrator"`.
export { CamundaOrchestrator, CamundaOrchestratorArgs, OrchestratorSecretNames, OrchestratorSettings } from "./orchestrator";
export { Zeebe, ZeebeArgs, SaasConnection } from "./zeebe";
export { SagaDatabase, SagaDatabaseArgs, ExternalPostgres } from "./database";
export { RedisCache, RedisCacheArgs } from "./cache";
export { EventTopics, EventTopicsArgs, ExternalKafka, TopicSettings } from "./topics";
export { DiscoveryRbac, DiscoveryRbacArgs, DISCOVERY_RULES } from "./discovery";
export { WorkerService, WorkerServiceArgs } from "./worker";
export { WorkflowModels, WorkflowModelsArgs } from "./workflows";
export { IstioGateway, IstioGatewayArgs } from "./ingress";
export { Monitoring, MonitoringArgs } from "./monitoring";
export { OrchestratorRepositories, OrchestratorRepositoriesArgs, RepositoryFiles } from "./repositories";
export { ComponentProperties, ComponentPropertiesInput, OrchestratorSpec, SAGA_PATTERNS, validateComponent, validateComponents } from "./properties";
export { CONFIG_NAMESPACE, parseStackSettings, SECRET_SETTING_KEYS, StackSettings } from "./settings";
export { COMPONENT_TYPE, selectComponents } from "./oam";
export { topicNames, TopicNames } from "./naming";
export { ValidationError } from "./validation";
