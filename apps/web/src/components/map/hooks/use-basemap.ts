import { useCallback, useEffect, useMemo, useState } from 'react';
import { BASEMAP_STORAGE_KEY, type Basemap, chooseBasemap } from '../../../basemap/catalog.ts';

export interface BasemapFallback {
  failedName: string;
  reason: string;
}

/** The person's basemap: their own choice on this device (localStorage), else the operator's default. */
export function useBasemap(basemaps: readonly Basemap[], defaultId: string) {
  const [storedId, setStoredId] = useState<string | null>(null);
  const [fallback, setFallback] = useState<BasemapFallback | null>(null);

  useEffect(() => {
    setStoredId(window.localStorage.getItem(BASEMAP_STORAGE_KEY));
  }, []);

  const basemap = useMemo(
    () => chooseBasemap(basemaps, defaultId, storedId),
    [basemaps, defaultId, storedId],
  );

  const choose = useCallback((id: string) => {
    window.localStorage.setItem(BASEMAP_STORAGE_KEY, id);
    setStoredId(id);
    setFallback(null);
  }, []);

  const fellBack = useCallback(
    (failedId: string, reason: string) =>
      setFallback({ failedName: basemaps.find((b) => b.id === failedId)?.name ?? failedId, reason }),
    [basemaps],
  );

  return { basemap, choose, fallback, fellBack, dismissFallback: () => setFallback(null) };
}
