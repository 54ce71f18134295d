'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useRef, useState } from 'react';
import 'maplibre-gl/dist/maplibre-gl.css';
import type { Basemap } from '../../basemap/catalog.ts';
import { offlineStyle } from '../../basemap/style.ts';
import { feedLayersOf, LayerPresenter } from '../../layers/user-layers.ts';
import { type BasemapStyle, MapView, type MapViewCallbacks } from '../../map/map-view.ts';
import { watchSnapshotStream } from '../../map/snapshot-stream.ts';

const OFFLINE_ID = 'offline';

function offlineBasemap(): BasemapStyle {
  const origin = window.location.origin;
  return {
    id: OFFLINE_ID,
    style: offlineStyle(new URL('/basemap-overview.geojson', origin).href),
    remote: false,
    detailUrl: new URL('/basemap-detail.geojson', origin).href,
  };
}

function basemapStyle(basemap: Basemap): BasemapStyle {
  if (basemap.url === null) return { ...offlineBasemap(), id: basemap.id };
  return { id: basemap.id, style: basemap.url, remote: true, detailUrl: null };
}

export interface MapCanvasProps {
  client: MeridianClient | null;
  editable: boolean;
  /** The basemap this person chose (switching keeps the map's own layers). */
  basemap: Basemap;
  basemapFallbackMs: number;
  callbacks: MapViewCallbacks;
  onView(view: MapView | null): void;
  /** The user layers this person hid (their features are not drawn for them). */
  hiddenLayers: ReadonlySet<string>;
}

/** Hosts the MapLibre map (client-only: loaded with `ssr: false`) and feeds it the client's state. */
export default function MapCanvas({
  client,
  editable,
  basemap,
  basemapFallbackMs,
  callbacks,
  onView,
  hiddenLayers,
}: MapCanvasProps) {
  const container = useRef<HTMLDivElement>(null);
  const latest = useRef({ callbacks, onView, editable, basemap, basemapFallbackMs });
  const [view, setView] = useState<MapView | null>(null);

  useEffect(() => {
    latest.current = { callbacks, onView, editable, basemap, basemapFallbackMs };
  });

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    // Indirection so the map, created once, always calls the latest React callbacks.
    const forward = new Proxy({} as MapViewCallbacks, {
      get: (_target, name: keyof MapViewCallbacks) => latest.current.callbacks[name],
    });
    const mapView = new MapView({
      container: element,
      basemap: basemapStyle(latest.current.basemap),
      offlineBasemap: offlineBasemap(),
      basemapFallbackMs: latest.current.basemapFallbackMs,
      editable: latest.current.editable,
      callbacks: forward,
    });
    setView(mapView);
    latest.current.onView(mapView);
    return () => {
      latest.current.onView(null);
      setView(null);
      mapView.destroy();
    };
  }, []);

  useEffect(() => {
    view?.setBasemap(basemapStyle(basemap));
  }, [view, basemap]);

  useEffect(() => {
    view?.setEditable(editable);
  }, [view, editable]);

  useEffect(() => {
    if (!view || !client) return;
    // The map draws the features as the user layers present them (defaults, order, hidden ones).
    const presenter = new LayerPresenter();
    const draw = (ids: ReadonlySet<string> | 'all', change: Parameters<MapView['setFeatures']>[2] = {}) => {
      view.setLayers(feedLayersOf(client.layers));
      const changed = presenter.update(client.features, client.layers, hiddenLayers, ids);
      view.setFeatures(presenter.features, changed, change);
      if (changed === 'all') view.redrawFeatures();
    };
    // Before the draw below hears of a chunk: a streaming snapshot is drawn in doubling steps.
    const offStream = watchSnapshotStream(client, (streaming) => view.setStreaming(streaming));
    draw('all');
    view.setPeers(client.peers);
    const offState = client.on('featuresChanged', ({ ids, origin, by, bulk }) =>
      draw(ids, {
        local: origin === 'local',
        ...(bulk
          ? { bulk: { ...(bulk.batch ? { batch: bulk.batch } : {}), ...(by ? { from: by.clientId } : {}) } }
          : {}),
      }),
    );
    const offPresence = client.on('presence', (peers) => view.setPeers(peers));
    return () => {
      offStream();
      offState();
      offPresence();
    };
  }, [view, client, hiddenLayers]);

  return <div ref={container} className="map-canvas" data-testid="map" role="application" aria-label="Map" />;
}
