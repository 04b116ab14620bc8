import pino, { Logger } from "pino";

/** Structured JSON logs on stdout (what the cluster's log pipeline expects). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "camunda-orchestrator-worker" }, timestamp: pino.stdTimeFunctions.isoTime });
}
