import type { Services } from '../../src/runtime/services.js';

/** A signed-in browser, as far as HTTP goes: the Cookie header to send and the session's CSRF token for forms. */
export interface SignedIn {
  cookie: string;
  csrf: string;
}

/**
 * Signs `identity` in to the gantry web at `baseUrl` the way a person does: `/gantry login` as
 * that identity (through the services' execute, as any chat face runs it), then the link page
 * and its button, with real HTTP requests. The CSRF token is read from the sign-in page's
 * sign-out form. Throws, saying where, when any step does not go as it should.
 */
export async function signInAs(baseUrl: string, execute: Services['execute'], identity: string): Promise<SignedIn> {
  const reply = await execute('/gantry login', { actor: { id: identity } });
  if (!reply.ok || reply.kind !== 'login-link') throw new Error(`/gantry login as ${identity} did not give a link: ${JSON.stringify(reply)}`);
  const page = await fetch(reply.url);
  if (page.status !== 200) throw new Error(`GET ${reply.url}: ${page.status}`);
  const post = await fetch(reply.url, { method: 'POST', redirect: 'manual', headers: { origin: new URL(baseUrl).origin } });
  const set = post.headers.get('set-cookie') ?? '';
  // __Host-gantry_session over https (src/web/auth/index.ts)
  const cookie = /^((?:__Host-)?gantry_session=[^;]+)/.exec(set)?.[1];
  if (post.status !== 303 || !cookie) throw new Error(`POST ${reply.url}: ${post.status}, no session cookie`);
  const login = await (await fetch(`${baseUrl}/login`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(login)?.[1];
  if (!csrf) throw new Error(`GET ${baseUrl}/login as ${identity}: no CSRF token in the page`);
  return { cookie, csrf };
}
