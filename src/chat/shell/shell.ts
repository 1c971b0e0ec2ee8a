import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CommandContext } from '../../commands/context.js';
import type { Config } from '../../config/schema.js';
import { actorFor, matchesAny, type Actor } from '../../domain/identity.js';
import { voiceFor } from '../../config/reader.js';
import { msg, type Message } from '../../i18n/voice.js';
import type { GantryEvent } from '../../notify/events.js';
import { shortSha } from '../../domain/sha.js';
import type { FaceDeps } from '../face.js';
import { shellProgress, shellText } from './render.js';
import { eventLine } from '../../render/event-text.js';
import { PLAIN } from '../../render/markup.js';

/**
 * The local shell adapter: one chat command a line, each reply printed. It trusts the terminal
 * for who is typing (`--as alice` → `shell:alice`), like a chat platform vouches for its users.
 */
export interface ShellOptions {
  as: string;
  input: Readable;
  output: Writable;
  /** prompt and live events (when stdin is a TTY) */
  interactive: boolean;
  /** live events from every gantry process (approval requests for you, deploys, locks) */
  subscribe?: (onEvent: (e: GantryEvent) => void) => Promise<() => Promise<void>>;
}

/** `--as alice` → `shell:alice`; a full identity (`slack:U1`) is taken as it is. */
export function shellActor(where: { config: Config }, name: string): Actor {
  return actorFor(where.config, name.includes(':') ? name : `shell:${name}`);
}

/** Replies are printed as they come; the summary tells a script whether any command was refused. */
export async function runShell(services: Pick<FaceDeps, 'config' | 'execute'>, o: ShellOptions): Promise<{ commands: number; refused: number }> {
  let commands = 0;
  let refused = 0;
  const { config } = services;
  let actor = shellActor(services, o.as);
  // each user their own language and time zone (config users.<name>.locale/timeZone)
  const voice = () => voiceFor(config, { platform: 'shell', identity: actor.id });
  const write = (s: string) => o.output.write(s.endsWith('\n') ? s : `${s}\n`);
  const rl = readline.createInterface({ input: o.input, output: o.interactive ? o.output : undefined, terminal: o.interactive });
  // the iterator buffers from now on: lines that arrive while the subscription starts are kept
  const lines = rl[Symbol.asyncIterator]();
  const prompt = () => {
    if (o.interactive) {
      rl.setPrompt(`${actor.name ?? actor.id}> `);
      rl.prompt();
    }
  };
  if (o.interactive) {
    write(voice().t('shell.welcome', { id: actor.id }));
  }
  const unsubscribe = await o.subscribe?.((e) => {
    const said = describeEvent(config, e, actor);
    // how a deploy rolls out is news for everyone at the terminal, said as every face says it
    const line = said ? voice().say(said) : FOLLOW_UPS.has(e.type) ? eventLine(e, voice(), PLAIN) : undefined;
    if (!line) return;
    write(`\n${line}`);
    if (o.interactive) rl.prompt(true);
  });
  prompt();
  for await (const raw of { [Symbol.asyncIterator]: () => lines }) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      prompt();
      continue;
    }
    if (line === ':quit' || line === ':q' || line === 'exit') break;
    const as = /^:as\s+(\S+)$/.exec(line);
    if (as) {
      actor = shellActor(services, as[1]!);
      write(voice().t('shell.acting-as', { id: actor.id, name: actor.name ? ` (${actor.name})` : '' }));
      prompt();
      continue;
    }
    const ctx: CommandContext = { actor, progress: (m) => void write(shellProgress(m, voice())), origin: { platform: 'shell', user: actor.id } };
    const reply = await services.execute(line, ctx);
    commands++;
    if (!reply.ok) refused++;
    write(shellText(reply, voice()));
    prompt();
  }
  rl.close();
  await unsubscribe?.();
  return { commands, refused };
}

const FOLLOW_UPS: ReadonlySet<GantryEvent['type']> = new Set(['rolled-out', 'rollout-failed', 'verified', 'verify-failed']);

/** One line about an event, for the people it concerns, or undefined when it concerns them not. */
export function describeEvent(config: Config, e: GantryEvent, actor: Actor): Message | undefined {
  const who = (a: Actor) => a.name ?? a.id;
  switch (e.type) {
    case 'approval-requested': {
      const { approval: a } = e;
      const r = a.request;
      if (!matchesAny(config, a.approvers, actor.id) || r.requestedBy.id === actor.id) return undefined;
      return msg('shell.approval-asked', { id: a.id, by: who(r.requestedBy), action: r.action, app: r.app, version: r.version ?? '', env: r.env });
    }
    case 'approval-expired': {
      const r = e.approval.request;
      return r.requestedBy.id === actor.id ? msg('shell.approval-expired', { id: e.approval.id, app: r.app, version: r.version ?? '', env: r.env }) : undefined;
    }
    case 'deployed':
    case 'rolled-back': {
      // whoever's command ran the deploy (the requester, or the last approver) reads it in the reply
      if ((e.request.approval ? e.request.approvedBy.at(-1)?.id : e.request.requestedBy.id) === actor.id) return undefined;
      const r = e.result;
      return msg('shell.deployed', { type: e.type, app: r.app, version: r.version, env: r.env, by: who(e.request.requestedBy), commit: shortSha(r.commit) });
    }
    case 'deploy-failed':
      return e.request.requestedBy.id === actor.id ? msg('shell.deploy-failed', { message: e.message }) : undefined;
    case 'locked':
    case 'unlocked':
      return e.by.id === actor.id ? undefined : msg('shell.lock', { type: e.type, env: e.env, by: who(e.by), reason: e.reason });
    default:
      return undefined;
  }
}
