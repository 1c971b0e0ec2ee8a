import { randomUUID } from 'node:crypto';
import type { DeployRequest } from '../../domain/deploy.js';
import { GantryError } from '../../domain/errors.js';
import { requireAllowed } from '../../domain/policy.js';
import { blueGreenOf } from '../../gitops/bluegreen/target.js';
import { msg } from '../../i18n/voice.js';
import { resolveApp, resolveEnv, type CommandContext, type Core } from '../context.js';
import { sanitize, usage, type CommandName, type ParsedCommand } from '../grammar.js';
import type { Reply } from '../replies.js';
import { askApproval, cleanReason, deployed, queued } from './deploy.js';

/** `/shift [app] <env> <n>%`: the new colour of a blue-green app gets n% of the traffic. */
export async function shift(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const args = [...cmd.args];
  const last = args.pop();
  if (last === undefined || args.length === 0) throw usage('shift', msg('error.shift.missing'));
  const m = /^(\d{1,3})%$/.exec(last);
  const weight = m ? Number(m[1]) : NaN;
  if (!(weight >= 1 && weight <= 100)) throw usage('shift', msg('error.shift.weight', { word: sanitize(last) }));
  if (args.length > 2) throw usage('shift', msg('error.usage.too-many-arguments'));
  return shiftTo(core, cmd, ctx, args, weight);
}

/** `/switch [app] <env>`: all traffic to the new colour, as `/shift <env> 100%`. */
export async function switchTraffic(core: Core, cmd: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  if (cmd.args.length === 0) throw usage('switch', msg('error.switch.missing'));
  if (cmd.args.length > 2) throw usage('switch', msg('error.usage.too-many-arguments'));
  return shiftTo(core, cmd, ctx, cmd.args, 100);
}

/**
 * Who may shift is asked first; the deployer's plan then says whether there is anything to move
 * and whether this step needs approvals (approvals.shift: the first shift, the one to 100%, every
 * one), and the deploy worker asks it all again when the job runs.
 */
async function shiftTo(core: Core, cmd: ParsedCommand, ctx: CommandContext, words: string[], weight: number): Promise<Reply> {
  const name: CommandName = cmd.name;
  const [appArg, envArg] = words.length === 2 ? [words[0], words[1]!] : [undefined, words[0]!];
  const app = resolveApp(core, name, appArg, ctx);
  const env = resolveEnv(core, envArg);
  core.deployer.filesOf(app, env);
  if (!blueGreenOf(core.config, app, env)) throw new GantryError('INPUT_INVALID', msg('error.bluegreen.not-bluegreen', { app, env }));
  requireAllowed(core.config, 'shift', env, ctx.actor.id);
  // as /promote does: a --force the asker may not use is refused before what the repo says is read
  if (cmd.force !== undefined) requireAllowed(core.config, 'breakGlass', env, ctx.actor.id);
  const req: DeployRequest = {
    id: `shift-${randomUUID()}`,
    action: 'shift',
    app,
    env,
    weight,
    requestedBy: ctx.actor,
    approvedBy: [],
    ...(cmd.force !== undefined ? { force: cleanReason(cmd.force)! } : {}),
  };
  const plan = await core.deployer.preflight(req, core.readFreshnessMs);
  const required = plan.approvalsRequired ?? 0;
  if (required > 0) return askApproval(core, req, { required, plan }, ctx);
  return deployed(core, await core.queue.submit(req, queued(req, ctx)));
}
