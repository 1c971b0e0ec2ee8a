import type { BlueGreenDeploy, Config } from '../../config/schema.js';
import type { DeployRequest } from '../../domain/deploy.js';
import { GantryError } from '../../domain/errors.js';
import { gateRequest } from '../../domain/gate-request.js';
import { msg } from '../../i18n/voice.js';
import type { EnvLockStore } from '../../store/env-locks.js';
import type { ReleaseStore } from '../../store/releases.js';
import { watchFor } from '../../rollout/config.js';
import type { RolloutStore } from '../../rollout/store.js';
import type { Plan } from '../deployer.js';
import { requireLive, trafficMove } from './plan.js';
import type { BlueGreenState } from './state.js';
import { blueGreenOf } from './target.js';
import { getTrafficFormat } from './traffic-port.js';

export interface TrafficPlanDeps {
  req: DeployRequest;
  config: Config;
  /** the locks, block marks and followed deploys as they are now */
  stores: { envLocks: Pick<EnvLockStore, 'get'>; releases: Pick<ReleaseStore, 'blocked'>; rollouts?: Pick<RolloutStore, 'latest'> };
  state: (target: BlueGreenDeploy) => Promise<BlueGreenState>;
  read: (rel: string) => Promise<string>;
  now: Date;
}

/**
 * The commit of /shift, /switch or /rollback of a blue-green app: the traffic file alone, images
 * untouched. Policy is asked here too, against the repo as it is when the deploy runs: whether
 * this is the first shift to the new colour or the one that completes it decides approvals.
 */
export async function planTraffic(d: TrafficPlanDeps): Promise<Plan> {
  const { req, stores } = d;
  const target = blueGreenOf(d.config, req.app, req.env);
  if (!target) throw new GantryError('INPUT_INVALID', msg('error.bluegreen.not-bluegreen', { app: req.app, env: req.env }));
  const move = trafficMove(await d.state(target), req, target);
  // a forward shift moves traffic only to what Argo CD or Flux says is live and healthy
  if (move.forward && stores.rollouts && watchFor(d.config, req.app, req.env)) await requireLive(stores.rollouts, req, move.version);
  const { approvalsRequired, overridden } = await gateRequest(d.config, { ...req, action: req.action === 'shift' ? 'shift' : 'rollback' }, {
    at: d.now,
    locks: stores.envLocks,
    // shifting traffic to a blocked release is promoting it; moving traffic back never is
    blocked: req.action === 'shift' ? await stores.releases.blocked(req.app, move.version) : null,
    version: move.version,
    automatic: req.failure !== undefined,
    ...(move.step ? { shift: move.step } : {}),
  });
  const file = target.traffic.file;
  const written = getTrafficFormat(target.traffic.format).write(await d.read(file), target.traffic, move.weights);
  return {
    version: move.version,
    ...(move.previousVersion !== undefined ? { previousVersion: move.previousVersion } : {}),
    files: [{ path: file, content: written.content }],
    changes: written.changes,
    overridden,
    blueGreen: move.outcome,
    approvalsRequired,
  };
}
