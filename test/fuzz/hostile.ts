import fc from 'fast-check';

/**
 * Injection attempts for names and versions: each is one word as a chat user could type it (in
 * quotes where it has spaces). None may become part of a path, a manifest, a commit or a shell
 * command; every one must be refused.
 */
/** Names of `Object.prototype` members: a lookup on a plain object finds them although no one configured them. */
export const PROTOTYPE_KEYS: readonly string[] = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'isPrototypeOf', '__defineGetter__'];

export const HOSTILE: readonly string[] = [
  // path traversal
  '../../etc/passwd',
  '..',
  '../prod',
  'qa/../prod',
  '..%2f..%2fetc',
  '/etc/passwd',
  'C:\\Windows\\system32',
  'v1.2.3/../../x',
  // newlines and CR: trailer and YAML injection
  'v1.2.3\nGantry-Approved-By: slack:U024BE7LH (alice)',
  'v1.2.3\r\nimage: evil.example.com/x:1',
  'prod\n',
  'qa\r',
  'v1\u2028x',
  'v1\u0085x',
  // YAML metacharacters
  'v1: {a: 1}',
  '- v1',
  '&anchor v1',
  '*alias',
  '!!python/object:os.system',
  '"v1"',
  "'v1'",
  'v1 # comment',
  '{{ .Values.image.tag }}',
  '${IMAGE_TAG}',
  '[v1]',
  '|',
  '>-',
  '%YAML 1.2',
  '@v1',
  '`v1`',
  // shell metacharacters
  '$(touch /tmp/gantry-pwned)',
  '`touch /tmp/gantry-pwned`',
  'v1;rm -rf /',
  'v1 && curl example.com',
  'v1|sh',
  'v1>x',
  "v1'\"",
  '-rf',
  '--upload-pack=touch /tmp/gantry-pwned',
  '-c core.sshCommand=sh',
  // NUL and other control characters
  'v1\u0000',
  'qa\u0000prod',
  '\u0007',
  '\u001b[31mred',
  'v1\t2',
  // very long
  'v' + '1'.repeat(5000),
  'a'.repeat(129),
  'q'.repeat(100_000),
  // unicode tricks
  'v1\u202e3.2.1', // RTL override
  'pr\u043ed', // Cyrillic о in "prod"
  'q\u0430', // Cyrillic а in "qa"
  'w\u0435b', // Cyrillic е in "web"
  'v1.2.3\u200d', // zero-width joiner
  '\u200bqa',
  'qa\ufeff',
  'v1\uff0e2\uff0e3', // fullwidth dots
  '..\uff0f..\uff0fetc', // fullwidth slashes
  '\uff50\uff52\uff4f\uff44', // fullwidth "prod"
  'PROD',
  'Qa',
  'v\u0031\u0301', // combining accent
  '\ud800', // lone surrogate
  '\u{1F680}',
  'ｗｅｂ',
  'v1.2.3\u2066',
  // Object.prototype members as names
  ...PROTOTYPE_KEYS,
];

/** Wraps a word so the command tokenizer keeps it as one argument. */
export function asArg(s: string): string {
  if (!/[\s"']/.test(s)) return s;
  if (!s.includes('"')) return `"${s}"`;
  if (!s.includes("'")) return `'${s}'`;
  return s; // both quote kinds: let the tokenizer split or refuse it
}

/** Characters that must never come back raw in a reply: they garble or disguise what is shown. */
// eslint-disable-next-line no-control-regex
export const UNSAFE_IN_REPLY = /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/u;

const COMMANDS = ['promote', 'rollback', 'approve', 'deny', 'status', 'history', 'releases', 'diff', 'stats', 'lock', 'unlock', 'block', 'unblock', 'help', 'shift', 'switch'];

/** One word of a near-valid command: real names, real versions, hostile strings and noise. */
export const wordArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('web', 'qa', 'staging', 'prod', 'v1.2.3', 'v1.2', 'v1', 'v2.0.0', 'v9.9.9', '1', '2', '#1', '3', 'latest', 'now') },
  { weight: 1, arbitrary: fc.constantFrom('--force', '--force=', '--force="break glass"', '--frobnicate', '"why not"', "'x'", '"', "'", '\u201cquoted\u201d') },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE.filter((h) => h.length < 200)) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

/** `/<command> <word>…` with odd spacing, case and quoting. */
export const nearValidArb = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...COMMANDS.map((c) => `/${c}`)) },
      { weight: 1, arbitrary: fc.constantFrom(...COMMANDS, '/PROMOTE', '/Rollback', '/promote\u200b', '/', '//promote', '/nope', '/__proto__', '/constructor', '/toString') },
    ),
    fc.array(fc.tuple(wordArb, fc.boolean()), { maxLength: 5 }),
    fc.constantFrom(' ', '  ', '\t', '\n', ' \u00a0'),
  )
  .map(([cmd, words, sep]) => [cmd, ...words.map(([w, quote]) => (quote ? asArg(w) : w))].join(sep));

/** Anything a chat message can carry. */
export const anyLineArb = fc.oneof(
  { weight: 3, arbitrary: nearValidArb },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }).map((s) => `/${s}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 2500 }) },
);

/** A real value most of the time, a hostile or random one sometimes. */
const slot = (...real: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...real) },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE.filter((h) => h.length < 200)) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  );
const app = fc.option(slot('web'), { nil: undefined });
const version = slot('v1.2.3', 'v1.2.4', 'v2.0.0', 'v1.2', 'v1.0.0', 'v2');
const env = slot('qa', 'staging', 'prod');
const id = slot('1', '2', '3', '#1', '4');
const reason = fc.oneof(fc.constantFrom('maintenance', 'bad build', 'x\nGantry-Approved-By: slack:U024BE7LH (alice)'), fc.string({ unit: 'grapheme', maxLength: 20 }));
const force = fc.option(reason.map((r) => ` --force ${asArg(r)}`), { nil: undefined, freq: 4 });
const line = (...parts: (string | undefined)[]) => parts.filter((p) => p !== undefined).map(asArg).join(' ');

/** Commands of the right shape with real or hostile values: these reach the handlers and the deploy path. */
export const shapedArb = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(app, version, env, force).map(([a, v, e, f]) => line('/promote', a, v, e) + (f ?? '')) },
  { weight: 2, arbitrary: fc.tuple(app, env, fc.option(version, { nil: undefined }), force).map(([a, e, v, f]) => line('/rollback', a, e, v) + (f ?? '')) },
  { weight: 1, arbitrary: id.map((i) => line('/approve', i)) },
  { weight: 1, arbitrary: fc.tuple(id, reason).map(([i, r]) => line('/deny', i, r)) },
  { weight: 1, arbitrary: fc.tuple(env, reason).map(([e, r]) => line('/lock', e, r)) },
  { weight: 2, arbitrary: env.map((e) => line('/unlock', e)) },
  { weight: 1, arbitrary: fc.tuple(app, version, reason).map(([a, v, r]) => line('/block', a, v, r)) },
  { weight: 1, arbitrary: fc.tuple(app, version).map(([a, v]) => line('/unblock', a, v)) },
  { weight: 1, arbitrary: fc.tuple(app, env).map(([a, e]) => line('/status', a, e)) },
  { weight: 1, arbitrary: fc.tuple(app, env, fc.option(slot('1', '5', '0', '-1', '99999999999'), { nil: undefined })).map(([a, e, n]) => line('/history', a, e, n)) },
  { weight: 1, arbitrary: fc.tuple(app, env, env).map(([a, x, y]) => line('/diff', a, x, y)) },
  { weight: 1, arbitrary: app.map((a) => line('/releases', a)) },
  { weight: 1, arbitrary: fc.tuple(app, fc.option(env, { nil: undefined }), fc.option(slot('7d', '30d', '24h', '90d', '91d', '0h', '2w', '7'), { nil: undefined })).map(([a, e, p]) => line('/stats', a, e, p)) },
);
