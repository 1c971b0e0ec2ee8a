import { GantryError } from './errors.js';
import type { DeployChange, DeployResult } from './deploy.js';
import type { Actor } from './identity.js';
import { msg } from '../i18n/voice.js';

/**
 * A bundle: app versions that move together (web v1.2.3 + api v3.4.0), promoted with one
 * approval in one commit. Registered once and never changed: a name means one set of versions.
 */
export interface Bundle {
  name: string;
  /** sorted by app, each app once, each version a built release */
  apps: BundleApp[];
  createdAt: string;
  /** who or what registered it: cli, api, an identity, `tag` (a monorepo build), `env:<name>` */
  createdBy: string;
}

export interface BundleApp {
  app: string;
  version: string;
}

/** A bundle name: a tag or a date-like name (2026.12, v1.2.3, staging-1a2b3c4d). */
export const BUNDLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function validateBundleName(name: string): void {
  if (!BUNDLE_NAME.test(name)) throw new GantryError('INPUT_INVALID', msg('error.bundle.name', { name: name.slice(0, 70) }));
}

/** A bundle deploy job's payload: the versions come from the bundle store, never from the job. */
export interface BundleRequest {
  id: string;
  action: 'promote' | 'rollback';
  bundle: string;
  env: string;
  requestedBy: Actor;
  approvedBy: Actor[];
  force?: string;
  approval?: string;
}

/** One commit that moved every app of a bundle; `apps` holds one result per app it changed. */
export interface BundleResult {
  requestId: string;
  bundle: string;
  env: string;
  action: BundleRequest['action'];
  commit: string;
  apps: DeployResult[];
  retries: number;
  replayed?: boolean;
}

/** What the approvers of a bundle are shown: every app's versions and changed lines. */
export interface BundlePreview {
  name: string;
  apps: { app: string; version: string; previousVersion?: string; changes: DeployChange[] }[];
}
