'use client';

import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useRef, useState } from 'react';
import 'maplibre-gl/dist/maplibre-gl.css';
import { offlineStyle } from '../../basemap/style.ts';
import { MapView, type MapViewCallbacks } from '../../map/map-view.ts';

export interface MapCanvasProps {
  client: MeridianClient | null;
  editable: boolean;
  /** A remote style URL, or null for the embedded offline basemap. */
  styleUrl: string | null;
  callbacks: MapViewCallbacks;
  onView(view: MapView | null): void;
}

/** Hosts the MapLibre map (client-only: loaded with `ssr: false`) and feeds it the client's state. */
export default function MapCanvas({ client, editable, styleUrl, callbacks, onView }: MapCanvasProps) {
  const container = useRef<HTMLDivElement>(null);
  const latest = useRef({ callbacks, onView, editable });
  const [view, setView] = useState<MapView | null>(null);

  useEffect(() => {
    latest.current = { callbacks, onView, editable };
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
      style: styleUrl ?? offlineStyle(new URL('/basemap-overview.geojson', window.location.origin).href),
      basemapDetailUrl: styleUrl ? null : new URL('/basemap-detail.geojson', window.location.origin).href,
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
  }, [styleUrl]);

  useEffect(() => {
    view?.setEditable(editable);
  }, [view, editable]);

  useEffect(() => {
    if (!view || !client) return;
    view.setLayers(client.layers.values());
    view.setFeatures(client.features, 'all');
    view.setPeers(client.peers);
    const offState = client.on('featuresChanged', ({ ids }) => {
      view.setLayers(client.layers.values());
      view.setFeatures(client.features, ids);
    });
    const offPresence = client.on('presence', (peers) => view.setPeers(peers));
    return () => {
      offState();
      offPresence();
    };
  }, [view, client]);

  return <div ref={container} className="map-canvas" data-testid="map" role="application" aria-label="Map" />;
}
