'use client';

import type { Cursor, FeaturePropertiesPatch, Geometry, Role, Viewport } from '@meridian/protocol';
import { type FrameEvent, MeridianClient } from '@meridian/protocol/client';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { createViewLinkAction, refreshSessionAction } from '../../app/m/[mapId]/actions.ts';
import { exportGeoJson, importGeoJson } from '../../features/geojson-io.ts';
import { isFeedFeature } from '../../features/render-features.ts';
import { layerColors as assignLayerColors } from '../../layers/layer-colors.ts';
import type { DrawMode, MapView, MapViewCallbacks } from '../../map/map-view.ts';
import { type Identity, loadIdentity, saveIdentity } from '../../presence/identity.ts';
import { Editor } from '../../session/editor.ts';
import { rememberMap } from '../../session/recent-maps.ts';
import { useClientVersion } from '../../session/use-client.ts';
import { TrafficInspector } from '../inspector/TrafficInspector.tsx';
import { ConnectionStatus } from './ConnectionStatus.tsx';
import { FeatureList } from './FeatureList.tsx';
import { Inspector } from './Inspector.tsx';
import { LiveLayers } from './LiveLayers.tsx';
import { MapTitle } from './MapTitle.tsx';
import { NameDialog } from './NameDialog.tsx';
import { PresenceBar } from './PresenceBar.tsx';
import { SharePanel } from './SharePanel.tsx';
import { type Toast, Toasts } from './Toasts.tsx';
import { Toolbar } from './Toolbar.tsx';

const MapCanvas = dynamic(() => import('./MapCanvas.tsx'), {
  ssr: false,
  loading: () => <div className="map-canvas loading">Loading map…</div>,
});

export interface MapAppProps {
  mapId: string;
  initialName: string;
  role: Role;
  /** The share key this page was opened with; it buys fresh tokens on reconnect. */
  shareKey: string;
  token: string;
  tokenExpiresAt: number;
  realtimeUrl: string;
  styleUrl: string | null;
  shareLinks: { edit: string; view: string | null } | null;
}

/** Someone else changed a feature this recently: show them as editing it. */
const REMOTE_EDIT_WINDOW_MS = 8000;
const TOAST_MS = 6000;
const FOLLOW_EASE_MS = 250;
const SUMMON_EASE_MS = 700;
/** Refresh a token this long before it expires rather than reconnect with a stale one. */
const TOKEN_MARGIN_MS = 30_000;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function touchedFeature(frame: FrameEvent): { featureId: string; clientId: string } | null {
  if (frame.direction !== 'in' || frame.type !== 'op') return null;
  try {
    const message = JSON.parse(frame.data) as {
      record?: { clientId?: string; op?: { kind?: string; id?: string; feature?: { id?: string } } };
    };
    const record = message.record;
    // Layer ops name layers, not features; feed entries are nobody's edit.
    if (!record?.op?.kind?.startsWith('feature.')) return null;
    const featureId = record?.op?.id ?? record?.op?.feature?.id;
    return record?.clientId && featureId ? { featureId, clientId: record.clientId } : null;
  } catch {
    return null;
  }
}

export function MapApp(props: MapAppProps) {
  const [identity, setIdentity] = useState<Identity | null>(null);
  const [nameDialog, setNameDialog] = useState<'required' | 'edit' | null>(null);
  const [client, setClient] = useState<MeridianClient | null>(null);
  const [view, setView] = useState<MapView | null>(null);
  const [mode, setModeState] = useState<DrawMode>('select');
  const [selected, setSelected] = useState<string | null>(null);
  const [draftVertices, setDraftVertices] = useState(0);
  const [following, setFollowing] = useState<string | null>(null);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [shareOpen, setShareOpen] = useState(false);
  /** A view link minted in this session, when the page did not come with one (see SharePanel). */
  const [mintedViewLink, setMintedViewLink] = useState<string | null>(null);
  const [remoteEdits, setRemoteEdits] = useState<Map<string, { clientId: string; at: number }>>(new Map());
  const token = useRef({ token: props.token, expiresAt: props.tokenExpiresAt, used: false });

  const notify = useCallback((message: string, tone: Toast['tone'] = 'info') => {
    const id = Date.now() + Math.random();
    // A failure that repeats on every reconnect attempt is shown once, not stacked.
    setToasts((list) =>
      list.some((t) => t.message === message) ? list : [...list.slice(-3), { id, tone, message }],
    );
    setTimeout(() => setToasts((list) => list.filter((t) => t.id !== id)), TOAST_MS);
  }, []);

  // ---- identity: asked once per device ----
  useEffect(() => {
    const stored = loadIdentity(window.localStorage);
    if (stored) setIdentity(stored);
    else setNameDialog('required');
  }, []);

  const saveName = (name: string) => {
    const saved = saveIdentity(window.localStorage, name, identity?.deviceId ?? crypto.randomUUID());
    setIdentity(saved);
    setNameDialog(null);
    client?.setUser({ name: saved.name, color: saved.color });
  };

  // ---- the realtime client ----
  const identityKey = identity ? `${identity.deviceId}` : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one client per map and device; name changes go through setUser.
  useEffect(() => {
    if (!identity) return;
    const meridian = new MeridianClient({
      url: props.realtimeUrl,
      mapId: props.mapId,
      user: { name: identity.name, color: identity.color },
      getToken: async () => {
        const current = token.current;
        if (!current.used && current.expiresAt - Date.now() > TOKEN_MARGIN_MS) {
          current.used = true;
          return current.token;
        }
        try {
          const fresh = await refreshSessionAction(props.mapId, props.shareKey);
          if (!fresh.ok) throw new Error(fresh.message);
          token.current = { token: fresh.token, expiresAt: fresh.expiresAt, used: true };
          return fresh.token;
        } catch (error) {
          // Offline, the web server is as unreachable as the realtime one: retry with what we have.
          if (error instanceof TypeError || !navigator.onLine) return current.token;
          throw error;
        }
      },
    });
    setClient(meridian);
    meridian.connect();
    // Back online: try now rather than wait out a backoff that grew while the network was down.
    const onOnline = () => meridian.reconnectNow();
    window.addEventListener('online', onOnline);
    return () => {
      window.removeEventListener('online', onOnline);
      meridian.close();
      setClient(null);
    };
  }, [identityKey, props.mapId, props.realtimeUrl]);

  const editor = useMemo(() => (client ? new Editor(client) : null), [client]);
  useEffect(() => () => editor?.dispose(), [editor]);
  const editorVersion = useSyncExternalStore(
    editor?.subscribe ?? (() => () => {}),
    () => editor?.version ?? 0,
    () => 0,
  );
  const stateVersion = useClientVersion(client, ['state', 'status']);

  const role: Role = client?.role ?? props.role;
  const editable = role === 'edit';
  const mapName = client?.mapName || props.initialName;
  const selectedFeature = selected ? client?.features.get(selected) : undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: stateVersion says the client's layers (a live view) changed.
  const layerColors = useMemo(
    () => assignLayerColors(client ? client.layers.values() : []),
    [client, stateVersion],
  );
  const selectedLayer = selectedFeature?.properties.layer;
  const selectedLayerInfo = selectedLayer
    ? {
        name: client?.layers.get(selectedLayer)?.name ?? 'feed',
        color: layerColors.get(selectedLayer) ?? '#57534e',
      }
    : null;

  // ---- events from the client ----
  useEffect(() => {
    if (!client) return;
    let remembered = false;
    const offs = [
      client.on('status', (status) => {
        if (status === 'open' && !remembered) {
          remembered = true;
          rememberMap(window.localStorage, {
            id: props.mapId,
            name: client.mapName || props.initialName,
            path: `/m/${encodeURIComponent(props.mapId)}?key=${encodeURIComponent(props.shareKey)}`,
            role: client.role ?? props.role,
            openedAt: Date.now(),
          });
        }
      }),
      client.on('reject', (event) => notify(`Your change was not saved: ${event.message}`, 'error')),
      client.on('error', (event) => notify(event.message, 'error')),
      client.on('summon', (from, viewport) => {
        const name = client.peers.get(from)?.name ?? 'Someone';
        setFollowing(null);
        view?.showViewport(viewport, SUMMON_EASE_MS);
        notify(`${name} brought everyone to their view.`);
      }),
      client.on('frame', (frame) => {
        const touched = touchedFeature(frame);
        if (!touched || touched.clientId === client.clientId) return;
        setRemoteEdits((edits) =>
          new Map(edits).set(touched.featureId, { clientId: touched.clientId, at: Date.now() }),
        );
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [client, view, notify, props.mapId, props.initialName, props.shareKey, props.role]);

  // Forget remote edits once they are old.
  useEffect(() => {
    if (remoteEdits.size === 0) return;
    const timer = setInterval(() => {
      const cutoff = Date.now() - REMOTE_EDIT_WINDOW_MS;
      setRemoteEdits((edits) => new Map([...edits].filter(([, edit]) => edit.at > cutoff)));
    }, 1000);
    return () => clearInterval(timer);
  }, [remoteEdits.size]);

  const presenceVersion = useClientVersion(client, ['presence']);
  // biome-ignore lint/correctness/useExhaustiveDependencies: presenceVersion says the peers (mutated in place) changed.
  const badges = useMemo(() => {
    if (!client) return [];
    return [...remoteEdits].flatMap(([featureId, edit]) => {
      const peer = client.peers.get(edit.clientId);
      return peer ? [{ featureId, name: peer.name, color: peer.color }] : [];
    });
  }, [client, remoteEdits, presenceVersion]);
  useEffect(() => view?.setEditorBadges(badges), [view, badges]);

  useEffect(() => {
    document.title = `${mapName} · Meridian`;
  }, [mapName]);

  // ---- following someone's view ----
  useEffect(() => {
    if (!client || !view || !following) return;
    let shown = '';
    const track = () => {
      const peer = client.peers.get(following);
      if (!peer) {
        if (client.status === 'open') {
          setFollowing(null);
          client.follow(null);
        }
        return;
      }
      // Presence events come for everyone; only a new viewport of the followed person moves the map.
      const key = peer.viewport ? JSON.stringify(peer.viewport) : '';
      if (peer.viewport && key !== shown) {
        shown = key;
        view.showViewport(peer.viewport, FOLLOW_EASE_MS);
      }
    };
    track();
    return client.on('presence', track);
  }, [client, view, following]);

  const follow = (clientId: string | null) => {
    setFollowing(clientId);
    client?.follow(clientId);
  };

  // ---- selection and modes ----
  useEffect(() => view?.setSelected(selected), [view, selected]);
  useEffect(() => {
    if (selected && client && !client.features.has(selected)) setSelected(null);
  });

  const setMode = useCallback(
    (next: DrawMode) => {
      setModeState(next);
      view?.setMode(next);
    },
    [view],
  );
  useEffect(() => {
    if (!editable) setModeState('select');
  }, [editable]);

  const select = (id: string) => {
    setSelected(id);
    view?.centerOn(id);
  };

  // ---- map callbacks ----
  const callbacks: MapViewCallbacks = {
    onReady: () => {},
    onCreate: (geometry: Geometry) => {
      if (!editor || !identity) return;
      const id = editor.create(geometry, { color: identity.color });
      setSelected(id);
      setMode('select');
    },
    onSelect: (id) => setSelected(id),
    onMove: (id, geometry) => editor?.move(id, geometry),
    onCursor: (cursor: Cursor | null) => client?.setCursor(cursor),
    onViewport: (viewport: Viewport) => client?.setViewport(viewport),
    onUserMove: () => {
      if (following) follow(null);
    },
    onDraftChange: setDraftVertices,
    onError: (message) => notify(message, 'error'),
  };

  const updateFeature = (id: string, patch: FeaturePropertiesPatch) => editor?.update(id, patch);
  const deleteFeature = (id: string) => {
    editor?.remove(id);
    setSelected(null);
  };

  const exportMap = () => {
    if (!client) return;
    const blob = new Blob([exportGeoJson(client.features.values())], { type: 'application/geo+json' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `${mapName.replace(/[^\p{L}\p{N}_-]+/gu, '-') || 'map'}.geojson`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const importMap = (text: string, fileName: string) => {
    if (!editor) return;
    const result = importGeoJson(text);
    if (result.features.length > 0) {
      editor.importFeatures(result.features);
      notify(
        `Imported ${result.features.length} feature${result.features.length === 1 ? '' : 's'} from ${fileName}.`,
      );
    }
    if (result.skipped.length > 0) {
      const more = result.skipped.length > 1 ? ` (and ${result.skipped.length - 1} more)` : '';
      notify(`Skipped from ${fileName}: ${result.skipped[0]}${more}`, 'error');
    }
  };

  // ---- keyboard ----
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (nameDialog || isTyping(event.target)) return;
      const mod = event.ctrlKey || event.metaKey;
      if (mod && event.key.toLowerCase() === 'z') {
        event.preventDefault();
        if (event.shiftKey) editor?.redo();
        else editor?.undo();
        return;
      }
      if (mod && event.key.toLowerCase() === 'y') {
        event.preventDefault();
        editor?.redo();
        return;
      }
      if (mod || event.altKey) return;
      switch (event.key) {
        case 'Escape':
          view?.cancelDrawing();
          setMode('select');
          setSelected(null);
          return;
        case 'Enter':
          if (mode === 'marker') view?.placeMarkerAtCenter();
          else view?.finishDrawing();
          return;
        case 'Delete':
        case 'Backspace':
          if (editable && selected && !isFeedFeature(selectedFeature)) deleteFeature(selected);
          return;
      }
      if (!editable) return;
      const tools: Record<string, DrawMode> = { v: 'select', m: 'marker', l: 'line', p: 'polygon' };
      const tool = tools[event.key.toLowerCase()];
      if (tool) setMode(tool);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const remoteEdit = selected ? remoteEdits.get(selected) : undefined;
  const remotePeer = remoteEdit ? client?.peers.get(remoteEdit.clientId) : undefined;

  return (
    <div className="map-app" data-role={role} data-editor-version={editorVersion}>
      <header className="topbar">
        <Link href="/" className="home-link" aria-label="Meridian home">
          <span aria-hidden="true">◎</span>
        </Link>
        <MapTitle name={mapName} editable={editable} onRename={(name) => editor?.rename(name)} />
        {editable ? null : (
          <span className="badge view" data-testid="view-only-badge">
            View only
          </span>
        )}
        <ConnectionStatus client={client} />
        {editor && editor.queued > 0 ? (
          <span className="muted" role="status" data-testid="sending">
            Sending {editor.queued} edits…
          </span>
        ) : null}
        <div className="topbar-end">
          {identity ? (
            <PresenceBar
              client={client}
              identity={identity}
              following={following}
              onFollow={follow}
              onEditName={() => setNameDialog('edit')}
            />
          ) : null}
          {editable ? (
            <button
              type="button"
              className="small"
              data-testid="summon"
              title="Move everyone's map to what you see"
              onClick={() => view && client?.summon(view.viewport())}
            >
              Bring everyone here
            </button>
          ) : null}
          {props.shareLinks ? (
            <button
              type="button"
              className="primary small"
              aria-expanded={shareOpen}
              data-testid="share"
              onClick={() => setShareOpen((open) => !open)}
            >
              Share
            </button>
          ) : null}
        </div>
        {shareOpen && props.shareLinks ? (
          <SharePanel
            links={{ edit: props.shareLinks.edit, view: props.shareLinks.view ?? mintedViewLink }}
            requestViewLink={() => createViewLinkAction(props.mapId, props.shareKey)}
            onViewLink={setMintedViewLink}
            onClose={() => setShareOpen(false)}
          />
        ) : null}
      </header>
      {following ? (
        <div className="following-banner" role="status" data-testid="following-banner">
          Following {client?.peers.get(following)?.name ?? '…'} —{' '}
          <button type="button" className="link" onClick={() => follow(null)}>
            stop
          </button>
        </div>
      ) : null}
      <div className="workspace">
        <main className="map-area">
          <Toolbar
            editable={editable}
            mode={mode}
            draftVertices={draftVertices}
            canUndo={editor?.canUndo ?? false}
            canRedo={editor?.canRedo ?? false}
            onMode={setMode}
            onFinishDrawing={() => view?.finishDrawing()}
            onUndo={() => editor?.undo()}
            onRedo={() => editor?.redo()}
            onImport={importMap}
            onExport={exportMap}
          />
          <MapCanvas
            client={client}
            editable={editable}
            styleUrl={props.styleUrl}
            callbacks={callbacks}
            onView={setView}
          />
        </main>
        <aside className="sidepanel" aria-label="Details">
          {selectedFeature ? (
            <Inspector
              key={selectedFeature.id}
              feature={selectedFeature}
              editable={editable}
              remoteEditor={remotePeer ? { name: remotePeer.name, color: remotePeer.color } : null}
              layer={selectedLayerInfo}
              onChange={updateFeature}
              onDelete={deleteFeature}
              onClose={() => setSelected(null)}
            />
          ) : null}
          <LiveLayers
            client={client}
            editable={editable}
            layerColors={layerColors}
            onAdd={(url, name) => editor?.addLayer(url, name)}
            onRemove={(id) => editor?.removeLayer(id)}
          />
          <FeatureList client={client} selected={selected} layerColors={layerColors} onSelect={select} />
        </aside>
      </div>
      <TrafficInspector client={client} mapId={props.mapId} />
      <Toasts toasts={toasts} onDismiss={(id) => setToasts((list) => list.filter((t) => t.id !== id))} />
      {nameDialog ? (
        <NameDialog
          initialName={identity?.name ?? ''}
          onCancel={nameDialog === 'edit' ? () => setNameDialog(null) : null}
          onSubmit={saveName}
        />
      ) : null}
    </div>
  );
}
