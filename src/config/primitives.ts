import { z } from 'zod';

/** The small schemas every part of the config (and each format's or face's fragment) builds on. */

export const IdentitySchema = z
  .string()
  .regex(/^(slack|dingtalk|github|shell|email):[A-Za-z0-9._@+-]{1,128}$/, {
    message: 'must look like <platform>:<id> with platform slack, dingtalk, github, shell or email',
  })
  .describe('who someone is on one platform: slack:U024BE7LH, dingtalk:<staffId>, github:<login>, shell:<name> or email:<address>');
export type Identity = z.infer<typeof IdentitySchema>;

export const NameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { message: 'must be lower-case letters, digits and dashes, starting with a letter' });

export const PrincipalSchema = z
  .string()
  .min(1)
  .max(140)
  .describe('a group name, a user name, an identity (slack:U024BE7LH, shell:alice, …) or * (anyone gantry knows)');

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
