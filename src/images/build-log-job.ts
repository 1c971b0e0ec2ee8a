import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { BuildJobData } from './build-queue.js';
import type { BuildEnd, BuildLogMeta, BuildLogStore, BuildLogWriter } from './build-log.js';
import type { BuildOutcome } from './worker.js';

/** `pr #42`, `tag v1.2.3`, `branch main`: how reports and the build page name a trigger. */
export function triggerText(t: BuildJobData['trigger']): string {
  return t.kind === 'pr' ? `pr #${t.number}` : `${t.kind} ${t.name}`;
}

export function buildLogMeta(data: BuildJobData): BuildLogMeta {
  return {
    app: data.app,
    image: data.image,
    repo: `${data.source.owner}/${data.source.repo}`,
    sha: data.source.sha,
    version: data.version,
    trigger: triggerText(data.trigger),
    dockerfile: path.posix.normalize(path.posix.join(data.context, data.dockerfile)).replace(/^\.\//, ''),
    ...(data.checkRunUrl ? { checkRunUrl: data.checkRunUrl } : {}),
  };
}

/** What the build page says of an outcome. */
export function buildEnd(outcome: BuildOutcome): BuildEnd {
  switch (outcome.kind) {
    case 'cancelled':
      return { state: 'cancelled', message: outcome.reason };
    case 'failure': {
      const r = outcome.result;
      const s = r.failedStep;
      return {
        state: r.stage === 'cancelled' ? 'cancelled' : 'failed',
        stage: r.stage,
        message: r.message,
        ...(s ? { step: String(s.step), instruction: s.instruction } : {}),
        ...(s?.dockerfileLine !== undefined ? { dockerfileLine: String(s.dockerfileLine) } : {}),
      };
    }
    case 'success': {
      const { result, smoke } = outcome;
      const smokeFailed = smoke && (smoke.exitCode !== 0 || smoke.timedOut);
      const pushed = { ref: result.ref, digest: result.digest };
      if (!smokeFailed) return { state: 'succeeded', ...pushed };
      return { state: 'failed', ...pushed, stage: 'test', message: smoke.timedOut ? 'smoke test timed out' : `smoke test exited ${smoke.exitCode}` };
    }
  }
}

/**
 * One build job's log, as the worker drives it: nothing here may fail a build, so every Redis
 * error is logged and swallowed (the check run and the chat report still tell the outcome).
 */
export class JobLog {
  private writer: BuildLogWriter | undefined;

  constructor(
    private readonly store: BuildLogStore | undefined,
    private readonly id: string | undefined,
    private readonly log: Logger,
  ) {}

  async start(data: BuildJobData): Promise<void> {
    if (!this.store || !this.id) return;
    this.writer = await this.store.start(this.id, buildLogMeta(data)).catch((err: unknown) => {
      this.log.warn({ build: this.id, err: String(err) }, 'build log not started');
      return undefined;
    });
  }

  /** for BuildOptions.onLog: raw output chunks */
  readonly write = (text: string): void => this.writer?.write(text);

  line(text: string): void {
    this.writer?.line(text);
  }

  async end(outcome: BuildOutcome): Promise<void> {
    if (outcome.kind === 'success' && outcome.smoke) {
      this.line(`--- smoke test: exit ${outcome.smoke.exitCode ?? '-'}${outcome.smoke.timedOut ? ' (timed out)' : ''} ---`);
      this.write(outcome.smoke.outputTail);
    }
    await this.close();
    if (!this.store || !this.id) return;
    await this.store.end(this.id, buildEnd(outcome)).catch((err: unknown) => this.log.warn({ build: this.id, err: String(err) }, 'build log end not written'));
  }

  async close(): Promise<void> {
    await this.writer?.close();
  }
}
