import type { Actor } from './identity.js';

/** A deployment someone asked for: the payload of a deploy job. Never carries a secret. */
export interface DeployRequest {
  /** the request id: the job id, and the Gantry-Request trailer, so a replayed job is harmless */
  id: string;
  action: 'promote' | 'rollback' | 'auto' | 'shift';
  app: string;
  env: string;
  /** the resolved version; absent for `/rollback <env>` (the target is read from history when it runs) */
  version?: string;
  /** `/shift` and `/switch`: the percent of traffic the new colour of a blue-green app gets (1 to 100) */
  weight?: number;
  requestedBy: Actor;
  approvedBy: Actor[];
  /** the --force reason (break-glass); what it passed is decided when the deploy runs */
  force?: string;
  reason?: string;
  /** approval id, when this request went through approval */
  approval?: string;
  /**
   * An automatic rollback (`onFailure: rollback`): the followed deploy whose failure it answers
   * (`<app>:<env>:<commit>`), the version that deploy put there (the rollback happens only while
   * it still runs), and the request that started it (its thread hears the outcome).
   */
  failure?: { deploy: string; version: string; requestId?: string; requestedBy?: string };
}

export interface DeployChange {
  file: string;
  line: number;
  image: string;
  before: string;
  after: string;
}

export interface DeployResult {
  requestId: string;
  app: string;
  env: string;
  action: DeployRequest['action'];
  version: string;
  previousVersion?: string;
  commit: string;
  changes: DeployChange[];
  /** the --force reason and what it passed (a lock, a freeze); absent when it passed nothing */
  override?: { reason: string; passed: string[] };
  /** how often the push was retried because the remote moved */
  retries: number;
  /** true when an earlier run of this request had already committed it */
  replayed?: boolean;
  /** pull-request mode: the commit is on this branch, waiting for review */
  pullRequest?: { number: number; url: string; branch: string };
  /** a blue-green app: which colour was written or moved to, and both colours after the commit */
  blueGreen?: BlueGreenOutcome;
}

export type Colour = 'blue' | 'green';

/** Both colours of a blue-green app after a commit, and the colour the commit was about. */
export interface BlueGreenOutcome {
  /** promote: the idle colour written; shift: the new colour; rollback: the old colour traffic went back to */
  colour: Colour;
  /** the colour that serves: the new one once it has all traffic, else the old one */
  live: Colour;
  versions: { blue?: string; green?: string };
  weights: { blue: number; green: number };
  /** the weights before the commit */
  before: { blue: number; green: number };
}
