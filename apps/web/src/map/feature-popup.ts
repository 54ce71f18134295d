import type { Feature } from '@meridian/protocol';
import { popupContent, type TextPart } from '../features/popup-content.ts';

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

/** Text goes in as text nodes, links as anchors that open apart from this page (no opener, no referrer). */
function appendParts(parent: HTMLElement, parts: TextPart[]): void {
  for (const part of parts) {
    if ('href' in part) {
      const link = element('a');
      link.href = part.href;
      link.target = '_blank';
      link.rel = 'noopener noreferrer nofollow';
      link.textContent = part.text;
      parent.append(link);
    } else {
      parent.append(document.createTextNode(part.text));
    }
  }
}

/** A feature's popup, built as DOM nodes: no property value is ever parsed as HTML. */
export function featurePopup(feature: Feature): HTMLElement {
  const content = popupContent(feature);
  const root = element('div', 'feature-popup-body');
  root.dataset.testid = 'feature-popup';
  root.dataset.featureId = feature.id;
  const title = element('h3');
  title.textContent = content.title || 'Untitled';
  root.append(title);
  if (content.description.length > 0) {
    const description = element('p', 'feature-popup-description');
    appendParts(description, content.description);
    root.append(description);
  }
  if (content.link) {
    const paragraph = element('p');
    appendParts(paragraph, [{ text: 'Open the link', href: content.link }]);
    root.append(paragraph);
  }
  if (content.rows.length > 0) {
    const table = element('table', 'feature-popup-properties');
    for (const row of content.rows) {
      const tr = element('tr');
      const key = element('th');
      key.scope = 'row';
      key.textContent = row.key;
      const value = element('td');
      appendParts(value, row.value);
      tr.append(key, value);
      table.append(tr);
    }
    root.append(table);
  }
  if (content.more > 0) {
    const more = element('p', 'muted');
    more.textContent = `and ${content.more} more properties`;
    root.append(more);
  }
  return root;
}
