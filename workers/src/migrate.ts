// Migrates the running instances of one process version to another with Zeebe's process instance
// migration, after checking the mapping against both models and every instance's active elements.
//   npm run migrate -w workers -- --process <id> --from <version> --to <version> --mapping <file>
import { Camunda8 } from "@camunda8/sdk";
import { parseArgs } from "util";
import { checkMapping, elementTypes, MappingInstruction, PlanError, readMapping, unmappedActive } from "./migration/plan";
import { tokenCacheSettings } from "./zeebe";

export const USAGE = `Usage: npm run migrate -w workers -- --process <bpmnProcessId> --from <version> --to <version> --mapping <file> [--dry-run]

Moves every running instance of <bpmnProcessId> version <from> to version <to> (Zeebe process instance
migration). Before anything moves, it checks that every mapped element exists in both versions with the
same type and that every active element of every instance is mapped; otherwise nothing is migrated.

  --process <id>     BPMN process id
  --from <version>   version the instances run on now
  --to <version>     version to move them to (must be deployed)
  --mapping <file>   JSON: {"<source element id>": "<target element id>", ...}
                     or [{"sourceElementId": "...", "targetElementId": "..."}, ...]
  --dry-run          check and list what would be migrated, change nothing
  --help             this text

Connection (the @camunda8/sdk variables): ZEEBE_REST_ADDRESS (Orchestration Cluster REST API, e.g.
http://<release>-zeebe-gateway:8080), CAMUNDA_AUTH_STRATEGY (NONE, OAUTH, BASIC), and for OAUTH
ZEEBE_CLIENT_ID, ZEEBE_CLIENT_SECRET, CAMUNDA_OAUTH_URL (ZEEBE_TOKEN_AUDIENCE optional).

Exit codes: 0 every instance migrated (or none to migrate); 1 some instances failed (each is reported)
or an unexpected error;
2 bad usage or configuration; 3 refused before any change (unknown version, invalid mapping, an active
element without a mapping); 4 the REST API failed while searching.`;

export const EXIT = { ok: 0, someFailed: 1, usage: 2, refused: 3, api: 4 } as const;

/** The part of the SDK's CamundaRestClient the command uses (Camunda 8.8 search and migration endpoints). */
export interface MigrationApi {
  searchProcessDefinitions(req: {
    filter: { processDefinitionId: string; version: number };
    page?: { from: number; limit: number };
  }): Promise<{ items: { processDefinitionKey: string }[] }>;
  getProcessDefinitionXML(processDefinitionKey: string): Promise<string>;
  searchProcessInstances(req: {
    filter: { processDefinitionKey: string; state: "ACTIVE" };
    page: { from: number; limit: number };
  }): Promise<{ items: { processInstanceKey: string }[]; page: { totalItems: number } }>;
  searchElementInstances(req: {
    filter: { processInstanceKey: string; state: "ACTIVE" };
    page: { from: number; limit: number };
  }): Promise<{ items: { elementId: string; type: string }[] }>;
  migrateProcessInstance(req: { processInstanceKey: string; targetProcessDefinitionKey: string; mappingInstructions: MappingInstruction[] }): Promise<unknown>;
}

interface Io {
  out(line: string): void;
  err(line: string): void;
}

class ApiError extends Error {}

const PAGE = 100;

/**
 * The SDK's own variable names, passed through (the command needs no worker configuration); the token cache
 * as in the worker (in memory unless CAMUNDA_TOKEN_CACHE_DIR names a directory).
 */
function restClient(env: NodeJS.ProcessEnv): MigrationApi {
  const config = Object.fromEntries(Object.entries(env).filter(([k, v]) => /^(ZEEBE|CAMUNDA)_/.test(k) && v !== undefined && v !== ""));
  return new Camunda8({ CAMUNDA_AUTH_STRATEGY: "NONE", ...tokenCacheSettings(config.CAMUNDA_TOKEN_CACHE_DIR), ...config } as ConstructorParameters<
    typeof Camunda8
  >[0]).getCamundaRestClient() as unknown as MigrationApi;
}

async function api<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new ApiError(`${what} failed: ${describe(err)}`);
  }
}

/** The REST error's problem detail when there is one, else its message. */
function describe(err: unknown): string {
  const e = err as { message?: string; response?: { body?: unknown } };
  const body = e.response?.body;
  const detail =
    typeof body === "string"
      ? (() => {
          try {
            return JSON.parse(body).detail;
          } catch {
            return undefined;
          }
        })()
      : (body as { detail?: string } | undefined)?.detail;
  return detail ?? e.message ?? String(err);
}

async function definitionKey(client: MigrationApi, processId: string, version: number): Promise<string> {
  const res = await api("process definition search", () =>
    client.searchProcessDefinitions({ filter: { processDefinitionId: processId, version }, page: { from: 0, limit: 1 } }),
  );
  const key = res.items[0]?.processDefinitionKey;
  if (!key) throw new PlanError(`process "${processId}" has no deployed version ${version}`);
  return String(key);
}

async function activeInstances(client: MigrationApi, definition: string): Promise<string[]> {
  const keys: string[] = [];
  for (let from = 0; ; from += PAGE) {
    const res = await api("process instance search", () =>
      client.searchProcessInstances({ filter: { processDefinitionKey: definition, state: "ACTIVE" }, page: { from, limit: PAGE } }),
    );
    keys.push(...res.items.map((i) => String(i.processInstanceKey)));
    if (res.items.length < PAGE || keys.length >= res.page.totalItems) return keys;
  }
}

async function activeElements(client: MigrationApi, processInstanceKey: string): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; ; from += PAGE) {
    const res = await api(`element instance search of ${processInstanceKey}`, () =>
      client.searchElementInstances({ filter: { processInstanceKey, state: "ACTIVE" }, page: { from, limit: PAGE } }),
    );
    ids.push(...res.items.filter((e) => e.type !== "PROCESS").map((e) => e.elementId));
    if (res.items.length < PAGE) return [...new Set(ids)];
  }
}

function parse(argv: string[]): { process: string; from: number; to: number; mapping: string; dryRun: boolean } | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      process: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      mapping: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return "help";
  if (positionals.length) throw new PlanError(`unexpected argument "${positionals[0]}"`);
  const missing = ["process", "from", "to", "mapping"].filter((k) => !values[k as keyof typeof values]);
  if (missing.length) throw new PlanError(`missing ${missing.map((m) => `--${m}`).join(", ")}`);
  const version = (name: "from" | "to") => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1) throw new PlanError(`--${name} must be a version number (1, 2, ...), got "${values[name]}"`);
    return v;
  };
  const plan = { process: values.process!, from: version("from"), to: version("to"), mapping: values.mapping!, dryRun: values["dry-run"]! };
  if (plan.from === plan.to) throw new PlanError("--from and --to name the same version");
  return plan;
}

export async function runMigrate(argv: string[], env: NodeJS.ProcessEnv, io: Io, client?: MigrationApi): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    io.err(`migrate: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args === "help") {
    io.out(USAGE);
    return EXIT.ok;
  }
  let mapping: MappingInstruction[];
  try {
    mapping = readMapping(args.mapping);
  } catch (err) {
    io.err(`migrate: ${(err as Error).message}`);
    return EXIT.usage;
  }
  if (!client && !env.ZEEBE_REST_ADDRESS) {
    io.err("migrate: ZEEBE_REST_ADDRESS is not set: the Orchestration Cluster REST API address, e.g. http://camunda-zeebe-gateway:8080");
    return EXIT.usage;
  }
  const rest = client ?? restClient(env);
  const label = `${args.process} version ${args.from} -> ${args.to}`;
  try {
    const [fromKey, toKey] = [await definitionKey(rest, args.process, args.from), await definitionKey(rest, args.process, args.to)];
    const [source, target] = await Promise.all([
      api("source model download", () => rest.getProcessDefinitionXML(fromKey)).then((xml) => elementTypes(xml, args.process)),
      api("target model download", () => rest.getProcessDefinitionXML(toKey)).then((xml) => elementTypes(xml, args.process)),
    ]);
    const problems = checkMapping(mapping, source, target);
    if (problems.length) throw new PlanError(`the mapping is invalid for ${label}:\n  - ${problems.join("\n  - ")}`);

    const instances = await activeInstances(rest, fromKey);
    const unmapped: string[] = [];
    const active = new Map<string, string[]>();
    for (const key of instances) {
      active.set(key, await activeElements(rest, key));
      const missing = unmappedActive(active.get(key)!, mapping);
      if (missing.length) unmapped.push(`instance ${key}: active ${missing.map((m) => `"${m}"`).join(", ")} not mapped`);
    }
    if (unmapped.length) throw new PlanError(`every active element needs a mapping (${label}); nothing was migrated:\n  - ${unmapped.join("\n  - ")}`);

    if (instances.length === 0) {
      io.out(`no running instances of ${label}: nothing to migrate`);
      return EXIT.ok;
    }
    let failed = 0;
    for (const key of instances) {
      const where = active.get(key)!.join(", ");
      if (args.dryRun) {
        io.out(`would migrate ${key} (active: ${where})`);
        continue;
      }
      try {
        await rest.migrateProcessInstance({ processInstanceKey: key, targetProcessDefinitionKey: toKey, mappingInstructions: mapping });
        io.out(`migrated ${key} (active: ${where})`);
      } catch (err) {
        failed += 1;
        io.out(`failed ${key}: ${describe(err)}`);
      }
    }
    io.out(
      args.dryRun
        ? `dry run: ${instances.length} instances of ${label} would be migrated`
        : `${instances.length - failed} migrated, ${failed} failed (${label})`,
    );
    return failed ? EXIT.someFailed : EXIT.ok;
  } catch (err) {
    if (err instanceof PlanError) {
      io.err(`migrate: refused: ${err.message}`);
      return EXIT.refused;
    }
    if (err instanceof ApiError) {
      io.err(`migrate: ${err.message}`);
      return EXIT.api;
    }
    throw err;
  }
}

if (require.main === module) {
  runMigrate(process.argv.slice(2), process.env, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) })
    .then((code) => (process.exitCode = code))
    .catch((err) => {
      process.stderr.write(`migrate: unexpected error: ${String((err as Error)?.stack ?? err)}\n`);
      process.exitCode = 1;
    });
}
