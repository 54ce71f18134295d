/** A section of an HAProxy configuration: `frontend public`, `backend realtime`, `defaults`... */
export interface HaproxySection {
  kind: string;
  name: string;
  /** Directive lines, trimmed, comments removed. */
  lines: string[];
}

const SECTION_KINDS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'peers']);

export function parseHaproxyConfig(text: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const [keyword = '', name = ''] = line.split(/\s+/);
    if (SECTION_KINDS.has(keyword) && !/^\s/.test(raw)) {
      sections.push({ kind: keyword, name, lines: [] });
    } else {
      const current = sections.at(-1);
      if (!current) throw new Error(`directive outside any section: ${line}`);
      current.lines.push(line);
    }
  }
  return sections;
}

export function section(sections: HaproxySection[], kind: string, name: string): HaproxySection {
  const found = sections.find((s) => s.kind === kind && s.name === name);
  if (!found) throw new Error(`no "${kind} ${name}" section`);
  return found;
}

/** Ports of `bind [addr]:port` lines. */
export function bindPorts(s: HaproxySection): number[] {
  return s.lines.filter((l) => l.startsWith('bind ')).map((l) => Number(/:(\d+)(?:\s|$)/.exec(l)?.[1]));
}

export interface HaproxyServer {
  name: string;
  host: string;
  port: number;
}

export function servers(s: HaproxySection): HaproxyServer[] {
  return s.lines
    .filter((l) => l.startsWith('server '))
    .map((l) => {
      const [, name = '', address = ''] = l.split(/\s+/);
      const colon = address.lastIndexOf(':');
      return { name, host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
    });
}

/** The path a backend's HTTP health check requests (`http-check send ... uri <path>` or `option httpchk GET <path>`). */
export function healthCheckPath(s: HaproxySection): string | undefined {
  for (const l of s.lines) {
    const match = /^http-check send .*\buri (\S+)/.exec(l) ?? /^option httpchk (?:GET )?(\S+)/.exec(l);
    if (match) return match[1];
  }
  return undefined;
}

/** Backend names a frontend can send requests to. */
export function backendsOf(s: HaproxySection): string[] {
  return s.lines
    .map((l) => /^(?:use_backend|default_backend)\s+(\S+)/.exec(l)?.[1])
    .filter((name): name is string => name !== undefined);
}
