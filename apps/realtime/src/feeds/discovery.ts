/** Where a feed says its hub is, and its canonical URL (the WebSub topic). W3C WebSub §4. */
export interface Discovery {
  hub: string | null;
  self: string | null;
}

/** `Link: <https://hub.example/>; rel="hub", <https://feed.example/a>; rel="self"` (RFC 8288). */
function fromLinkHeader(header: string, base: string): Discovery {
  const found: Discovery = { hub: null, self: null };
  for (const match of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const target = match[1] ?? '';
    const rels =
      /rel\s*=\s*"?([^";,]+)"?/i
        .exec(match[2] ?? '')?.[1]
        ?.toLowerCase()
        .split(/\s+/) ?? [];
    const url = resolve(target, base);
    if (!url) continue;
    if (rels.includes('hub')) found.hub ??= url;
    if (rels.includes('self')) found.self ??= url;
  }
  return found;
}

/** `<link rel="hub" href="…"/>` or `<atom:link rel="hub" href="…"/>` in Atom, RSS or HTML. */
function fromDocument(text: string, base: string): Discovery {
  const found: Discovery = { hub: null, self: null };
  for (const match of text.matchAll(/<(?:[A-Za-z]+:)?link\b([^>]*)>/g)) {
    const attributes = match[1] ?? '';
    const rel = /\brel\s*=\s*["']([^"']*)["']/i.exec(attributes)?.[1]?.toLowerCase().split(/\s+/) ?? [];
    const href = /\bhref\s*=\s*["']([^"']*)["']/i.exec(attributes)?.[1];
    const url = href ? resolve(decodeEntities(href), base) : null;
    if (!url) continue;
    if (rel.includes('hub')) found.hub ??= url;
    if (rel.includes('self')) found.self ??= url;
  }
  return found;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"');
}

function resolve(target: string, base: string): string | null {
  try {
    return new URL(target, base).toString();
  } catch {
    return null;
  }
}

/**
 * Discover the hub and topic of a fetched feed. HTTP `Link` headers win over links in the body
 * (§4: publishers should use headers; subscribers must look at both). Without a `self` link the
 * URL fetched is the topic.
 */
export function discover(url: string, linkHeader: string | undefined, body: string): Discovery {
  const header = linkHeader ? fromLinkHeader(linkHeader, url) : { hub: null, self: null };
  const document = fromDocument(body, url);
  return { hub: header.hub ?? document.hub, self: header.self ?? document.self ?? url };
}
