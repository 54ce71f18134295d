'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useCallback, useEffect, useState } from 'react';
import type { MapView } from '../../../map/map-view.ts';

/** The selected feature, shown on the map; cleared when the feature goes away (deleted by anyone). */
export function useSelection(client: MeridianClient | null, view: MapView | null) {
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => view?.setSelected(selected), [view, selected]);

  useEffect(() => {
    if (!client || !selected) return;
    const check = () => {
      if (!client.features.has(selected)) setSelected(null);
    };
    check();
    return client.on('featuresChanged', ({ ids }) => {
      if (ids === 'all' || ids.has(selected)) check();
    });
  }, [client, selected]);

  /** Select from the list: also bring the feature to the centre (at the zoom the person chose). */
  const reveal = useCallback(
    (id: string) => {
      setSelected(id);
      view?.centerOn(id);
    },
    [view],
  );

  return { selected, setSelected, reveal };
}
