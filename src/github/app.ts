import type { ApplicationFunction } from 'probot';
import { fromCheckRun, fromCheckSuite, fromIssueComment, fromPullRequest, fromPush } from './events.js';
import type { Ingest } from './ingest.js';

/**
 * The Probot app: each handler turns one webhook into one queued event and returns. Probot has
 * verified the signature; the event worker (src/github/event-worker.ts) does the rest.
 */
export function gantryApp(ingest: Ingest, appId: number): ApplicationFunction {
  return (app) => {
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.closed', 'pull_request.labeled', 'pull_request.unlabeled'], async (ctx) => {
      await ingest.accept(ctx.id, fromPullRequest(ctx.payload), ctx.name);
    });
    app.on('push', async (ctx) => {
      await ingest.accept(ctx.id, fromPush(ctx.payload), ctx.name);
    });
    app.on('check_run.rerequested', async (ctx) => {
      await ingest.accept(ctx.id, fromCheckRun(ctx.payload, appId), ctx.name);
    });
    app.on('check_suite.rerequested', async (ctx) => {
      await ingest.accept(ctx.id, fromCheckSuite(ctx.payload, appId), ctx.name);
    });
    app.on('issue_comment.created', async (ctx) => {
      await ingest.accept(ctx.id, fromIssueComment(ctx.payload), ctx.name);
    });
  };
}
