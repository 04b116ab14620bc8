import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE } from "../components/settings";
import { ValidationError } from "../components/validation";

/** Config for one mock run: full keys (`namespace:key`) to strings, and which keys are secrets. */
export interface RunConfig {
  project: string;
  values: Record<string, string>;
  secretKeys: string[];
  /** Keys the stack file holds encrypted (`secure:`): the render cannot decrypt them. */
  encryptedKeys: string[];
}

/** A key without a namespace belongs to this project, as with `pulumi config set`. */
export function qualifyKey(key: string): string {
  return key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`;
}

/** Config values reach programs as strings; structured values as JSON, as the Pulumi CLI passes them. */
function configString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ValidationError([`${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (error as Error).message}`]);
  }
}

/** Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` and applies the overrides (secrets stay marked). */
export function loadRunConfig(projectDir: string, stack: string, overrides: { config?: Record<string, string>; secrets?: Record<string, string> }): RunConfig {
  const project = (readYaml(path.join(projectDir, "Pulumi.yaml")) as { name?: string } | null)?.name;
  if (!project) throw new ValidationError([`${path.join(projectDir, "Pulumi.yaml")}: has no project name`]);
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    const stacks = fs.readdirSync(projectDir).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
    throw new ValidationError([`stack "${stack}": no stack file ${stackFile}; stacks here: ${stacks.join(", ") || "none"}`]);
  }
  const entries = (readYaml(stackFile) as { config?: Record<string, unknown> } | null)?.config ?? {};
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const encryptedKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(entries)) {
    const key = qualifyKey(rawKey);
    if (value !== null && typeof value === "object" && "secure" in value) encryptedKeys.push(key);
    else values[key] = configString(value);
  }
  for (const [key, value] of Object.entries(overrides.config ?? {})) values[qualifyKey(key)] = value;
  for (const [key, value] of Object.entries(overrides.secrets ?? {})) {
    values[qualifyKey(key)] = value;
    secretKeys.add(qualifyKey(key));
  }
  return { project, values, secretKeys: [...secretKeys], encryptedKeys: encryptedKeys.filter((key) => !secretKeys.has(key)) };
}
