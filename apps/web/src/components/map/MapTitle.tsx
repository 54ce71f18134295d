'use client';

import { LIMITS } from '@meridian/protocol';
import { useEffect, useState } from 'react';

/** The map's name; people who can edit rename it in place. */
export function MapTitle({
  name,
  editable,
  onRename,
}: {
  name: string;
  editable: boolean;
  onRename(name: string): void;
}) {
  const [draft, setDraft] = useState(name);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) setDraft(name);
  }, [name, focused]);

  if (!editable) {
    return (
      <h1 className="map-title" data-testid="map-title">
        {name}
      </h1>
    );
  }
  const commit = () => {
    const trimmed = draft.trim();
    if (trimmed && trimmed !== name) onRename(trimmed);
    else setDraft(name);
  };
  return (
    <h1 className="map-title">
      <input
        aria-label="Map name"
        data-testid="map-title"
        value={draft}
        maxLength={LIMITS.MAX_NAME_CHARS}
        onFocus={() => setFocused(true)}
        onBlur={() => {
          setFocused(false);
          commit();
        }}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') event.currentTarget.blur();
          if (event.key === 'Escape') {
            setDraft(name);
            event.currentTarget.blur();
          }
        }}
      />
    </h1>
  );
}
