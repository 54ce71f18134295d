import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  BASEMAP_STORAGE_KEY,
  type Basemap,
  chooseBasemap,
  OFFLINE_BASEMAP_ID,
} from '../../../basemap/catalog.ts';

export interface BasemapFallback {
  failedName: string;
  reason: string;
}

/**
 * The person's basemap: their own choice on this device (localStorage), else the operator's default.
 * `basemap` is what was asked for; `shown` is what the map draws, the offline basemap after an
 * automatic fallback (the switcher shows that, not the choice that failed).
 */
export function useBasemap(basemaps: readonly Basemap[], defaultId: string) {
  const [storedId, setStoredId] = useState<string | null>(null);
  const [fallback, setFallback] = useState<BasemapFallback | null>(null);
  const [fellBackFrom, setFellBackFrom] = useState<string | null>(null);
  /** Each choice is a new attempt: choosing the basemap that failed tries it again. */
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    setStoredId(window.localStorage.getItem(BASEMAP_STORAGE_KEY));
  }, []);

  const basemap = useMemo(() => {
    // A fresh object per attempt, so the map is asked to load it again.
    void attempt;
    return { ...chooseBasemap(basemaps, defaultId, storedId) };
  }, [basemaps, defaultId, storedId, attempt]);
  const offline = basemaps.find((b) => b.id === OFFLINE_BASEMAP_ID);
  const shown = fellBackFrom === basemap.id && offline ? offline : basemap;

  const choose = useCallback((id: string) => {
    window.localStorage.setItem(BASEMAP_STORAGE_KEY, id);
    setStoredId(id);
    setFallback(null);
    setFellBackFrom(null);
    setAttempt((n) => n + 1);
  }, []);

  const fellBack = useCallback(
    (failedId: string, reason: string) => {
      setFellBackFrom(failedId);
      setFallback({ failedName: basemaps.find((b) => b.id === failedId)?.name ?? failedId, reason });
    },
    [basemaps],
  );

  return { basemap, shown, choose, fallback, fellBack, dismissFallback: () => setFallback(null) };
}
