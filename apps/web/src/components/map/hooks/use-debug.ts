import { useEffect, useState } from 'react';
import type { MapView } from '../../../map/map-view.ts';

declare global {
  interface Window {
    /** With `?debug`: the MapLibre map, for tests and for developers at the console. */
    meridianMap?: MapView['map'];
  }
}

/** Developer tools (the traffic inspector, the map handle) appear only with `?debug` in the address. */
export function useDebugSwitch(view: MapView | null): boolean {
  const [debug, setDebug] = useState(false);
  useEffect(() => {
    setDebug(new URLSearchParams(window.location.search).has('debug'));
  }, []);
  useEffect(() => {
    if (!debug || !view) return;
    window.meridianMap = view.map;
    return () => {
      delete window.meridianMap;
    };
  }, [debug, view]);
  return debug;
}
