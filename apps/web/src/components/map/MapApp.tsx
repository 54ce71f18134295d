'use client';

import type { Cursor, Feature, FeaturePropertiesPatch, Geometry, Role, Viewport } from '@meridian/protocol';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { createViewLinkAction } from '../../app/m/[mapId]/actions.ts';
import type { Basemap } from '../../basemap/catalog.ts';
import { pathMeters } from '../../features/measure.ts';
import { layerColors as assignLayerColors } from '../../layers/layer-colors.ts';
import { feedLayersOf, isFeedEntry } from '../../layers/user-layers.ts';
import type { DrawMode, MapView, MapViewCallbacks } from '../../map/map-view.ts';
import { humanError } from '../../messages/human-error.ts';
import { type Identity, loadIdentity, saveIdentity } from '../../presence/identity.ts';
import { Editor } from '../../session/editor.ts';
import { useClientVersion } from '../../session/use-client.ts';
import { useMeridianSession } from '../../session/use-meridian-session.ts';
import { useSessionNotices } from '../../session/use-session-notices.ts';
import { TrafficInspector } from '../inspector/TrafficInspector.tsx';
import { AttributeTable } from './AttributeTable.tsx';
import { BasemapNotice, BasemapSwitcher } from './BasemapSwitcher.tsx';
import { ConnectionStatus } from './ConnectionStatus.tsx';
import { downloadExport } from './export-download.ts';
import { FeatureDetails } from './FeatureDetails.tsx';
import { FeatureLayerSelect } from './FeatureLayerSelect.tsx';
import { FeatureList } from './FeatureList.tsx';
import { useBasemap } from './hooks/use-basemap.ts';
import { useDebugSwitch } from './hooks/use-debug.ts';
import { useFeatureFilter } from './hooks/use-feature-filter.ts';
import { useImportSources } from './hooks/use-import-sources.ts';
import { useImporter } from './hooks/use-importer.ts';
import { usePresence } from './hooks/use-presence.ts';
import { useSelection } from './hooks/use-selection.ts';
import { useShortcuts } from './hooks/use-shortcuts.ts';
import { useToasts } from './hooks/use-toasts.ts';
import { useUserLayers } from './hooks/use-user-layers.ts';
import { ImportPanel } from './ImportPanel.tsx';
import { LiveLayers } from './LiveLayers.tsx';
import { MapTitle } from './MapTitle.tsx';
import { NameDialog } from './NameDialog.tsx';
import { PresenceBar } from './PresenceBar.tsx';
import { type GeocoderInfo, SearchBox } from './SearchBox.tsx';
import { SelectionDetails } from './SelectionDetails.tsx';
import { SharePanel } from './SharePanel.tsx';
import { Toasts } from './Toasts.tsx';
import { Toolbar } from './Toolbar.tsx';
import { UserLayers } from './UserLayers.tsx';

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
  basemaps: Basemap[];
  defaultBasemap: string;
  basemapFallbackMs: number;
  /** The place-search service, when one is configured (its URL stays on the server). */
  geocoder: GeocoderInfo | null;
  shareLinks: { edit: string; view: string | null } | null;
}

export function MapApp(props: MapAppProps) {
  const [identity, setIdentity] = useState<Identity | null>(null);
  const [nameDialog, setNameDialog] = useState<'required' | 'edit' | null>(null);
  const [view, setView] = useState<MapView | null>(null);
  const [mode, setModeState] = useState<DrawMode>('select');
  const [draftVertices, setDraftVertices] = useState(0);
  const [measuredMeters, setMeasuredMeters] = useState<number | null>(null);
  const [shareOpen, setShareOpen] = useState(false);
  /** On a phone the side panel is a bottom sheet, folded down to its handle unless opened. */
  const [sheetOpen, setSheetOpen] = useState(false);
  const [tableOpen, setTableOpen] = useState(false);
  /** A view link minted in this session, when the page did not come with one (see SharePanel). */
  const [mintedViewLink, setMintedViewLink] = useState<string | null>(null);

  // ---- identity: asked once per device ----
  useEffect(() => {
    const stored = loadIdentity(window.localStorage);
    if (stored) setIdentity(stored);
    else setNameDialog('required');
  }, []);

  const saveName = (name: string) => {
    setIdentity(saveIdentity(window.localStorage, name, identity?.deviceId ?? crypto.randomUUID()));
    setNameDialog(null);
  };

  const client = useMeridianSession(props, identity);
  const { toasts, notify, dismiss } = useToasts();
  useSessionNotices(client, notify, props);
  const { following, follow, remoteEdits } = usePresence(client, view, notify);
  const { selected, selection, setSelected, toggle, add, reveal } = useSelection(client, view);
  const basemap = useBasemap(props.basemaps, props.defaultBasemap);
  const debug = useDebugSwitch(view);
  const featureFilter = useFeatureFilter(client);
  const userLayers = useUserLayers(props.mapId, client);

  const editor = useMemo(() => (client ? new Editor(client) : null), [client]);
  const editorVersion = useSyncExternalStore(
    editor?.subscribe ?? (() => () => {}),
    () => editor?.version ?? 0,
    () => 0,
  );
  const stateVersion = useClientVersion(client, ['featuresChanged', 'status', 'ack', 'opRejected']);

  const role: Role = client?.role ?? props.role;
  const editable = role === 'edit';
  const mapName = client?.mapName || props.initialName;
  const selectedFeature = selected ? client?.features.get(selected) : undefined;
  const layerColors = useMemo(
    // stateVersion says the client's layers (a live view, mutated in place) may have changed.
    () =>
      stateVersion >= 0 && client
        ? assignLayerColors(feedLayersOf(client.layers))
        : new Map<string, string>(),
    [client, stateVersion],
  );
  const selectedLayer = selectedFeature?.properties.layer;
  const selectedLayerInfo =
    selectedLayer && client && isFeedEntry(selectedFeature, client.layers)
      ? {
          name: client?.layers.get(selectedLayer)?.name ?? 'feed',
          color: layerColors.get(selectedLayer) ?? '#57534e',
        }
      : null;
  const queued = client?.queuedCount ?? 0;

  useEffect(() => {
    document.title = `${mapName} · Meridian`;
  }, [mapName]);

  // ---- modes ----
  const setMode = useCallback(
    (next: DrawMode) => {
      setModeState(next);
      view?.setMode(next);
    },
    [view],
  );
  useEffect(() => {
    if (!editable) setModeState((current) => (current === 'measure' ? current : 'select'));
  }, [editable]);

  // ---- map callbacks ----
  const callbacks: MapViewCallbacks = {
    onReady: () => {},
    onCreate: (geometry: Geometry) => {
      if (!editor || !identity) return;
      // The colour the map assigned this person (their asked-for one until they are listed).
      const id = editor.create(geometry, userLayers.newFeatureProperties(client?.color ?? identity.color));
      setSelected(id);
      setMode('select');
    },
    onSelect: (id, additive) => (additive && id ? toggle(id) : setSelected(id)),
    onBoxSelect: add,
    onMove: (id, geometry) => editor?.move(id, geometry),
    onCursor: (cursor: Cursor | null) => client?.setCursor(cursor),
    onViewport: (viewport: Viewport) => client?.setViewport(viewport),
    onUserMove: () => {
      if (following) follow(null);
    },
    onDraftChange: setDraftVertices,
    onMeasure: (path) => setMeasuredMeters(path.length >= 2 ? pathMeters(path) : null),
    onError: (message) => {
      const said = humanError(message);
      notify(`Map: ${said.message}`, 'error', said.detail ?? undefined);
    },
    onBasemapFallback: basemap.fellBack,
  };

  const updateFeature = (id: string, patch: FeaturePropertiesPatch, coalesceKey?: string) =>
    editor?.update(id, patch, coalesceKey);
  const selectedFeatures =
    selection.length > 1 && client
      ? selection.map((id) => client.features.get(id)).filter((f): f is Feature => f !== undefined)
      : [];
  const deleteFeature = (id: string) => {
    editor?.remove(id);
    setSelected(null);
  };

  const importer = useImporter(editable ? editor : null, notify);
  const dragging = useImportSources(editable && !!editor, '.map-area', importer.start);

  useShortcuts({
    enabled: nameDialog === null,
    editable,
    undo: () => editor?.undo(),
    redo: () => editor?.redo(),
    cancel: () => {
      view?.cancelDrawing();
      setMode('select');
      setSelected(null);
    },
    confirm: () => {
      if (mode === 'marker') view?.placeMarkerAtCenter();
      else view?.finishDrawing();
    },
    deleteSelected: () => {
      if (editable && selected && client && !isFeedEntry(selectedFeature, client.layers))
        deleteFeature(selected);
    },
    setMode,
  });

  const remoteEdit = selected ? remoteEdits.get(selected) : undefined;
  const remotePeer = remoteEdit ? client?.personOf(remoteEdit.clientId) : undefined;

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
        <SearchBox
          client={client}
          geocoder={props.geocoder}
          onFeature={(id) => {
            setSelected(id);
            view?.showFeature(id);
          }}
          onPlace={(place) => view?.showPlace(place)}
        />
        {queued > 0 ? (
          <span className="muted" role="status" data-testid="sending">
            Sending {queued} edits…
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
              aria-label="Bring everyone here"
              onClick={() => view && client?.summon(view.viewport())}
            >
              <span className="label-long">Bring everyone here</span>
              <span className="label-short" aria-hidden="true">
                ⤓ All here
              </span>
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
            measuredMeters={mode === 'measure' ? measuredMeters : null}
            onMode={setMode}
            onFinishDrawing={() => view?.finishDrawing()}
            onUndo={() => editor?.undo()}
            onRedo={() => editor?.redo()}
            onImport={importer.start}
            onExport={(format) => client && downloadExport(client.features.values(), mapName, format)}
          />
          <MapCanvas
            client={client}
            editable={editable}
            basemap={basemap.basemap}
            basemapFallbackMs={props.basemapFallbackMs}
            callbacks={callbacks}
            onView={setView}
            hiddenLayers={userLayers.hidden}
          />
          <ImportPanel importer={importer} dragging={dragging} />
          {tableOpen ? (
            <AttributeTable
              // A selection of several features (shift-click, box) is what the table shows; else the list.
              features={
                selection.length > 1 && client
                  ? selection.flatMap((id) => client.features.get(id) ?? [])
                  : featureFilter.matches
              }
              total={featureFilter.total}
              selected={selected}
              editable={editable}
              onSelect={(id, coveredPx) => {
                setSelected(id);
                view?.showFeature(id, coveredPx);
              }}
              onChange={updateFeature}
              onClose={() => setTableOpen(false)}
            />
          ) : null}
          <div className="map-corner">
            <BasemapSwitcher basemaps={props.basemaps} current={basemap.shown} onChoose={basemap.choose} />
            {basemap.fallback ? (
              <BasemapNotice fallback={basemap.fallback} onDismiss={basemap.dismissFallback} />
            ) : null}
          </div>
        </main>
        <aside className="sidepanel" aria-label="Details" data-sheet={sheetOpen ? 'open' : 'folded'}>
          <button
            type="button"
            className="sheet-toggle"
            aria-expanded={sheetOpen}
            data-testid="sheet-toggle"
            onClick={() => setSheetOpen((open) => !open)}
          >
            <span className="sheet-grip" aria-hidden="true" />
            <span>
              {selectedFeature
                ? `${selectedFeature.properties.title || 'Untitled'} · details`
                : selectedFeatures.length > 1
                  ? `${selectedFeatures.length} selected · style`
                  : `Features (${(client?.features.size ?? 0).toLocaleString('en')}) · layers`}
            </span>
            <span aria-hidden="true">{sheetOpen ? '▾' : '▴'}</span>
          </button>
          {selectedFeature ? (
            <FeatureDetails
              key={selectedFeature.id}
              feature={selectedFeature}
              editable={editable}
              remoteEditor={remotePeer ? { name: remotePeer.name, color: remotePeer.color } : null}
              layer={selectedLayerInfo}
              onChange={updateFeature}
              onDelete={deleteFeature}
              onClose={() => setSelected(null)}
            >
              {client ? (
                <FeatureLayerSelect
                  feature={selectedFeature}
                  layers={client.layers}
                  editable={editable && !selectedLayerInfo}
                  onMove={(layerId) => editor?.moveToLayer(selectedFeature.id, layerId)}
                />
              ) : null}
            </FeatureDetails>
          ) : null}
          {selectedFeatures.length > 1 ? (
            <SelectionDetails
              features={selectedFeatures}
              editable={editable}
              onPatch={(ids, patch, key) => editor?.updateMany(ids, patch, key)}
              onClear={() => setSelected(null)}
            />
          ) : null}
          <UserLayers
            client={client}
            editor={editor}
            editable={editable}
            hidden={userLayers.hidden}
            onToggleHidden={userLayers.toggleHidden}
            active={userLayers.active}
            onActivate={userLayers.setActive}
          />
          <LiveLayers
            client={client}
            editable={editable}
            layerColors={layerColors}
            onAdd={(url, name) => editor?.addLayer(url, name)}
            onRemove={(id) => editor?.removeLayer(id)}
          />
          <FeatureList
            client={client}
            filter={featureFilter}
            selection={selection}
            layerColors={layerColors}
            onSelect={reveal}
            onToggle={toggle}
            onOpenTable={() => {
              setTableOpen(true);
              // On a phone the table takes the map's place: fold the sheet so both fit.
              setSheetOpen(false);
            }}
          />
        </aside>
      </div>
      {debug ? <TrafficInspector client={client} mapId={props.mapId} /> : null}
      <Toasts toasts={toasts} onDismiss={dismiss} />
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
