/**
 * Low-level error text (`getaddrinfo ENOTFOUND earthquake.usgs.gov`, `connect ECONNREFUSED
 * 127.0.0.1:9`) in words a person reads. The raw text stays available: callers show it behind a
 * "Details" toggle.
 */
export interface HumanError {
  message: string;
  /** The original text, when the message says it differently. */
  detail: string | null;
}

const RULES: { pattern: RegExp; say(match: RegExpExecArray): string }[] = [
  { pattern: /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (\S+)/, say: (m) => `Could not reach ${m[1]}` },
  { pattern: /(?:connect )?ECONNREFUSED (\S+)/, say: (m) => `${m[1]} refused the connection` },
  { pattern: /ECONNRESET|socket hang up/, say: () => 'The connection was cut off' },
  {
    pattern: /(?:The operation was )?aborted due to timeout|(?:connect )?ETIMEDOUT|timed? ?out|TimeoutError/i,
    say: () => 'It took too long to answer',
  },
  {
    pattern: /CERT_|certificate|self[- ]signed|UNABLE_TO_VERIFY/i,
    say: () => 'The secure connection failed (certificate problem)',
  },
  {
    pattern: /\bHTTP (\d{3})\b|\bstatus(?: code)? (\d{3})\b/i,
    say: (m) => `The server answered ${m[1] ?? m[2]}`,
  },
  { pattern: /Failed to fetch|NetworkError|Load failed/i, say: () => 'Could not reach the server' },
];

export function humanError(raw: string): HumanError {
  const text = raw.trim();
  for (const rule of RULES) {
    const match = rule.pattern.exec(text);
    if (!match) continue;
    const said = rule.say(match);
    // Keep what came before the low-level part (`hub unreachable: …`) as context.
    const context = text.slice(0, match.index).replace(/[:\s-]+$/, '');
    const message = context && !/error$/i.test(context) ? `${said} (${context})` : said;
    return { message, detail: text };
  }
  return { message: text, detail: null };
}
