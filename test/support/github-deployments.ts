import type { Recorded, Responder } from './recorder.js';

/**
 * GitHub's REST API as the Deployment hook uses it, for a recorder (startRecorder): the app's
 * installation of `acme/web`, its token, Deployments and their statuses, in the shapes GitHub
 * answers with. `created` hears of each Deployment (its id and request) before GitHub answers;
 * it may hold the answer back by returning a promise.
 */
export function deploymentsResponder(o: { firstId?: number; created?: (id: number, r: Recorded) => void | Promise<void> } = {}): Responder {
  let id = o.firstId ?? 900;
  return async (r) => {
    if (r.method === 'POST' && r.path === '/app/installations/42/access_tokens') {
      const expires = new Date(Date.now() + 3600_000).toISOString();
      return { status: 201, body: { token: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a', expires_at: expires, permissions: { deployments: 'write' }, repository_selection: 'selected' } };
    }
    if (r.method === 'GET' && r.path === '/repos/acme/web/installation') {
      return { body: { id: 42, app_id: 1, target_type: 'Organization', account: { login: 'acme', id: 1, type: 'Organization' } } };
    }
    if (r.method === 'POST' && r.path === '/repos/acme/web/deployments') {
      const mine = ++id;
      await o.created?.(mine, r);
      const { ref, environment, payload } = r.body;
      return { status: 201, body: { id: mine, sha: ref, ref, environment, task: 'deploy', payload, created_at: new Date().toISOString() } };
    }
    if (r.method === 'POST' && /^\/repos\/acme\/web\/deployments\/\d+\/statuses$/.test(r.path)) return { status: 201, body: { id: 1, state: r.body.state } };
    return undefined;
  };
}
