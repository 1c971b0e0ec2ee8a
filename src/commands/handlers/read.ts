import { activeFreeze } from '../../domain/freeze.js';
import { GantryError } from '../../domain/errors.js';
import type { EnvChange } from '../../gitops/env-history.js';
import { describeActor, isApp, isEnv, resolveApp, resolveEnv, short, type CommandContext, type Core, type Reply } from '../context.js';
import { DESCRIPTIONS, isCommandName, USAGE, sanitize, usage, type CommandName, type ParsedCommand } from '../grammar.js';

/** `/status [app] [env]`: what runs where, read from the deploy repo's files. */
export async function status(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (cmd.args.length > 2) throw usage('status', `too many arguments: unexpected ${quote(cmd.args[2]!)}`);
  const [first, second] = cmd.args;
  if (second !== undefined) checkAppFirst(core, 'status', cmd.args, `unexpected ${quote(second)} after the environment ${quote(first!)}`);
  // one word is an environment when one has that name, else an app
  const [appArg, envArg] = second !== undefined ? [first, second] : isEnv(core, first) ? [undefined, first] : [first, undefined];
  const apps = appArg ? [resolveApp(core, 'status', appArg, ctx)] : Object.keys(core.config.apps);
  const envs = envArg ? [resolveEnv(core, envArg)] : Object.keys(core.config.environments);
  await core.repo.refreshIfOlder(core.readFreshnessMs);
  const lines: string[] = [];
  const now = core.now();
  for (const env of envs) {
    const marks: string[] = [];
    const lock = await core.envLocks.get(env);
    if (lock) marks.push(`locked by ${lock.by}: ${lock.reason}`);
    const freeze = activeFreeze(core.config.environments[env]!.freeze, now);
    if (freeze) marks.push(`frozen until ${freeze.until.toISOString()} (${freeze.reason})`);
    lines.push(`${env}${marks.length ? `  [${marks.join('; ')}]` : ''}`);
    for (const app of apps) {
      if (!core.config.apps[app]!.deploy[env]) continue;
      const found = await core.deployer.currentImages(app, env).catch((e: unknown) => e as Error);
      if (found instanceof Error) {
        lines.push(`  ${app}: cannot read (${found.message})`);
        continue;
      }
      const refs = [...new Set(found.flatMap((f) => f.images.map((i) => i.ref)))];
      const timeline = await core.deployer.timeline(app, env, 5);
      const last = timeline.last;
      const version = found[0]?.images[0]?.tag ?? '?';
      const who = last ? `, ${changeBy(core, last)} ${last.date}` : '';
      const hold = timeline.held ? ' [on hold after rollback]' : '';
      lines.push(`  ${app} ${version}${hold}  ${refs.join(' ')}${who}`);
    }
  }
  return { ok: true, text: lines.join('\n') };
}

/** `promote by alice`, or for a commit gantry did not make, its git author. */
function changeBy(core: Core, c: EnvChange): string {
  return c.trailers ? `${c.trailers.action} by ${describeActor(core.config, c.trailers.requestedBy)}` : `manual change by ${c.author}`;
}

/** `/history [app] <env> [n]`: what the environment's files said, change by change, newest first. */
export async function history(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const args = [...cmd.args];
  let n = 10;
  const last = args.at(-1);
  const notCount = () => `${quote(last!)} is not a number of entries (n must be between 1 and 100)`;
  const counted = last !== undefined && /^\d+$/.test(last);
  if (counted) {
    n = Number(args.pop());
    if (n < 1 || n > 100) throw usage('history', 'n must be between 1 and 100');
  } else if (args.length === 3) throw usage('history', notCount());
  if (args.length === 2) checkAppFirst(core, 'history', args, counted ? `unexpected ${quote(args[1]!)} after the environment ${quote(args[0]!)}` : notCount(), counted ? [last!] : []);
  if (args.length < 1 || args.length > 2) throw usage('history', 'name the environment');
  const [appArg, envArg] = args.length === 2 ? args : [undefined, args[0]];
  const app = resolveApp(core, 'history', appArg, ctx);
  const env = resolveEnv(core, envArg!);
  await core.repo.refreshIfOlder(core.readFreshnessMs);
  // a commit that touched the files without changing the images is no change; read a few more
  const changes = (await core.deployer.timeline(app, env, n * 3 + 10)).changes.slice(-n).reverse();
  if (changes.length === 0) return { ok: true, text: `no deployments of ${app} to ${env} yet` };
  const lines = changes.map((c) => {
    const t = c.trailers;
    const approved = t?.approvedBy.length ? `, approved by ${t.approvedBy.map((a) => describeActor(core.config, a)).join(', ')}` : '';
    const override = t?.override ? `, override: ${t.override}` : '';
    const from = c.before.version !== undefined && c.before.version !== c.after.version ? ` (from ${c.before.version})` : '';
    const version = c.after.version ?? '(no image)';
    return `${short(c.sha)} ${c.date} ${t ? `${t.action} ${version}${from} by ${describeActor(core.config, t.requestedBy)}` : `manual ${version}${from} by ${c.author}`}${approved}${override}`;
  });
  return { ok: true, text: `${app} in ${env}, newest first:\n${lines.join('\n')}` };
}

/** `/releases [app]`: the catalog, newest first. */
export async function releases(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (cmd.args.length > 1) throw usage('releases', `too many arguments: unexpected ${quote(cmd.args[1]!)}`);
  if (cmd.args.length === 1) checkAppFirst(core, 'releases', cmd.args, `${quote(cmd.args[0]!)} is an environment; /releases lists the releases of an app (apps: ${Object.keys(core.config.apps).join(', ')})`);
  const app = resolveApp(core, 'releases', cmd.args[0], ctx);
  const list = await core.releases.list(app, 20);
  if (list.length === 0) return { ok: true, text: `no built releases of ${app} yet (gantry release add ${app} <version> --image …)` };
  const blocked = await core.releases.allBlocked(app);
  const lines = list.map((r) => {
    const b = blocked[r.version];
    const imgs = Object.entries(r.images).map(([n, i]) => `${n}=${i.repository}:${i.tag}${i.digest ? `@${i.digest.slice(0, 19)}…` : ''}`);
    return `${r.version}  ${r.builtAt}${r.commit ? `  ${short(r.commit)}` : ''}  ${imgs.join(' ')}${b ? `  BLOCKED by ${b.by}: ${b.reason}` : ''}`;
  });
  return { ok: true, text: `${app} releases, newest first:\n${lines.join('\n')}` };
}

/** `/diff [app] <envA> <envB>` */
export async function diff(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const a = cmd.args;
  if (a.length < 2 || a.length > 3) throw usage('diff', a.length > 3 ? `too many arguments: unexpected ${quote(a[3]!)}` : 'name two environments');
  if (a.length === 3) checkAppFirst(core, 'diff', a, `unexpected ${quote(a[2]!)} after the environments ${quote(a[0]!)} and ${quote(a[1]!)}`);
  const [appArg, envA, envB] = a.length === 3 ? a : [undefined, a[0], a[1]];
  const app = resolveApp(core, 'diff', appArg, ctx);
  const ea = resolveEnv(core, envA!);
  const eb = resolveEnv(core, envB!);
  await core.repo.refreshIfOlder(core.readFreshnessMs);
  const [ia, ib] = await Promise.all([core.deployer.currentImages(app, ea), core.deployer.currentImages(app, eb)]);
  const byName = (found: typeof ia) => new Map(found.flatMap((f) => f.images.map((i) => [i.name, i.ref] as const)));
  const ma = byName(ia);
  const mb = byName(ib);
  const names = [...new Set([...ma.keys(), ...mb.keys()])].sort();
  const lines = names.map((n) => `  ${n}: ${ma.get(n) ?? '(none)'} ${ma.get(n) === mb.get(n) ? '=' : '≠'} ${mb.get(n) ?? '(none)'}`);
  const same = names.every((n) => ma.get(n) === mb.get(n));
  return { ok: true, text: `${app}: ${ea} vs ${eb}: ${same ? 'the same' : 'different'}\n${lines.join('\n')}` };
}

const quote = (word: string): string => `"${sanitize(word)}"`;

/**
 * The read commands take an optional app first. When the first word is an environment (and no
 * app), "unknown app" would blame the wrong word: say what is wrong with the input as typed,
 * an app given after the environment (then the line as it should read: args, then `tail`), or
 * `problem` (the word that does not fit).
 */
function checkAppFirst(core: Core, name: CommandName, args: string[], problem: string, tail: string[] = []): void {
  const [first, ...others] = args;
  if (!isEnv(core, first) || isApp(core, first)) return;
  const app = others.find((a) => isApp(core, a));
  if (app === undefined) throw usage(name, problem);
  throw usage(name, `the app comes before the environment: /${name} ${[app, ...args.filter((a) => a !== app), ...tail].map((w) => sanitize(w)).join(' ')}`);
}

/** `/help [command]` */
export async function help(_core: Core, cmd: ParsedCommand): Promise<Reply> {
  const which = cmd.args[0]?.replace(/^\//, '');
  if (which !== undefined) {
    if (!isCommandName(which)) throw new GantryError('COMMAND_UNKNOWN', `unknown command "${sanitize(which)}"`);
    return { ok: true, text: `${USAGE[which]}\n  ${DESCRIPTIONS[which]}` };
  }
  const lines = (Object.keys(USAGE) as CommandName[]).map((c) => `${USAGE[c].padEnd(50)} ${DESCRIPTIONS[c]}`);
  return { ok: true, text: lines.join('\n') };
}
