'use client';

import type { FeatureProperties } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { useCallback, useEffect, useState } from 'react';
import { colorProperties } from '../../../features/render-features.ts';
import { loadHiddenLayers, saveHiddenLayers, toggled } from '../../../layers/hidden-layers.ts';

function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * This person's side of user layers: which layers they hide (kept per map in localStorage, never
 * sent) and which layer their new features go into.
 */
export function useUserLayers(mapId: string, client: MeridianClient | null) {
  const [hidden, setHidden] = useState<ReadonlySet<string>>(() => new Set());
  const [active, setActive] = useState<string | null>(null);

  useEffect(() => setHidden(loadHiddenLayers(browserStorage(), mapId)), [mapId]);

  const toggleHidden = useCallback(
    (id: string) =>
      setHidden((current) => {
        const next = toggled(current, id);
        saveHiddenLayers(browserStorage(), mapId, next);
        return next;
      }),
    [mapId],
  );

  /** A new feature's properties: into the active layer (which styles it), else in this person's colour. */
  const newFeatureProperties = (color: string): FeatureProperties =>
    active && client?.layers.get(active)?.kind === 'user' ? { layer: active } : colorProperties(color);

  return { hidden, toggleHidden, active, setActive, newFeatureProperties };
}
