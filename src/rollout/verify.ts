import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { parseDuration } from '../domain/duration.js';
import { LogTail } from '../images/log-tail.js';
import { runOneShot } from '../images/one-shot.js';
import { ensureImage } from '../images/push.js';
import { fill, type ContainerCheck, type VerifyCheck, type VerifyVars } from './verify-config.js';
import { printableUrl, runHttpCheck, type CheckOutcome } from './verify-http.js';

/**
 * Runs an environment's `verify` checks after a rollout: in order, stopping at the first failure,
 * writing a log meant for whoever reads it at 3 a.m.: each check's header, its timing, its output
 * and its result. The checks come only from the central config (verify-config.ts).
 */

export interface VerifyStep {
  name: string;
  ok: boolean;
  ms: number;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** the first failing check and why, or a line saying all passed */
  message: string;
  log: string;
  steps: VerifyStep[];
}

export interface VerifyRunOptions {
  vars: VerifyVars;
  /** the Docker client, made only when a container check runs */
  docker: () => Docker;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  now?: () => Date;
}

/** A container check's output kept in the log: its last 64 KiB. */
export const CONTAINER_OUTPUT_BYTES = 64 * 1024;
const CONTAINER_OUTPUT_LINES = 10_000;
/** Containers gantry starts for checks carry this label (and the check's name), to find leftovers with `docker ps -a --filter label=…`. */
export const VERIFY_CONTAINER_LABEL = 'dev.gantry.role=verify';

export async function runChecks(checks: readonly VerifyCheck[], o: VerifyRunOptions): Promise<VerifyResult> {
  const now = o.now ?? (() => new Date());
  const lines: string[] = [];
  const line = (text: string) => void lines.push(text);
  const v = o.vars;
  const commit = v.GANTRY_COMMIT ? ` (deploy commit ${v.GANTRY_COMMIT})` : '';
  line(`gantry verification of ${v.GANTRY_APP} ${v.GANTRY_VERSION} in ${v.GANTRY_ENV}${commit}`);
  const url = v.GANTRY_URL ? `, GANTRY_URL=${printableUrl(v.GANTRY_URL)}` : '';
  line(`started ${now().toISOString()}, ${plural(checks.length, 'check')}${url}`);
  const steps: VerifyStep[] = [];
  for (const [i, c] of checks.entries()) {
    line('');
    line(`── [${i + 1}/${checks.length}] ${c.name}: ${describe(c, v)} ──`);
    line(`started ${now().toISOString()}`);
    const t0 = performance.now();
    let outcome: CheckOutcome;
    try {
      outcome = c.http
        ? await runHttpCheck(c.http, { vars: v, line, signal: o.signal, ...(o.fetch ? { fetch: o.fetch } : {}) })
        : await runContainer(c.name, c.container!, o, line);
    } catch (err) {
      // the engine unreachable, an image it refuses: the check failed, and the log says why
      outcome = { ok: false, message: `could not run: ${err instanceof Error ? err.message : String(err)}` };
    }
    const ms = Math.round(performance.now() - t0);
    steps.push({ name: c.name, ok: outcome.ok, ms, message: outcome.message });
    line(`${outcome.ok ? '✓ passed' : '✗ FAILED'} in ${seconds(ms)}: ${outcome.message}`);
    if (!outcome.ok) {
      const skipped = checks.slice(i + 1).map((s) => s.name);
      const message = `check "${c.name}" failed: ${outcome.message}`;
      line('');
      line(`result: FAILED, ${message}`);
      if (skipped.length) line(`not run (an earlier check failed): ${skipped.join(', ')}`);
      return { ok: false, message, log: lines.join('\n') + '\n', steps };
    }
  }
  const message = `${plural(checks.length, 'check')} passed`;
  line('');
  line(`result: passed, ${message}`);
  return { ok: true, message, log: lines.join('\n') + '\n', steps };
}

async function runContainer(name: string, c: ContainerCheck, o: VerifyRunOptions, line: (t: string) => void): Promise<CheckOutcome> {
  const docker = o.docker();
  const signal = o.signal ?? new AbortController().signal;
  const pullLog = new LogTail(50, 8 * 1024);
  const pulled = await ensureImage(docker, c.image, { signal, tail: pullLog });
  if (!pulled.ok) {
    line(`pulling ${c.image}:`);
    line(pullLog.toString());
    return { ok: false, message: `could not pull ${c.image}: ${pulled.message}` };
  }
  line(pulled.pulled ? `image ${c.image} pulled` : `image ${c.image} present`);
  const env = { ...Object.fromEntries(Object.entries(c.env ?? {}).map(([k, val]) => [k, fill(val, o.vars)])), ...o.vars };
  line(`command: ${c.command ? c.command.map(shellQuote).join(' ') : "(the image's own)"}`);
  // names only: a value may be a token meant for the checked service
  line(`environment: ${Object.keys(env).join(' ')}`);
  if (c.network) line(`network: ${c.network}`);
  const r = await runOneShot(
    docker,
    {
      Image: c.image,
      ...(c.command ? { Cmd: c.command } : {}),
      Env: Object.entries(env).map(([k, val]) => `${k}=${val}`),
      Labels: { 'dev.gantry.role': 'verify', 'dev.gantry.check': `${o.vars.GANTRY_ENV}/${o.vars.GANTRY_APP}/${name}` },
      ...(c.network ? { HostConfig: { NetworkMode: c.network } } : {}),
    },
    { timeoutMs: parseDuration(c.timeout), signal, tailLines: CONTAINER_OUTPUT_LINES, tailBytes: CONTAINER_OUTPUT_BYTES },
  );
  line(`--- output (stdout and stderr, last ${CONTAINER_OUTPUT_BYTES / 1024} KiB at most) ---`);
  if (r.output) line(r.output);
  line('--- end of output ---');
  if (r.timedOut) return { ok: false, message: `timed out after ${c.timeout}: the container was killed` };
  if (r.cancelled) return { ok: false, message: 'cancelled: the container was killed' };
  return r.exitCode === 0 ? { ok: true, message: 'exit code 0' } : { ok: false, message: `exit code ${r.exitCode}` };
}

function describe(c: VerifyCheck, vars: VerifyVars): string {
  if (c.http) return `GET ${printableUrl(fill(c.http.url, vars, true))}, expecting ${c.http.status}`;
  return `container ${c.container!.image}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
