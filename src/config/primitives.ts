import { z } from 'zod';

/** The small schemas every part of the config (and each format's or face's fragment) builds on. */

/** `<platform>:<id>`: who someone is on one platform. */
export const IdentitySchema = z
  .string()
  .regex(/^(slack|dingtalk|github|shell|email):[A-Za-z0-9._@+-]{1,128}$/, {
    message: 'must look like <platform>:<id> with platform slack, dingtalk, github, shell or email',
  });
export type Identity = z.infer<typeof IdentitySchema>;

export const NameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and dashes, starting with a letter' });

/** A group name, a user name, an identity, or `*` (anyone gantry knows). */
export const PrincipalSchema = z.string().min(1).max(140);

export const DurationSchema = z
  .string()
  .regex(/^(\d+(ms|s|m|h|d))+$/, { message: 'must be a duration such as 30m, 1h or 2d12h' });

/** A path inside the deploy repo: relative, no `..`, no odd characters. */
export const RepoPathSchema = z
  .string()
  .min(1)
  .max(400)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/]+$/, {
    message: 'must be a relative path inside the deploy repo (letters, digits, . _ - /; no ..)',
  });
