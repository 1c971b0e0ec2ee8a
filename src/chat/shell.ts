import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CommandContext, Core, Reply } from '../commands/context.js';
import { execute } from '../commands/execute.js';
import { actorFor, matchesAny, type Actor } from '../domain/identity.js';
import type { GantryEvent } from '../notify/events.js';

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

export function shellActor(core: Core, name: string): Actor {
  return actorFor(core.config, name.includes(':') ? name : `shell:${name}`);
}

export function formatReply(r: Reply): string {
  return r.ok ? r.text : `error [${r.code}]: ${r.text}`;
}

/** Replies are printed as they come; the summary tells a script whether any command was refused. */
export async function runShell(core: Core, o: ShellOptions): Promise<{ commands: number; refused: number }> {
  let commands = 0;
  let refused = 0;
  let actor = shellActor(core, o.as);
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
    write(`gantry shell as ${actor.id}. /help lists commands; ":as <name>" switches user; ":quit" leaves.`);
  }
  const unsubscribe = await o.subscribe?.((e) => {
    const line = describeEvent(core, e, actor);
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
      actor = shellActor(core, as[1]!);
      write(`now acting as ${actor.id}${actor.name ? ` (${actor.name})` : ''}`);
      prompt();
      continue;
    }
    const ctx: CommandContext = { actor, progress: (t) => void write(t), origin: { platform: 'shell', user: actor.id } };
    const reply = await execute(core, line, ctx);
    commands++;
    if (!reply.ok) refused++;
    write(formatReply(reply));
    prompt();
  }
  rl.close();
  await unsubscribe?.();
  return { commands, refused };
}

/** One line about an event, for the people it concerns, or undefined when it concerns them not. */
export function describeEvent(core: Core, e: GantryEvent, actor: Actor): string | undefined {
  switch (e.type) {
    case 'approval-requested':
      return matchesAny(core.config, e.approval.approvers, actor.id) && e.approval.request.requestedBy.id !== actor.id
        ? `[approval ${e.approval.id}] ${e.approval.request.requestedBy.name ?? e.approval.request.requestedBy.id} asks to ${e.approval.request.action} ${e.approval.request.app} ${e.approval.request.version ?? ''} in ${e.approval.request.env}: /approve ${e.approval.id}`
        : undefined;
    case 'approval-expired':
      return e.approval.request.requestedBy.id === actor.id
        ? `[approval ${e.approval.id}] expired: ${e.approval.request.app} ${e.approval.request.version ?? ''} was not deployed to ${e.approval.request.env}`
        : undefined;
    case 'deployed':
    case 'rolled-back':
      // whoever's command ran the deploy (the requester, or the last approver) reads it in the reply
      if ((e.request.approval ? e.request.approvedBy.at(-1)?.id : e.request.requestedBy.id) === actor.id) return undefined;
      return `[${e.type}] ${e.result.app} ${e.result.version} in ${e.result.env} by ${e.request.requestedBy.name ?? e.request.requestedBy.id} (${e.result.commit.slice(0, 7)})`;
    case 'deploy-failed':
      return e.request.requestedBy.id === actor.id ? `[deploy failed] ${e.message}` : undefined;
    case 'locked':
    case 'unlocked':
      if (e.by.id === actor.id) return undefined;
      return `[${e.type}] ${e.env} by ${e.by.name ?? e.by.id}: ${e.reason}`;
    default:
      return undefined;
  }
}
