import path from 'node:path';
import type { ProbotOctokit } from 'probot';
import type { BuildFailure, BuildProgress, BuildSuccess, SmokeTestResult } from '../images/types.js';
import type { BuildTrigger } from '../images/build-queue.js';

/**
 * Check runs: small pure functions that render what GitHub shows, and the few Octokit calls that
 * send it. GitHub caps `summary` and `text` at 65535 characters each; logs keep their tail.
 */
export type Octokit = InstanceType<typeof ProbotOctokit>;

export const MAX_OUTPUT = 65_535;
const MAX_ANNOTATION = 64 * 1024 - 1;

export type Conclusion = 'success' | 'failure' | 'cancelled' | 'timed_out' | 'neutral' | 'action_required';

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title?: string;
  message: string;
}

export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

/** What a check run is about (a subset of the build job). */
export interface CheckSubject {
  image: string;
  repository: string;
  tags: string[];
  version: string;
  dockerfile: string;
  context: string;
}

export function checkName(image: string): string {
  return `gantry / build (${image})`;
}

/** `web|pr|42`, `web|tag|v1.2.3`: lets a "Re-run" rebuild the same thing. */
export function externalId(image: string, trigger: BuildTrigger): string {
  return `${image}|${trigger.kind}|${trigger.kind === 'pr' ? trigger.number : trigger.name}`;
}

export function parseExternalId(id: string | null | undefined): { image: string; kind: 'pr' | 'branch' | 'tag'; name: string } | undefined {
  const m = /^([^|]+)\|(pr|branch|tag)\|(.+)$/.exec(id ?? '');
  return m ? { image: m[1]!, kind: m[2] as 'pr' | 'branch' | 'tag', name: m[3]! } : undefined;
}

/** The last `max` characters, with a first line saying how much was cut. */
export function trimTail(text: string, max = MAX_OUTPUT): string {
  if (text.length <= max) return text;
  const note = (n: number) => `… (${n} earlier characters trimmed)\n`;
  const keep = max - note(text.length).length;
  return note(text.length - keep) + text.slice(text.length - keep);
}

/** A fenced block whose whole text stays within `max`, keeping the end of `log`. */
export function logBlock(heading: string, log: string, max = MAX_OUTPUT): string {
  const fence = log.includes('```') ? '~~~~' : '```';
  const head = `${heading}\n${fence}text\n`;
  const tail = `\n${fence}`;
  return head + trimTail(log.replace(/\s+$/, ''), max - head.length - tail.length) + tail;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The Dockerfile's path in the repository, for annotations. */
export function dockerfilePath(s: Pick<CheckSubject, 'dockerfile' | 'context'>): string {
  return path.posix.normalize(path.posix.join(s.context, s.dockerfile)).replace(/^\.\//, '');
}

export function queuedOutput(s: CheckSubject): CheckOutput {
  return { title: 'queued', summary: `Waiting for a build slot. Will push \`${s.repository}\` as ${s.tags.map((t) => `\`${t}\``).join(', ')}.` };
}

export function progressOutput(s: CheckSubject, p: BuildProgress): CheckOutput {
  const step = p.step !== undefined ? `step ${p.step}${p.steps ? `/${p.steps}` : ''}` : undefined;
  const what = { context: 'preparing the build context', build: 'building', push: 'pushing', test: 'running the smoke test' }[p.phase];
  const title = [step, p.instruction ? p.instruction.slice(0, 120) : what].filter(Boolean).join(': ');
  return { title, summary: `${what} \`${s.repository}\` (${s.version})` };
}

export function successOutput(s: CheckSubject, r: BuildSuccess, smoke?: SmokeTestResult): { conclusion: Conclusion; output: CheckOutput } {
  const smokeOk = !smoke || (smoke.exitCode === 0 && !smoke.timedOut);
  const rows: [string, string][] = [
    ['image', `\`${r.repository}:${r.tags[0] ?? s.tags[0]}\``],
    ['digest', `\`${r.digest}\``],
    ['tags', r.tags.map((t) => `\`${t}\``).join(', ')],
    ['size', formatBytes(r.sizeBytes)],
    ['build time', formatMs(r.durationMs)],
  ];
  if (smoke) rows.push(['smoke test', smokeLine(smoke)]);
  const summary = [
    smokeOk ? '### Image built' : '### Image built, smoke test failed',
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `Pull it by digest: \`docker pull ${r.repository}@${r.digest}\``,
  ].join('\n');
  // both logs share the 65535 characters of `text` (and the blank line between them)
  const half = Math.floor(MAX_OUTPUT / 2);
  const parts = [logBlock('### Build log (tail)', r.logTail, smoke ? half : MAX_OUTPUT)];
  if (smoke) parts.unshift(logBlock('### Smoke test output (tail)', smoke.outputTail, MAX_OUTPUT - half - 2));
  return {
    conclusion: smokeOk ? 'success' : 'failure',
    output: {
      title: smokeOk ? `${r.repository}@${r.digest.slice(0, 19)}…` : `smoke test failed: ${smoke!.timedOut ? 'timed out' : `exit ${smoke!.exitCode}`}`,
      summary,
      text: parts.join('\n\n'),
    },
  };
}

function smokeLine(t: SmokeTestResult): string {
  if (t.timedOut) return `**timed out** after ${formatMs(t.durationMs)}`;
  return t.exitCode === 0 ? `passed (exit 0, ${formatMs(t.durationMs)})` : `**failed** (exit ${t.exitCode}, ${formatMs(t.durationMs)})`;
}

export function failureOutput(s: CheckSubject, r: BuildFailure): { conclusion: Conclusion; output: CheckOutput } {
  const conclusion: Conclusion = r.stage === 'cancelled' ? 'cancelled' : r.stage === 'timeout' ? 'timed_out' : 'failure';
  const step = r.failedStep;
  const file = dockerfilePath(s);
  const refused = r.stage === 'refused';
  const title = (step ? `step ${step.step} failed: ${step.instruction}` : refused ? `push refused: ${r.message}` : `${r.stage} failed: ${r.message}`).slice(0, 200);
  const summary = [
    refused ? '### Push refused: release tags never move' : `### Build failed (${r.stage})`,
    '',
    r.message,
    ...(step ? ['', `Failing step ${step.step}${step.dockerfileLine ? ` (\`${file}\` line ${step.dockerfileLine})` : ''}: \`${step.instruction}\``] : []),
    '',
    `after ${formatMs(r.durationMs)}`,
  ].join('\n');
  const annotations: Annotation[] =
    step?.dockerfileLine !== undefined
      ? [
          {
            path: file,
            start_line: step.dockerfileLine,
            end_line: step.dockerfileLine,
            annotation_level: 'failure',
            title: `step ${step.step} failed: ${step.instruction}`.slice(0, 255),
            message: trimTail(step.output || r.message, MAX_ANNOTATION),
          },
        ]
      : [];
  const output: CheckOutput = { title, summary: trimTail(summary), text: logBlock('### Build log (tail)', r.logTail) };
  if (annotations.length) output.annotations = annotations;
  return { conclusion, output };
}

export function cancelledOutput(reason: string): { conclusion: Conclusion; output: CheckOutput } {
  return { conclusion: 'cancelled', output: { title: 'cancelled', summary: trimTail(`Build cancelled: ${reason}`) } };
}

/** Tags this build may not write (src/images/plan.ts refusedTags): nothing is built or pushed. */
export function tagsRefusedOutput(refusals: { tag: string; reason: string }[], file: string): { conclusion: Conclusion; output: CheckOutput } {
  const lines = refusals.map((r) => `- \`${r.tag}\` ${r.reason}`);
  const summary = [`### Image tags refused`, '', ...lines, '', `Nothing was built or pushed: release tags never move (README, "Image tags"); moving tags come from \`extraTags\` in \`${file}\`.`];
  return { conclusion: 'failure', output: { title: `image tag ${refusals[0]!.tag} refused`.slice(0, 200), summary: trimTail(summary.join('\n')) } };
}

/** An invalid `.github/gantry.yml`: the message names the line and key; the line is annotated. */
export function configErrorOutput(message: string, file: string, line: number | undefined): { conclusion: Conclusion; output: CheckOutput } {
  const output: CheckOutput = { title: `invalid ${file}`, summary: trimTail(`### Invalid ${file}\n\n${message.split('\n').map((l) => `- ${l}`).join('\n')}`) };
  if (line) output.annotations = [{ path: file, start_line: line, end_line: line, annotation_level: 'failure', title: `invalid ${file}`, message: trimTail(message, MAX_ANNOTATION) }];
  return { conclusion: 'failure', output };
}

interface Where {
  owner: string;
  repo: string;
}

/** Creates a check run; `completed` skips straight to the end (config errors). */
export async function createCheckRun(
  octokit: Octokit,
  where: Where,
  o: { sha: string; name: string; externalId: string; output: CheckOutput; detailsUrl?: string; completed?: { conclusion: Conclusion } },
): Promise<{ id: number; url: string }> {
  const res = await octokit.rest.checks.create({
    owner: where.owner,
    repo: where.repo,
    head_sha: o.sha,
    name: o.name,
    external_id: o.externalId,
    ...(o.detailsUrl ? { details_url: o.detailsUrl } : {}),
    ...(o.completed ? { status: 'completed' as const, conclusion: o.completed.conclusion, completed_at: new Date().toISOString() } : { status: 'queued' as const }),
    output: o.output,
  });
  return { id: res.data.id, url: res.data.html_url ?? res.data.url };
}

export async function updateCheckRun(
  octokit: Octokit,
  where: Where,
  id: number,
  o: { status?: 'queued' | 'in_progress'; conclusion?: Conclusion; output?: CheckOutput; detailsUrl?: string },
): Promise<void> {
  const now = new Date().toISOString();
  await octokit.rest.checks.update({
    owner: where.owner,
    repo: where.repo,
    check_run_id: id,
    ...(o.detailsUrl ? { details_url: o.detailsUrl } : {}),
    ...(o.conclusion ? { status: 'completed' as const, conclusion: o.conclusion, completed_at: now } : {}),
    ...(o.status ? { status: o.status, ...(o.status === 'in_progress' ? { started_at: now } : {}) } : {}),
    ...(o.output ? { output: { ...o.output, annotations: o.output.annotations?.slice(0, 50) } } : {}),
  });
}

/**
 * At most one update per `intervalMs`, always the newest value, never two in flight (a slow API
 * call delays the next update instead of queueing more); `drain()` drops what is pending and
 * waits for the one in flight, so a late progress update never lands after the final one.
 */
export class Throttle<T> {
  private last = 0;
  private pending: T | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private drained = false;

  constructor(
    private readonly send: (v: T) => Promise<void>,
    private readonly intervalMs = 3000,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  push(v: T): void {
    if (this.drained) return;
    this.pending = v;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.inFlight || this.pending === undefined || this.drained) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.last + this.intervalMs - Date.now()));
  }

  private fire(): void {
    this.timer = undefined;
    const v = this.pending;
    this.pending = undefined;
    if (v === undefined || this.drained) return;
    this.last = Date.now();
    this.inFlight = this.send(v)
      .catch(this.onError)
      .finally(() => {
        this.inFlight = undefined;
        this.last = Date.now();
        this.schedule();
      });
  }

  async drain(): Promise<void> {
    this.drained = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.inFlight;
  }
}
