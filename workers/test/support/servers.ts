// Real PostgreSQL and Redis servers for tests: free loopback ports, throwaway data directories.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";

// Debian installs each major under /usr/lib/postgresql/<major>/bin; prefer the newest.
function debianPgBinDirs(): string[] {
  try {
    return fs
      .readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

export interface PostgresServer {
  url: string;
  port: number;
  /** pid of the running postmaster (undefined while paused). */
  pid(): number | undefined;
  /** Stops the server but keeps its data: simulates an outage. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same port with the same data. */
  resume(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

export interface RedisServer {
  url: string;
  port: number;
  /** The directory Redis keeps its data in (--dir). */
  dir: string;
  /** Ends the server but keeps its directory (an outage); SIGTERM (default) is a clean shutdown, SIGKILL a crash. */
  pause(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a paused server again on the same port with the same directory and flags. */
  resume(): Promise<void>;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

/** What the tests run Redis with unless told otherwise: no persistence at all. */
export const REDIS_NO_PERSISTENCE = ["--save", "", "--appendonly", "no"];

export interface RedisOptions {
  /** Extra redis-server flags (persistence); default REDIS_NO_PERSISTENCE. Port, bind and dir are set here. */
  flags?: string[];
  /** With a password, the server requires AUTH (requirepass) and `url` carries it. */
  password?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function findPgBin(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  const dirs = fromEnv ? [fromEnv, ...debianPgBinDirs()] : debianPgBinDirs();
  const dir = dirs.find((d) => fs.existsSync(path.join(d, "postgres")) && fs.existsSync(path.join(d, "initdb")));
  if (!dir) {
    throw new Error(
      `PostgreSQL server binaries not found (looked in ${dirs.join(", ") || "/usr/lib/postgresql/<major>/bin"}): install the Debian package "postgresql" (apt-get install -y postgresql)`,
    );
  }
  return dir;
}

const isRoot = (): boolean => process.getuid?.() === 0;

// PostgreSQL refuses to run as root: as root, spawn it directly as the "postgres" system user
// (spawn's uid/gid rather than runuser, so signals reach postgres itself).
function pgUserIds(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  const gid = id("-g");
  if (!Number.isInteger(uid) || uid === 0) throw new Error('running as root needs a "postgres" system user (Debian package "postgresql" creates it)');
  return { uid, gid };
}

function ownByPgUser(p: string): void {
  if (!isRoot()) return;
  const r = spawnSync("chown", ["-R", "postgres:postgres", p]);
  if (r.status !== 0) throw new Error(`chown postgres ${p} failed: ${r.stderr}`);
}

async function waitFor(what: string, probe: () => Promise<boolean>, child: ChildProcess, logs: () => string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}: ${logs()}`);
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms: ${logs()}`);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * A data directory made by initdb once per process and copied for each server: initdb takes seconds, a copy
 * a fraction of that (test files start a server each; mutation testing starts them once per mutant).
 * It lives in the run's temporary folder (test/support/test-run.ts), which is removed when the run ends.
 */
let pgTemplate: string | undefined;

function initializedDataDir(bin: string, dataDir: string, env: NodeJS.ProcessEnv, ids: { uid?: number; gid?: number }): void {
  if (!pgTemplate || !fs.existsSync(pgTemplate)) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "pg-template-"));
    fs.chmodSync(root, 0o755);
    ownByPgUser(root);
    const template = path.join(root, "data");
    const init = spawnSync(path.join(bin, "initdb"), ["-D", template, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"], {
      encoding: "utf8",
      env,
      cwd: root,
      ...ids,
    });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    pgTemplate = template;
  }
  // cp -a keeps the owner (postgres, when running as root) and the 0700 mode PostgreSQL insists on.
  const copy = spawnSync("cp", ["-a", pgTemplate, dataDir], { encoding: "utf8" });
  if (copy.status !== 0) throw new Error(`copying the initialized PostgreSQL data directory failed: ${copy.stderr}`);
}

/** Makes the server read-only, as a failover to a standby does (SQLSTATE 25006 on writes), or writable again. */
export async function setReadOnly(serverUrl: string, on: boolean): Promise<void> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query("set default_transaction_read_only = off"); // this session may still write
    await c.query(on ? "alter system set default_transaction_read_only = on" : "alter system reset default_transaction_read_only");
    await c.query("select pg_reload_conf()");
  } finally {
    await c.end();
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPgBin();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pg-test-"));
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, "data");
  const sockDir = path.join(root, "sock");
  fs.mkdirSync(sockDir);
  ownByPgUser(root);
  const ids = pgUserIds();
  const env = { ...process.env, HOME: root, LC_ALL: "C" };
  initializedDataDir(bin, dataDir, env, ids);

  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  let log = "";

  const probe = async (): Promise<boolean> => {
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query("select 1");
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  const start = async (): Promise<void> => {
    const args = [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-k",
      sockDir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=200",
    ];
    log = "";
    const proc = spawn(path.join(bin, "postgres"), args, { stdio: ["ignore", "pipe", "pipe"], env, cwd: root, ...ids });
    proc.stdout?.on("data", (d) => (log += d));
    proc.stderr?.on("data", (d) => (log += d));
    child = proc;
    await waitFor("postgres", probe, proc, () => log);
  };

  // SIGINT = fast shutdown: terminates client connections, like a crashed/restarted server would.
  const halt = async (): Promise<void> => {
    if (child) await stopChild(child, "SIGINT");
    child = undefined;
  };

  await start();
  return {
    url,
    port,
    pid: () => child?.pid,
    pause: halt,
    resume: start,
    stop: async () => {
      await halt();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function redisPing(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let buf = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write(password ? `AUTH ${password}\r\nPING\r\n` : "PING\r\n"));
    sock.on("data", (d) => {
      buf += d;
      const replies = buf.split("\r\n").slice(0, -1);
      if (replies.length >= (password ? 2 : 1)) done(replies[replies.length - 1] === "+PONG");
    });
  });
}

/** Where redis-server is looked for after PATH: Debian's package, a source install, Homebrew. */
export const REDIS_SERVER_DIRS = ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"];

/** The redis-server executable: the first on PATH, else in {@link REDIS_SERVER_DIRS}. */
export function findRedisServer(pathVariable = process.env.PATH ?? "", knownDirs = REDIS_SERVER_DIRS): string {
  const dirs = [...pathVariable.split(path.delimiter).filter((d) => d !== ""), ...knownDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, "redis-server");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    `redis-server not found on PATH or in ${knownDirs.join(", ") || "(no other folders)"}: install the Debian package "redis-server" (apt-get install -y redis-server), or put redis-server on PATH`,
  );
}

/** With a password, the server requires AUTH (requirepass) and `url` carries it. */
export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-test-"));
  const port = await freePort();
  const flags = opts.flags ?? REDIS_NO_PERSISTENCE;
  let child: ChildProcess | undefined;
  let log = "";
  const auth = opts.password ? ["--requirepass", opts.password] : [];
  const start = async (): Promise<void> => {
    log = "";
    // Flags given later win, so port, bind and dir always point at this throwaway server.
    const args = [...flags, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no", "--protected-mode", "no", ...auth];
    const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout?.on("data", (d) => (log += d));
    proc.stderr?.on("data", (d) => (log += d));
    child = proc;
    await waitFor(
      "redis-server",
      () => redisPing(port, opts.password),
      proc,
      () => log,
    );
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    if (child) await stopChild(child, signal);
    child = undefined;
  };
  await start();
  return {
    url: opts.password ? `redis://:${encodeURIComponent(opts.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    dir,
    pause: (signal = "SIGTERM") => halt(signal),
    resume: start,
    stop: async () => {
      await halt("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KafkaMockServer {
  /** Bootstrap servers, `host:port[,host:port]`. */
  brokers: string[];
  /** Takes every broker down (connections refused) while keeping the topics' data: an outage. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

const KAFKA_MOCK_SOURCE = path.join(__dirname, "kafka-mock.c");
let kafkaMockBinary: Buffer | undefined;

/** Compiles kafka-mock.c once per test process (in a temp dir, removed at once; never committed). */
function buildKafkaMock(): Buffer {
  if (kafkaMockBinary) return kafkaMockBinary;
  const missing = [!fs.existsSync("/usr/include/librdkafka/rdkafka_mock.h") && "librdkafka-dev", spawnSync("gcc", ["--version"]).status !== 0 && "gcc"].filter(
    Boolean,
  );
  if (missing.length > 0) {
    throw new Error(`the mock Kafka cluster needs ${missing.join(" and ")}: apt-get install -y ${missing.join(" ")} (.ci/run installs them)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-mock-build-"));
  try {
    const out = path.join(dir, "kafka-mock");
    const cc = spawnSync("gcc", ["-O1", "-o", out, KAFKA_MOCK_SOURCE, "-lrdkafka"], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(`compiling ${KAFKA_MOCK_SOURCE} failed: ${cc.stderr || cc.stdout}`);
    kafkaMockBinary = fs.readFileSync(out);
    return kafkaMockBinary;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Confluent's mock Kafka cluster from librdkafka, on loopback ports it picks itself. */
export async function startKafkaMock(brokerCount = 1): Promise<KafkaMockServer> {
  // The executable is written for this start and removed once it runs (the process keeps it open).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kafka-mock-"));
  const bin = path.join(dir, "kafka-mock");
  fs.writeFileSync(bin, buildKafkaMock(), { mode: 0o755 });
  const child = spawn(bin, [String(brokerCount)], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d) => (err += d));
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  child.stdout?.on("data", (d) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const nextLine = async (what: string): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (lines.length === 0) {
      if (child.exitCode !== null) throw new Error(`kafka mock exited with code ${child.exitCode}: ${err}`);
      if (Date.now() > deadline) throw new Error(`kafka mock: no ${what} within 10 s: ${err}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return lines.shift()!;
  };
  const command = async (cmd: string): Promise<void> => {
    child.stdin?.write(`${cmd}\n`);
    const reply = await nextLine(`reply to ${cmd}`);
    if (reply !== `ok ${cmd}`) throw new Error(`kafka mock answered "${reply}" to ${cmd}`);
  };
  let brokers: string[];
  try {
    brokers = (await nextLine("bootstrap servers"))
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (brokers.length === 0) throw new Error(`kafka mock printed no bootstrap servers: ${err}`);
  return {
    brokers,
    down: () => command("down"),
    up: () => command("up"),
    stop: async () => {
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
      child.stdin?.end(); // end of stdin stops the cluster
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
