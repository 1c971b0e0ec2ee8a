import { describeApps, parsePairs } from '../commands/register-bundle.js';
import { GantryError } from '../domain/errors.js';
import { boot, type Booted } from './bootstrap.js';
import { cliLogger } from './logging.js';

/** `gantry bundle add <name> <app=version…>`: checked like `POST /api/bundles` (src/commands/register-bundle.ts). */
export async function bundleAddCommand(f: { config?: string; name: string; pairs: string[] }): Promise<number> {
  return withBundles(f.config, async (bundles) => {
    const { created, bundle } = await bundles.add(f.name, parsePairs(f.pairs), 'cli');
    // the same contents again is harmless (a retried script): said, and exit 0
    const said = created ? 'registered' : `already registered (by ${bundle.createdBy}, ${bundle.createdAt})`;
    process.stdout.write(`bundle ${bundle.name} ${said}: ${describeApps(bundle.apps)}\n`);
    return 0;
  });
}

/** `gantry bundle list`: newest first, one line each: name, apps, who registered it and when. */
export async function bundleListCommand(f: { config?: string }): Promise<number> {
  return withBundles(f.config, async (bundles) => {
    const all = await bundles.list();
    if (all.length === 0) process.stdout.write('no bundles registered\n');
    for (const b of all) process.stdout.write(`${b.name}  ${describeApps(b.apps)}  (${b.createdBy}, ${b.createdAt})\n`);
    return 0;
  });
}

async function withBundles(config: string | undefined, fn: (bundles: NonNullable<Booted['gantry']['services']['bundles']>) => Promise<number>): Promise<number> {
  const booted = await boot({ ...(config !== undefined ? { config } : {}), log: cliLogger('conversation') });
  try {
    const bundles = booted.gantry.services.bundles;
    if (!bundles) throw new GantryError('INTERNAL', 'bundles are not wired in this process');
    return await fn(bundles);
  } finally {
    await booted.close();
  }
}
