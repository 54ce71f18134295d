import { readRepoFile } from './repo.ts';

function patternToRegExp(pattern: string): RegExp {
  let source = '';
  const body = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  for (let i = 0; i < body.length; i++) {
    const char = body[i] ?? '';
    if (body.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (body.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern that names a folder excludes everything inside it too.
  return new RegExp(`^${source}(?:/.*)?$`);
}

/** Whether the repository's .dockerignore keeps `relativePath` out of the build context (with `!` exceptions). */
export function dockerIgnores(relativePath: string): boolean {
  let ignored = false;
  for (const raw of readRepoFile('.dockerignore').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    if (patternToRegExp(negated ? line.slice(1) : line).test(relativePath)) ignored = !negated;
  }
  return ignored;
}
