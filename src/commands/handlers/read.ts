import { GantryError } from '../../domain/errors.js';
import { historyOf } from '../../queries/history.js';
import { releasesOf } from '../../queries/releases.js';
import { statsOf } from '../../queries/stats.js';
import { statusOf } from '../../queries/status.js';
import { isApp, isEnv, resolveApp, resolveEnv, type CommandContext, type Core } from '../context.js';
import { DEFAULT_PERIOD_MS, isCommandName, looksLikePeriod, parsePeriod, sanitize, usage, type CommandName, type ParsedCommand } from '../grammar.js';
import type { DiffRow, Reply } from '../replies.js';
import { msg, type Message } from '../../i18n/voice.js';

/** `/status [app] [env]`: what runs where, read from the deploy repo's files. */
export async function status(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const { apps, envs } = appsAndEnvs(core, 'status', cmd.args, ctx);
  return { ok: true, kind: 'status', envs: await statusOf(core, apps, envs) };
}

/** `/stats [app] [env] [period]`: delivery metrics from the deploys gantry followed to the end. */
export async function stats(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const args = [...cmd.args];
  if (args.length > 3) throw usage('stats', msg('error.usage.unexpected', { word: quote(args[3]!) }));
  let period = DEFAULT_PERIOD_MS;
  const at = args.findIndex(looksLikePeriod);
  if (at !== -1 && at !== args.length - 1) throw usage('stats', msg('error.stats.period-last', { word: quote(args[at]!) }));
  if (at !== -1) period = parsePeriod('stats', args.pop()!);
  const { apps, envs } = appsAndEnvs(core, 'stats', args, ctx);
  return { ok: true, kind: 'stats', apps, envs, period, stats: await statsOf(core, apps, envs, period) };
}

/** `[app] [env]`, both optional: one word is an environment when one has that name, else an app. */
function appsAndEnvs(core: Core, name: CommandName, args: string[], ctx: CommandContext): { apps: string[]; envs: string[] } {
  if (args.length > 2) throw usage(name, msg('error.usage.unexpected', { word: quote(args[2]!) }));
  const [first, second] = args;
  if (second !== undefined) checkAppFirst(core, name, args, msg('error.usage.after-env', { word: quote(second), env: quote(first!) }));
  const [appArg, envArg] = second !== undefined ? [first, second] : isEnv(core, first) ? [undefined, first] : [first, undefined];
  return {
    apps: appArg ? [resolveApp(core, name, appArg, ctx)] : Object.keys(core.config.apps),
    envs: envArg ? [resolveEnv(core, envArg)] : Object.keys(core.config.environments),
  };
}

/** `/history [app] <env> [n]`: what the environment's files said, change by change, newest first. */
export async function history(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const args = [...cmd.args];
  let n = 10;
  const last = args.at(-1);
  const notCount = () => msg('error.history.not-count', { word: quote(last!) });
  const counted = last !== undefined && /^\d+$/.test(last);
  if (counted) {
    n = Number(args.pop());
    if (n < 1 || n > 100) throw usage('history', msg('error.history.count-range'));
  } else if (args.length === 3) throw usage('history', notCount());
  if (args.length === 2) checkAppFirst(core, 'history', args, counted ? msg('error.usage.after-env', { word: quote(args[1]!), env: quote(args[0]!) }) : notCount(), counted ? [last!] : []);
  if (args.length < 1 || args.length > 2) throw usage('history', msg('error.usage.no-env'));
  const [appArg, envArg] = args.length === 2 ? args : [undefined, args[0]];
  const app = resolveApp(core, 'history', appArg, ctx);
  const env = resolveEnv(core, envArg!);
  return { ok: true, kind: 'history', app, env, entries: await historyOf(core, app, env, n) };
}

/** `/releases [app]`: the catalog, newest first. */
export async function releases(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (cmd.args.length > 1) throw usage('releases', msg('error.usage.unexpected', { word: quote(cmd.args[1]!) }));
  if (cmd.args.length === 1) {
    const apps = { list: Object.keys(core.config.apps) };
    checkAppFirst(core, 'releases', cmd.args, msg('error.releases.env-given', { word: quote(cmd.args[0]!), apps }));
  }
  const app = resolveApp(core, 'releases', cmd.args[0], ctx);
  return { ok: true, kind: 'releases', app, releases: await releasesOf(core, app, 20) };
}

/** `/diff [app] <envA> <envB>` */
export async function diff(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const a = cmd.args;
  if (a.length < 2 || a.length > 3) throw usage('diff', a.length > 3 ? msg('error.usage.unexpected', { word: quote(a[3]!) }) : msg('error.diff.two-envs'));
  if (a.length === 3) checkAppFirst(core, 'diff', a, msg('error.diff.after-envs', { word: quote(a[2]!), envA: quote(a[0]!), envB: quote(a[1]!) }));
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
  const images = names.map((image) => {
    const row: DiffRow = { image };
    const [a, b] = [ma.get(image), mb.get(image)];
    if (a !== undefined) row.a = a;
    if (b !== undefined) row.b = b;
    return row;
  });
  return { ok: true, kind: 'diff', app, envA: ea, envB: eb, images };
}

const quote = (word: string): string => `"${sanitize(word)}"`;

/**
 * The read commands take an optional app first. When the first word is an environment (and no
 * app), "unknown app" would blame the wrong word: say what is wrong with the input as typed,
 * an app given after the environment (then the line as it should read: args, then `tail`), or
 * `problem` (the word that does not fit).
 */
function checkAppFirst(core: Core, name: CommandName, args: string[], problem: Message, tail: string[] = []): void {
  const [first, ...others] = args;
  if (!isEnv(core, first) || isApp(core, first)) return;
  const app = others.find((a) => isApp(core, a));
  if (app === undefined) throw usage(name, problem);
  const line = [app, ...args.filter((a) => a !== app), ...tail].map((w) => sanitize(w)).join(' ');
  throw usage(name, msg('error.usage.app-first', { suggestion: `/${name} ${line}` }));
}

/** `/help [command]` */
export async function help(_core: Core, cmd: ParsedCommand): Promise<Reply> {
  const which = cmd.args[0]?.replace(/^\//, '');
  if (which !== undefined) {
    if (!isCommandName(which)) throw new GantryError('COMMAND_UNKNOWN', msg('error.help.unknown-command', { command: sanitize(which) }));
    return { ok: true, kind: 'help', topic: which };
  }
  return { ok: true, kind: 'help' };
}
