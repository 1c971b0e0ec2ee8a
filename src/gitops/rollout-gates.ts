import type { DeployRequest } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import type { Verifier } from '../rollout/verifier.js';

/**
 * The deployer's checks that come from following deploys (src/rollout/), asked when the deploy
 * runs, against the deploy repo as it is then.
 */

/** `from: { env, verified: true }`: the version's newest verification in `env` passed. */
export async function requireVerified(verification: Pick<Verifier, 'gate'> | undefined, app: string, env: string, version: string): Promise<void> {
  const gate = verification ? await verification.gate(app, env, version) : ({ state: 'none' } as const);
  if (gate.state === 'verified') return;
  const log = gate.state === 'failed' && gate.logUrl ? msg('error.deploy.verify-log', { url: gate.logUrl }) : '';
  const message = gate.state === 'failed' ? gate.message : '';
  throw new GantryError('ORDER_VIOLATION', msg('error.deploy.unverified', { state: gate.state, app, version, env, message, log }));
}

/**
 * An automatic rollback answers one failed version: when something else runs by the time it
 * runs (someone deployed a fix), it has nothing left to do.
 */
export function requireStillFailing(req: DeployRequest, current: string | undefined): void {
  if (!req.failure || current === req.failure.version) return;
  const params = { app: req.app, version: req.failure.version, env: req.env, current: current ?? '?' };
  throw new GantryError('DEPLOY_REFUSED', msg('error.deploy.rollback-obsolete', params));
}
