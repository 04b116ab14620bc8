// The Zeebe gRPC client, configured with the SDK's own variable names.
import { Camunda8 } from "@camunda8/sdk";
import type { Config } from "./config";

export type ZeebeClient = ReturnType<Camunda8["getZeebeGrpcApiClient"]>;

export function createZeebeClient(config: Config): ZeebeClient {
  const sdkConfig: Record<string, unknown> = {
    ZEEBE_GRPC_ADDRESS: config.ZEEBE_GRPC_ADDRESS,
    CAMUNDA_AUTH_STRATEGY: config.CAMUNDA_AUTH_STRATEGY,
    // The SDK logs in its own format, out of reach of our redaction; our pino logs carry the job
    // outcomes. Errors only, whatever LOG_LEVEL says: its debug lines print job variables.
    CAMUNDA_LOG_LEVEL: "error",
    zeebeGrpcSettings: {
      ZEEBE_CLIENT_LOG_LEVEL: "ERROR",
      ZEEBE_CLIENT_LOG_TYPE: "JSON",
      ZEEBE_GRPC_WORKER_POLL_INTERVAL_MS: config.POLL_INTERVAL_MS,
    },
  };
  if (config.ZEEBE_REST_ADDRESS) sdkConfig.ZEEBE_REST_ADDRESS = config.ZEEBE_REST_ADDRESS;
  if (config.CAMUNDA_AUTH_STRATEGY === "OAUTH") {
    sdkConfig.ZEEBE_CLIENT_ID = config.ZEEBE_CLIENT_ID;
    sdkConfig.ZEEBE_CLIENT_SECRET = config.ZEEBE_CLIENT_SECRET;
    sdkConfig.CAMUNDA_OAUTH_URL = config.CAMUNDA_OAUTH_URL;
    if (config.ZEEBE_TOKEN_AUDIENCE) sdkConfig.ZEEBE_TOKEN_AUDIENCE = config.ZEEBE_TOKEN_AUDIENCE;
  }
  return new Camunda8(sdkConfig as ConstructorParameters<typeof Camunda8>[0]).getZeebeGrpcApiClient();
}
