import type { Redis } from 'ioredis';
import type { CommandContext } from '../commands/context.js';
import type { Reply } from '../commands/replies.js';
import type { Config } from '../config/schema.js';
import type { Env } from '../config/env.js';
import type { Route } from '../http/server.js';
import type { Voice } from '../i18n/voice.js';
import type { Reader } from '../config/reader.js';
import type { Notifier } from '../notify/delivery.js';
import type { ApprovalView } from '../queries/approvals.js';
import type { EnvStatus } from '../queries/status.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';

/**
 * What a chat face may use: run a command line for someone, read an approval's current view, and
 * keep small records of its own in Redis (which message asked for which approval). Nothing else:
 * a face never reaches into the stores or the deployer, and never parses a reply's text.
 */
export interface FaceDeps {
  config: Config;
  execute(line: string, ctx: CommandContext): Promise<Reply>;
  /** an approval as every face shows it; undefined when there is no such approval */
  approval(id: string): Promise<ApprovalView | undefined>;
  /** the identities that approved the deployment of `version` (a rollback of it tells them), from the deploy repo */
  approversOf(app: string, env: string, version: string): Promise<string[]>;
  /** the reader's language and time zone */
  voice(reader: Reader): Voice;
  /** what runs where, every app in every environment (src/queries/status.ts): a face's overview (Slack App Home) */
  status(): Promise<EnvStatus[]>;
  /** the open approval requests `identity` may vote on now, by person (src/queries/approvals-for.ts) */
  approvalsFor(identity: string): Promise<ApprovalView[]>;
  redis: Redis;
  keys: Keys;
  log: Logger;
}

/** A running face: the HTTP routes it answers on gantry's server, and its lifecycle. */
export interface Face {
  routes: Route[];
  /** connect (Socket Mode, Stream mode); HTTP-only faces have nothing to do */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One chat platform, behind one contract: its settings from the environment (undefined: not
 * configured in this process), the face that takes commands, and the notifier that delivers
 * events to its targets (`slack:#deploys`, `dingtalk:<robot>`), which worker processes run
 * without the face. src/chat/registry.ts lists every platform; cli/serve.ts loops over it.
 */
export interface FaceModule<S = unknown> {
  readonly platform: string;
  settings(env: Env): S | undefined;
  /** the command words this face answers, from the grammar (a test compares them with the platform's manifest) */
  commands(): string[];
  create(deps: FaceDeps, settings: S): Promise<Face>;
  notifier(deps: FaceDeps, settings: S | undefined): Notifier | undefined;
}

/** Renders a reply for one reader: the one place a face turns data into its own message shape. */
export type ReplyRenderer<M> = (reply: Reply, voice: Voice) => M;
