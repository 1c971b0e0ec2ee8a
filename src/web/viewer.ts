import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../domain/identity.js';
import type { Voice } from '../i18n/voice.js';

/**
 * Who looks at a page. Signed in: the identity they proved (a GitHub login through OAuth, or the
 * chat identity a one-time link was issued to) and the config user behind it; policy goes by
 * that person, exactly as in chat. Anonymous viewers exist only when `web.publicRead` is on.
 */
export interface Viewer {
  /** undefined: not signed in (reading only, where the config allows it) */
  actor?: Actor;
  /** the config user behind the identity, if any */
  user?: string;
  /** the session's anti-CSRF token, put in every form this viewer gets */
  csrf?: string;
  /** the viewer's language and time zone (the config user's, else the defaults) */
  voice: Voice;
}

/**
 * Sessions and access, as the pages use them (src/web/auth/). A page asks `reader` first; an
 * action (a form post) asks `actor`, which checks the CSRF token of the form too.
 */
export interface WebAccess {
  /** the viewer, or undefined after answering (a redirect to sign in, or 403) when reading is not open to them */
  reader(req: IncomingMessage, res: ServerResponse): Promise<Viewer | undefined>;
  /**
   * the signed-in viewer of a state-changing form post whose `csrf` field matches their session,
   * or undefined after answering 403 (no session, no token, wrong token)
   */
  actor(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<(Viewer & { actor: Actor; csrf: string }) | undefined>;
}
