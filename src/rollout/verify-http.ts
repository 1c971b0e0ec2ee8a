import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '../domain/duration.js';
import { fill, type HttpCheck, type VerifyVars } from './verify-config.js';

/** What a check says about itself: passed or not, and why, in a line. */
export interface CheckOutcome {
  ok: boolean;
  message: string;
}

export interface HttpCheckOptions {
  vars: VerifyVars;
  /** appends a line to the run's log */
  line: (text: string) => void;
  signal?: AbortSignal | undefined;
  fetch?: typeof fetch;
}

/** How much of a wrong answer's body goes into the log: enough to see an error page's gist. */
const BODY_SNIPPET = 512;

/**
 * GET the check's URL until it answers the expected status, at most `1 + retries` times with
 * `interval` between attempts. Redirects are not followed: a 302 to a login page is not a healthy
 * service, and the check says which status it wants.
 */
export async function runHttpCheck(c: HttpCheck, o: HttpCheckOptions): Promise<CheckOutcome> {
  const url = fill(c.url, o.vars, true);
  const attempts = c.retries + 1;
  const timeoutMs = parseDuration(c.timeout);
  const doFetch = o.fetch ?? fetch;
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    const t0 = performance.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
    let answer: { status: number; statusText: string; location: string | null; body: string } | undefined;
    try {
      const res = await doFetch(url, { method: 'GET', redirect: 'manual', signal, headers: { 'user-agent': 'gantry-verify' } });
      // the body of the expected answer is not needed; of a wrong one, its start goes into the log
      const body = res.status === c.status ? '' : await bodySnippet(res);
      if (res.status === c.status) await res.body?.cancel().catch(() => undefined);
      answer = { status: res.status, statusText: res.statusText, location: res.headers.get('location'), body };
    } catch (err) {
      if (o.signal?.aborted) return { ok: false, message: 'cancelled' };
      last = timeout.aborted ? `no answer within ${c.timeout}` : fetchError(err);
    }
    const ms = Math.round(performance.now() - t0);
    if (answer) {
      last = `got ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}, expected ${c.status}`;
      if (answer.location) last += ` (redirect to ${answer.location}, not followed)`;
    }
    o.line(`attempt ${i}/${attempts}: ${answer?.status === c.status ? `${answer.status} as expected` : last} (${ms} ms)`);
    if (answer?.status === c.status) return { ok: true, message: `answered ${c.status}` };
    if (answer?.body) o.line(indent(answer.body));
    if (i < attempts) {
      o.line(`waiting ${c.interval} before the next attempt`);
      try {
        await sleep(parseDuration(c.interval), undefined, o.signal ? { signal: o.signal } : undefined);
      } catch {
        return { ok: false, message: 'cancelled' };
      }
    }
  }
  return { ok: false, message: `${last} after ${attempts} attempt${attempts === 1 ? '' : 's'}` };
}

/** The URL as the log shows it: a password in it is never written down. */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Why a request got no answer, in the words an operator searches for (ECONNREFUSED, ENOTFOUND, …). */
function fetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (cause?.code === 'ENOTFOUND') return 'host not found (ENOTFOUND)';
  if (cause?.code) return `${cause.message ?? 'request failed'} (${cause.code})`;
  return err instanceof Error ? (cause?.message ?? err.message) : String(err);
}

async function bodySnippet(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < BODY_SNIPPET) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a body cut short still shows what came
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, BODY_SNIPPET).toString('utf8');
  // control characters from a hostile or binary body never reach a terminal reading the log
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?').trim();
  return size > BODY_SNIPPET ? `${clean}…` : clean;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  | ${l}`)
    .join('\n');
}
