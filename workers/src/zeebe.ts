// The Zeebe gRPC client, configured with the SDK's own variable names.
import { Camunda8 } from "@camunda8/sdk";
import type { Config } from "./config";

export type ZeebeClient = ReturnType<Camunda8["getZeebeGrpcApiClient"]>;

/**
 * The SDK's OAuth token cache. The SDK writes a test file to its cache directory, $HOME/.camunda by default, as
 * soon as it is constructed, and exits when it cannot (src/oauth/lib/OAuthProvider.ts, 8.8.13): on the image's
 * read-only root filesystem, tokens stay in memory unless a writable directory is given.
 */
export function tokenCacheSettings(cacheDir: string | undefined): { CAMUNDA_TOKEN_CACHE_DIR: string } | { CAMUNDA_TOKEN_DISK_CACHE_DISABLE: true } {
  return cacheDir ? { CAMUNDA_TOKEN_CACHE_DIR: cacheDir } : { CAMUNDA_TOKEN_DISK_CACHE_DISABLE: true };
}

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
    Object.assign(sdkConfig, tokenCacheSettings(config.CAMUNDA_TOKEN_CACHE_DIR));
  }
  if (config.CAMUNDA_AUTH_STRATEGY === "BASIC") {
    // BasicAuthProvider (src/oauth/lib/BasicAuthProvider.ts): an `authorization: Basic` header on every call.
    sdkConfig.CAMUNDA_BASIC_AUTH_USERNAME = config.CAMUNDA_BASIC_AUTH_USERNAME;
    sdkConfig.CAMUNDA_BASIC_AUTH_PASSWORD = config.CAMUNDA_BASIC_AUTH_PASSWORD;
  }
  return new Camunda8(sdkConfig as ConstructorParameters<typeof Camunda8>[0]).getZeebeGrpcApiClient();
}

/**
 * Ends a closing job worker's pending ActivateJobs long poll. The SDK's close() cancels it only when no job is
 * running (src/zeebe/lib/ZBWorkerBase.ts `close`, 8.8.13); otherwise the poll stays open on a channel that
 * closes without cancelling its calls (grpc-js), and the gateway may still hand it jobs that nobody works on
 * until their timeout. A worker that stops activating must not take jobs any more.
 */
export function cancelPendingActivation(worker: unknown): void {
  const stream = (worker as { jobStream?: { cancel?: () => void } }).jobStream;
  stream?.cancel?.();
}
