'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useCallback, useEffect, useState } from 'react';
import type { MapView } from '../../../map/map-view.ts';

/**
 * The selection: one feature (its details and handles), or several picked with shift-click on the
 * map or in the list, or with a shift-drag box on the map (styled together). The last picked is the primary one. Features that go away
 * (deleted by anyone) leave the selection.
 */
export function useSelection(client: MeridianClient | null, view: MapView | null) {
  const [selection, setSelection] = useState<readonly string[]>([]);
  const selected = selection.length === 1 ? (selection[0] ?? null) : null;

  useEffect(() => view?.setSelection(selection), [view, selection]);

  useEffect(() => {
    if (!client || selection.length === 0) return;
    const check = () => {
      setSelection((current) => {
        const kept = current.filter((id) => client.features.has(id));
        return kept.length === current.length ? current : kept;
      });
    };
    check();
    return client.on('featuresChanged', ({ ids }) => {
      if (ids === 'all' || selection.some((id) => ids.has(id))) check();
    });
  }, [client, selection]);

  const setSelected = useCallback((id: string | null) => setSelection(id ? [id] : []), []);

  /** Shift-click: add a feature to the selection, or take it out. */
  const toggle = useCallback(
    (id: string) =>
      setSelection((current) =>
        current.includes(id) ? current.filter((other) => other !== id) : [...current, id],
      ),
    [],
  );

  /** A box drawn on the map: what it encloses joins the selection. */
  const add = useCallback(
    (ids: readonly string[]) =>
      setSelection((current) => [...current, ...ids.filter((id) => !current.includes(id))]),
    [],
  );

  /** Select from the list: also bring the feature to the centre (at the zoom the person chose). */
  const reveal = useCallback(
    (id: string) => {
      setSelection([id]);
      view?.centerOn(id);
    },
    [view],
  );

  return { selected, selection, setSelected, toggle, add, reveal };
}
