import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';

/**
 * The deployment as docker compose runs it, on one machine without a container engine: each
 * service of docker-compose.yml as a process of its own, with the file's command, environment
 * and health check, and only what must differ on one machine changed (host names, ports).
 */

export interface ComposeHealthcheck {
  test: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: ComposeHealthcheck;
}

/** Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `$NAME`, `$$`. */
const VARIABLE = /\$(?:\$|\{(\w+)(?:(:?[-?])([^}]*))?\}|(\w+))/g;

/** Interpolates one value as compose does, with `env` as the operator's environment. */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>) {
  return text.replace(
    VARIABLE,
    (match, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare)!;
      const value = env[name];
      const missing = op?.startsWith(':') ? !value : value === undefined;
      if (op === ':-' || op === '-') return missing ? arg! : value!;
      if (op === ':?' || op === '?') {
        if (missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return value!;
      }
      return value ?? '';
    },
  );
}

function interpolateAll(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)]));
  }
  return value;
}

/** The services of a compose file, YAML merge keys resolved and every value interpolated. */
export function parseCompose(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, ComposeService> {
  const doc = parse(text, { merge: true }) as { services: Record<string, ComposeService> };
  const services = interpolateAll(doc.services, env) as Record<string, ComposeService>;
  for (const [name, service] of Object.entries(services)) {
    const environment = service.environment ?? {};
    if (Array.isArray(environment)) throw new Error(`${name}: environment as a list is not read`);
    service.environment = Object.fromEntries(
      Object.entries(environment).map(([k, v]) => [k, v === null ? '' : String(v)]),
    );
    if (Array.isArray(service.depends_on)) {
      throw new Error(`${name}: depends_on as a list (service_started) is not read`);
    }
  }
  return services;
}

export interface DockerfileStage {
  from: string;
  instructions: Array<{ op: string; args: string }>;
}

/** A Dockerfile's stages, each with its instructions (continuation lines joined). */
export function parseDockerfile(text: string): DockerfileStage[] {
  const stages: DockerfileStage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines.map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) throw new Error(`Dockerfile: cannot read "${line}"`);
    if (op.toUpperCase() === 'FROM') stages.push({ from: args!, instructions: [] });
    else stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args: args! });
  }
  return stages;
}

/** The `ENV` of the image's last stage: what every container starts with. */
export function imageEnv(stages: DockerfileStage[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stages.at(-1)!.instructions) {
    if (op !== 'ENV') continue;
    for (const pair of args.match(/\w+=("[^"]*"|\S*)/g) ?? []) {
      const [k, v] = pair.split(/=(.*)/s) as [string, string];
      env[k] = v.replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** `2s`, `500ms`, `1m30s` in milliseconds. */
export function duration(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(n) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return ms;
}

/** The services in the order compose starts them: each after what it depends on. */
export function startOrder(services: Record<string, ComposeService>, names: string[]): string[] {
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(' → ')}`);
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) {
      if (names.includes(dep)) visit(dep, [...path, name]);
    }
    order.push(name);
  };
  for (const name of names) visit(name, []);
  return order;
}

/** One service as a process: what compose would run in its container, moved onto this machine. */
export interface ServicePlan {
  name: string;
  /** The command, `node` being this Node. */
  argv: string[];
  env: Record<string, string>;
  /** The health check's command, on the port the service got here. */
  healthcheck: string[];
  intervalMs: number;
  timeoutMs: number;
  /** Each `PORT` / `*_PORT` variable and the free port it got. */
  ports: Record<string, number>;
  /** Other services its environment names (by their host name in a URL). */
  refersTo: string[];
}

/**
 * An URL with an explicit port, and what precedes the host: `scheme://user:pass@host:port/path`.
 * Host names of compose services are DNS labels.
 */
const URL_WITH_PORT =
  /\b([a-z][a-z0-9+.-]*:\/\/(?:[^\s,/@]*@)?)([a-z0-9][a-z0-9_-]*):(\d+)([^\s,]*)/gi;

/**
 * The processes for the services built from this repository (`build:`), in compose's start
 * order. `externals` stand in for the services that run a foreign image (PostgreSQL): every URL
 * whose host is one of them becomes the given URL, credentials and database included. Every
 * `PORT` or `*_PORT` gets a free port, URLs naming a service's host and port point at
 * 127.0.0.1 and that free port, HOST is 127.0.0.1. Everything else is the file's.
 */
export async function planDeployment(
  services: Record<string, ComposeService>,
  options: {
    externals: Record<string, string>;
    imageEnv: Record<string, string>;
    /** Variables of this machine every process needs (PATH). */
    baseEnv?: Record<string, string>;
  },
): Promise<ServicePlan[]> {
  const own = Object.keys(services).filter((name) => services[name]!.build !== undefined);
  for (const name of Object.keys(services)) {
    if (!own.includes(name) && options.externals[name] === undefined) {
      throw new Error(`no stand-in for the service ${name} (image ${services[name]!.image})`);
    }
  }
  /** `service:port` in the file → the free port here. */
  const moved = new Map<string, number>();
  const ports = new Map<string, Record<string, number>>();
  for (const name of own) {
    const assigned: Record<string, number> = {};
    for (const [key, value] of Object.entries(services[name]!.environment!)) {
      if (key !== 'PORT' && !key.endsWith('_PORT')) continue;
      assigned[key] = await freePort();
      moved.set(`${name}:${value}`, assigned[key]);
    }
    ports.set(name, assigned);
  }

  return startOrder(services, own).map((name) => {
    const service = services[name]!;
    const refersTo = new Set<string>();
    const rewrite = (value: string) =>
      value.replace(
        URL_WITH_PORT,
        (url, prefix: string, host: string, port: string, rest: string) => {
          const external = options.externals[host];
          if (external !== undefined) {
            refersTo.add(host);
            return external;
          }
          if (!own.includes(host)) return url;
          const here = moved.get(`${host}:${port}`);
          if (here === undefined) {
            throw new Error(`${name}: ${url} names port ${port}, on which ${host} does not listen`);
          }
          refersTo.add(host);
          return `${prefix}127.0.0.1:${here}${rest}`;
        },
      );
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(service.environment!)) env[key] = rewrite(value);
    for (const [key, port] of Object.entries(ports.get(name)!)) env[key] = String(port);
    if (env.HOST !== undefined) env.HOST = '127.0.0.1';
    for (const value of Object.values(env)) {
      for (const [, , host] of value.matchAll(URL_WITH_PORT)) {
        if (host! in services) throw new Error(`${name}: "${value}" still names the host ${host}`);
      }
    }

    const command = service.command;
    if (command?.[0] !== 'node') throw new Error(`${name}: command ${command} is not node …`);
    const check = service.healthcheck?.test;
    if (check?.[0] !== 'CMD' || check[1] !== 'node') {
      throw new Error(`${name}: healthcheck ${check} is not ['CMD', 'node', …]`);
    }
    let named = false;
    const healthcheck = [process.execPath, ...check.slice(2)].map((arg) =>
      arg.replace(/\b(127\.0\.0\.1|localhost):(\d+)\b/g, (m, _host, port: string) => {
        const here = moved.get(`${name}:${port}`);
        if (here === undefined) return m;
        named = true;
        return `127.0.0.1:${here}`;
      }),
    );
    if (!named) throw new Error(`${name}: the healthcheck checks no port the service listens on`);

    return {
      name,
      argv: [process.execPath, ...command.slice(1)],
      // A container's environment: the image's ENV, then the service's; nothing of this shell.
      env: { ...options.baseEnv, ...options.imageEnv, ...env },
      healthcheck,
      intervalMs: duration(service.healthcheck!.interval, 30_000),
      timeoutMs: duration(service.healthcheck!.timeout, 30_000),
      ports: ports.get(name)!,
      refersTo: [...refersTo],
    };
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every process started here, killed if the test process ends with them still running. */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A service's process, its JSON log lines and anything else it wrote. */
export class ServiceProcess {
  readonly lines: LogLine[] = [];
  /** stderr and stdout lines that are not JSON. */
  readonly other: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(
    readonly plan: ServicePlan,
    readonly child: ChildProcess,
  ) {
    started.add(child);
    // 'close' comes after stdout and stderr are drained: every line has been read.
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        started.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.other.push(line);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.other.push(line));
  }

  static start(plan: ServicePlan, cwd: string): ServiceProcess {
    const child = spawn(plan.argv[0]!, plan.argv.slice(1), {
      cwd,
      env: plan.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(plan, child);
  }

  get name() {
    return this.plan.name;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last lines it wrote, for a failure's message. */
  tail(n = 15): string {
    const lines = [...this.lines.map((l) => JSON.stringify(l)), ...this.other].slice(-n);
    return `${this.name}'s last output:\n  ${lines.join('\n  ')}`;
  }

  /**
   * Compose's health check: its command every `interval` (here at most every 250 ms, so that
   * the test does not idle), each run cut off after `timeout`, until one exits 0.
   */
  async healthy(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    const every = Math.min(this.plan.intervalMs, 250);
    for (;;) {
      if (!this.running) {
        throw new Error(`${this.name} exited (${JSON.stringify(this.exit)})\n${this.tail()}`);
      }
      const ok = await new Promise<boolean>((resolve) => {
        const [file, ...args] = this.plan.healthcheck;
        execFile(file!, args, { env: this.plan.env, timeout: this.plan.timeoutMs }, (err) =>
          resolve(!err),
        );
      });
      if (ok) return;
      if (Date.now() > deadline) {
        throw new Error(`${this.name} not healthy within ${deadlineMs} ms\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, every));
    }
  }

  /** `docker compose stop`: SIGTERM, and the exit, or undefined if none came within `graceMs`. */
  async stop(graceMs: number): Promise<Exit | undefined> {
    if (this.running) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), graceMs)));
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL if still running; resolves when it is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * One of this repository's services started from dist/ as a process of its own, the way the
 * process tests kill, freeze or signal it: development mode, a quiet log, bound to 127.0.0.1 on
 * `port` (in `portVariable`), healthy when `healthPath` answers 2xx. `env` adds to that and
 * wins. Wait for `healthy()` yourself: a process that never gets there is still yours to stop.
 */
export function startServiceProcess(options: {
  name: string;
  /** The script and its arguments, e.g. `['dist/gateway/main.js']`. */
  script: string[];
  port: number;
  portVariable: string;
  env: Record<string, string>;
  /** @default '/ready' */
  healthPath?: string;
}): ServiceProcess {
  const { name, script, port, portVariable, healthPath = '/ready' } = options;
  return ServiceProcess.start(
    {
      name,
      argv: [process.execPath, ...script],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        [portVariable]: String(port),
        ...options.env,
      },
      healthcheck: [
        process.execPath,
        '-e',
        `fetch('http://127.0.0.1:${port}${healthPath}').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
      ],
      intervalMs: 250,
      timeoutMs: 2_000,
      ports: { [portVariable]: port },
      refersTo: [],
    },
    process.cwd(),
  );
}
