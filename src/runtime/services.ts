import { expandIdentities, personOf } from '../domain/identity.js';
import type { Redis } from 'ioredis';
import type { FaceDeps } from '../chat/face.js';
import type { CommandContext, Core } from '../commands/context.js';
import { execute } from '../commands/execute.js';
import { registerRelease } from '../commands/register-release.js';
import { bundleService, type BundleService } from '../commands/register-bundle.js';
import type { Reply } from '../commands/replies.js';
import type { Config } from '../config/schema.js';
import type { Release } from '../domain/release.js';
import { voiceFor } from '../config/reader.js';
import { approvalView, type ApprovalView } from '../queries/approvals.js';
import type { QueryDeps } from '../queries/deps.js';
import { approvalsFor } from '../queries/approvals-for.js';
import { statusOf } from '../queries/status.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';

/**
 * What the faces (chat, GitHub, HTTP) may use: run a command, read the read models, look up an
 * approval's view, register a release. Everything else (stores, the deployer, queues) stays
 * behind the command layer, which alone gets the `Core`.
 */
export interface Services {
  config: Config;
  execute(line: string, ctx: CommandContext): Promise<Reply>;
  queries: QueryDeps;
  approval(id: string): Promise<ApprovalView | undefined>;
  /** the identities (`slack:U…`) that approved the deployment of `version` to `env`, from the deploy repo's trailers */
  approversOf(app: string, env: string, version: string): Promise<string[]>;
  registerRelease(release: Release): ReturnType<typeof registerRelease>;
  /** register and list bundles (`gantry bundle`, `/api/bundles`); absent: no bundles in this process */
  bundles?: BundleService;
}

export function servicesOf(core: Core): Services {
  return {
    config: core.config,
    execute: (line, ctx) => execute(core, line, ctx),
    queries: core,
    async approval(id) {
      const a = await core.approvals.get(id);
      return a ? approvalView(core, a) : undefined;
    },
    async approversOf(app, env, version) {
      const dep = await core.history.findDeployment(app, env, version);
      // by person: whoever approved from the shell is still told on Slack, under their Slack identity
      return expandIdentities(core.config, (dep?.approvedBy ?? []).map((a) => personOf(core.config, a.id)));
    },
    registerRelease: (release) => registerRelease(core, release),
    ...(core.bundles ? { bundles: bundleService({ config: core.config, releases: core.releases, bundles: core.bundles.store }, core.now) } : {}),
  };
}

/** What every chat face gets (src/chat/face.ts): the services, the reader's voice, its own Redis records. */
export function faceDepsOf(s: Services, redis: Redis, keys: Keys, log: Logger): FaceDeps {
  return {
    config: s.config,
    execute: s.execute,
    approval: s.approval,
    approversOf: s.approversOf,
    voice: (reader) => voiceFor(s.config, reader),
    // the Slack App Home's read models (src/chat/slack/home.ts)
    status: () => statusOf(s.queries, Object.keys(s.config.apps), Object.keys(s.config.environments)),
    approvalsFor: (identity) => approvalsFor(s.queries, identity),
    redis,
    keys,
    log,
  };
}
