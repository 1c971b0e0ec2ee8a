/**
 * Branch and tag patterns of auto-deploy rules: `*` matches within one path segment, `**` across
 * segments, `?` one character; everything else is literal. `v*` matches v1.2.3, `release/*`
 * matches release/1.2 but not release/1.2/hotfix.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}
