import type { Config } from '../config/schema.js';
import type { DeployRequest } from '../domain/deploy.js';
import { blueGreenOf } from '../gitops/bluegreen/target.js';
import { msg, type Message } from '../i18n/voice.js';

/**
 * The deploy guard's check of a traffic shift's shape (src/queue/deploy-guard.ts): a weight goes
 * with a shift and nothing else, and only to an app the config deploys blue-green there. The
 * policy (who may shift, locks, freeze, approvals) is the gate's, as for every job.
 */
export function shiftProblem(config: Config, job: Pick<DeployRequest, 'action' | 'app' | 'env' | 'weight'>): Message | undefined {
  if (job.action !== 'shift') return job.weight === undefined ? undefined : msg('error.guard.weight-not-shift', { action: job.action });
  if (job.weight === undefined) return msg('error.guard.shift-no-weight');
  if (!blueGreenOf(config, job.app, job.env)) return msg('error.bluegreen.not-bluegreen', { app: job.app, env: job.env });
  return undefined;
}
