import type {
  BulkBatch,
  Cursor,
  Feature,
  Geometry,
  Layer,
  Position,
  PresenceEntry,
  Viewport,
} from '@meridian/protocol';
import type { Changed } from '@meridian/protocol/client';
import type { FeatureCollection, Geometry as GeoJsonGeometry } from 'geojson';
import * as maplibregl from 'maplibre-gl';
import { Protocol as PmtilesProtocol } from 'pmtiles';
import { OFFLINE_BASEMAP } from '../basemap/style.ts';
import { drawableGeometry } from '../features/antimeridian.ts';
import {
  anchorOf,
  lineFromVertices,
  mapPositions,
  moveVertex,
  polygonFromVertices,
  translateGeometry,
  type Vertex,
  verticesOf,
} from '../features/geometry.ts';
import {
  bucketOf,
  FEATURE_BUCKETS,
  type FeatureBucket,
  featureColor,
  isFeedFeature,
  type RenderFeature,
  styleOf,
  toRenderFeature,
} from '../features/render-features.ts';
import { diffFeatures, isEmptyDiff } from '../features/source-diff.ts';
import { changedLayerColors, layerColors } from '../layers/layer-colors.ts';
import { formatViewHash, type HashView, parseViewHash, wrapLongitude } from '../view/hash.ts';
import { BulkArrivals } from './bulk-arrivals.ts';
import { CursorOverlay } from './cursor-overlay.ts';
import { FEATURE_FLUSH_PACING, FeatureFlushPacer } from './feature-flush.ts';
import { featurePopup } from './feature-popup.ts';
import { featureFilters, LAYERS, meridianLayers, meridianSources, SOURCES } from './layers.ts';
import { addMarkerIcons, fillMissingIcon } from './marker-icons.ts';
import { viewportCenter, viewportOf, viewportRing } from './viewport.ts';

/** `measure` draws a line only this person sees: it is never an op and never sent. */
export type DrawMode = 'select' | 'marker' | 'line' | 'polygon' | 'measure';

/** What the map view reports; the React side turns these into ops and UI state. */
export interface MapViewCallbacks {
  onReady(): void;
  onCreate(geometry: Geometry): void;
  /** A click picked a feature (or nothing); `additive` (shift-click) adds it to the selection or takes it out. */
  onSelect(id: string | null, additive?: boolean): void;
  /** A shift-drag drew a box: these features (none from live feeds) join the selection. */
  onBoxSelect(ids: string[]): void;
  /** A drag (move or reshape) ended: commit this geometry. */
  onMove(id: string, geometry: Geometry): void;
  onCursor(cursor: Cursor | null): void;
  onViewport(viewport: Viewport): void;
  /** The person panned or zoomed the map themselves (ends following). */
  onUserMove(): void;
  onDraftChange(vertexCount: number): void;
  /** The measure tool's path changed (its points, plus the pointer while measuring). */
  onMeasure(path: Position[]): void;
  onError(message: string): void;
  /** A remote basemap failed (or took too long) and the offline one took its place. */
  onBasemapFallback(failedId: string, reason: string): void;
}

/** A basemap ready for MapLibre: a remote style URL, or the embedded style built in the browser. */
export interface BasemapStyle {
  id: string;
  style: maplibregl.StyleSpecification | string;
  /** A remote style may fail; it is watched and replaced by the offline basemap if it does. */
  remote: boolean;
  /** With the offline style: where the detailed basemap is, loaded once someone zooms in. */
  detailUrl: string | null;
}

export interface MapViewOptions {
  container: HTMLElement;
  basemap: BasemapStyle;
  /** Takes over when a remote basemap fails. */
  offlineBasemap: BasemapStyle;
  /** How long a remote basemap may take to draw its first tile before the offline one takes over. */
  basemapFallbackMs: number;
  editable: boolean;
  callbacks: MapViewCallbacks;
}

export interface EditorBadge {
  featureId: string;
  name: string;
  color: string;
}

const CURSOR_THROTTLE_MS = 40;
const VIEWPORT_THROTTLE_MS = 100;
/** Pixels a press may wander before it counts as a drag rather than a click. */
const DRAG_THRESHOLD_PX = 4;
/** Touch needs a more forgiving hit area than a mouse. */
const HIT_RADIUS_PX = 8;
const CLOSE_RING_PX = 12;
/** A finger held this long without moving adds a marker (touch has no hover, no right click). */
const LONG_PRESS_MS = 550;
const LONG_PRESS_SLOP_PX = 10;
/** Tile failures, before any tile of a new basemap loaded, that mean "this basemap is not reachable". */
const BASEMAP_TILE_ERRORS_TO_FALL_BACK = 3;
const OWN_SOURCES: ReadonlySet<string> = new Set(Object.values(SOURCES));
const DEFAULT_VIEW: HashView = { zoom: 1.6, lat: 25, lng: 10 };

const round7 = (value: number) => Math.round(value * 1e7) / 1e7;
const toPosition = (lngLat: maplibregl.LngLat): Position => [
  round7(wrapLongitude(lngLat.lng)),
  round7(lngLat.lat),
];
const emptyCollection = (): FeatureCollection => ({ type: 'FeatureCollection', features: [] });

let workerConfigured = false;

type Drag =
  | {
      kind: 'move';
      id: string;
      start: maplibregl.Point;
      startLngLat: maplibregl.LngLat;
      original: Geometry;
      current: Geometry;
      active: boolean;
    }
  | {
      kind: 'vertex';
      id: string;
      vertex: Vertex;
      start: maplibregl.Point;
      original: Geometry;
      current: Geometry;
      active: boolean;
    };

/**
 * The MapLibre map and everything drawn on it. It owns no collaborative state: features arrive
 * through `setFeatures` (applied as incremental `updateData` diffs), edits leave through callbacks.
 */
export class MapView {
  readonly map: maplibregl.Map;
  readonly #container: HTMLElement;
  readonly #callbacks: MapViewCallbacks;
  readonly #rendered = new Map<string, Feature>();
  readonly #cursors: CursorOverlay;
  readonly #resizeObserver: ResizeObserver;
  #ready = false;
  #editable: boolean;
  #mode: DrawMode = 'select';
  #features: ReadonlyMap<string, Feature> = new Map();
  #layerColors: ReadonlyMap<string, string> = new Map();
  #pendingChange: Set<string> | 'all' = new Set();
  /** A snapshot is streaming into the map (a join): its chunks are drawn in doubling steps. */
  #streaming = false;
  /** A bulk op arriving in chunks (an import, its undo): drawn in doubling steps too. */
  readonly #bulk = new BulkArrivals(() => performance.now());
  readonly #fillSteps: boolean;
  #selected: string | null = null;
  /** Every selected feature, when several are (shift-click); `#selected` is set only for one. */
  #selection: readonly string[] = [];
  #popup: maplibregl.Popup | null = null;
  /** A shift-drag selecting what it encloses: where it started, and the rectangle drawn. */
  #box: { start: maplibregl.Point; element: HTMLDivElement } | null = null;
  #draft: Position[] = [];
  #hover: Position | null = null;
  #drag: Drag | null = null;
  #peers: ReadonlyMap<string, PresenceEntry> = new Map();
  #badges: EditorBadge[] = [];
  #lastCursorAt = 0;
  #lastViewportAt = 0;
  #viewportTimer: ReturnType<typeof setTimeout> | null = null;
  #presenceFrame = 0;
  #featureFrame = 0;
  #sourceUpdates = 0;
  /** A paced flush of a burst of changes (see FeatureFlushPacer), waiting for its time. */
  #featureTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #flushPacer: FeatureFlushPacer;
  #destroyed = false;
  #basemapDetailUrl: string | null;
  #basemap: BasemapStyle;
  readonly #offlineBasemap: BasemapStyle;
  readonly #basemapFallbackMs: number;
  #styleLoaded = false;
  #basemapHealthy = false;
  #basemapTileErrors = 0;
  #fallbackTimer: ReturnType<typeof setTimeout> | null = null;
  #longPress: { timer: ReturnType<typeof setTimeout>; start: maplibregl.Point } | null = null;

  constructor(options: MapViewOptions) {
    if (!workerConfigured) {
      // Under Next/Turbopack the bundled worker never starts; serve MapLibre's own worker file.
      maplibregl.setWorkerUrl(new URL('/maplibre-gl-worker.mjs', window.location.origin).href);
      // Self-hosted basemaps: a style's source may read `pmtiles://https://…/extract.pmtiles`.
      maplibregl.addProtocol('pmtiles', new PmtilesProtocol().tile);
      workerConfigured = true;
    }
    this.#container = options.container;
    this.#callbacks = options.callbacks;
    this.#editable = options.editable;
    this.#basemap = options.basemap;
    this.#offlineBasemap = options.offlineBasemap;
    this.#basemapFallbackMs = options.basemapFallbackMs;
    this.#basemapDetailUrl = options.basemap.detailUrl;
    // `?featureFlush=frame` keeps the old one-diff-per-frame behaviour, `?featureFlush=paced` the
    // paced one without the doubling steps of a streaming join, for benchmarks to compare.
    const flushMode = new URLSearchParams(window.location.search).get('featureFlush');
    const everyFrame = flushMode === 'frame';
    this.#fillSteps = flushMode !== 'frame' && flushMode !== 'paced';
    this.#flushPacer = new FeatureFlushPacer(
      () => performance.now(),
      everyFrame ? { ...FEATURE_FLUSH_PACING, burstIds: Number.POSITIVE_INFINITY } : FEATURE_FLUSH_PACING,
    );
    const view = parseViewHash(window.location.hash) ?? DEFAULT_VIEW;
    this.map = new maplibregl.Map({
      container: options.container,
      style: options.basemap.style,
      center: [view.lng, view.lat],
      zoom: view.zoom,
      attributionControl: { compact: true },
      pitchWithRotate: false,
      touchPitch: false,
      maxPitch: 0,
      renderWorldCopies: true,
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
    this.map.addControl(new maplibregl.ScaleControl({}), 'bottom-left');
    // Shift-drag selects features in a box (see #startBox) rather than zooming to it.
    this.map.boxZoom.disable();
    this.#cursors = new CursorOverlay(options.container, (lngLat) => this.map.project(lngLat));
    this.#resizeObserver = new ResizeObserver(() => this.map.resize());
    this.#resizeObserver.observe(options.container);
    this.#bindEvents();
    this.#watchBasemap();
    this.#describe();
  }

  // ---- basemap ----

  /** Swap the basemap; the map's own sources and layers are added again once the style loads. */
  setBasemap(basemap: BasemapStyle): void {
    if (basemap.id === this.#basemap.id && this.#styleLoaded) return;
    this.#basemap = basemap;
    this.#basemapDetailUrl = basemap.detailUrl;
    this.#ready = false;
    this.#styleLoaded = false;
    this.map.setStyle(basemap.style, { diff: false });
    this.#watchBasemap();
  }

  #watchBasemap(): void {
    if (this.#fallbackTimer) clearTimeout(this.#fallbackTimer);
    this.#fallbackTimer = null;
    this.#basemapHealthy = !this.#basemap.remote;
    this.#basemapTileErrors = 0;
    this.#container.dataset.basemap = this.#basemap.id;
    this.#container.dataset.basemapState = this.#basemapHealthy ? 'ok' : 'loading';
    if (this.#basemap.remote)
      this.#fallbackTimer = setTimeout(
        () => this.#fallBack(`it did not load within ${Math.round(this.#basemapFallbackMs / 1000)} s`),
        this.#basemapFallbackMs,
      );
  }

  #basemapLoaded(): void {
    if (this.#basemapHealthy) return;
    this.#basemapHealthy = true;
    if (this.#fallbackTimer) clearTimeout(this.#fallbackTimer);
    this.#fallbackTimer = null;
    this.#container.dataset.basemapState = 'ok';
  }

  #fallBack(reason: string): void {
    if (this.#basemapHealthy || !this.#basemap.remote || this.#destroyed) return;
    const failed = this.#basemap.id;
    this.setBasemap(this.#offlineBasemap);
    this.#container.dataset.basemapFallback = failed;
    this.#callbacks.onBasemapFallback(failed, reason);
  }

  /** Basemap trouble is the fallback's business, never a toast: true when this error was that. */
  #basemapError(event: maplibregl.ErrorEvent): boolean {
    const sourceId = (event as { sourceId?: string }).sourceId;
    const ours = sourceId !== undefined && OWN_SOURCES.has(sourceId);
    if (ours || !this.#basemap.remote) return false;
    if (this.#basemapHealthy) return true;
    const host = hostOf(this.#basemap.style);
    if (!this.#styleLoaded) this.#fallBack(host ? `could not reach ${host}` : 'its style could not be read');
    else if (++this.#basemapTileErrors >= BASEMAP_TILE_ERRORS_TO_FALL_BACK)
      this.#fallBack(host ? `its tiles could not be loaded from ${host}` : 'its tiles could not be loaded');
    return true;
  }

  // ---- state in ----

  /**
   * `local`: the change is this person's own (see FeatureFlushPacer: a small one draws at once).
   * `bulk`: it is a chunk of a bulk op (its batch, and its author when someone else's).
   */
  setFeatures(
    features: ReadonlyMap<string, Feature>,
    changed: Changed,
    { local = false, bulk }: { local?: boolean; bulk?: { batch?: BulkBatch; from?: string } } = {},
  ): void {
    this.#features = features;
    if (changed === 'all' || this.#pendingChange === 'all') this.#pendingChange = 'all';
    else for (const id of changed) this.#pendingChange.add(id);
    // A first fill shows at once; 'all' on a drawn map (a resync) is as big as any burst.
    const count =
      changed === 'all'
        ? this.#rendered.size === 0
          ? Number.POSITIVE_INFINITY
          : features.size
        : changed.size;
    // The last chunk of an import: draw what waits now, as at the end of a streaming join.
    if (bulk && this.#bulk.arrived(count, bulk.batch, bulk.from) && !this.#streaming) {
      this.#scheduleFlush();
      return;
    }
    // Nothing to redraw (an import's chunk confirmed: the view already showed it).
    if (count === 0) return;
    const pending = this.#pendingChange;
    const holding = this.#fillSteps && (this.#streaming || this.#bulk.active);
    // Held for a bulk op: drawn at the latest once its chunks stop coming.
    const stallMs = this.#streaming ? undefined : this.#bulk.settlesInMs;
    const fill =
      holding && pending !== 'all'
        ? { rendered: this.#rendered.size, pending: pending.size, ...(stallMs ? { stallMs } : {}) }
        : undefined;
    this.#scheduleFlush(this.#flushPacer.changed(count, { fill, local }));
  }

  /**
   * Whether a snapshot is streaming into the map (see `watchSnapshotStream`). While it is, its
   * chunks are drawn in steps that double what the map holds; when it ends, the rest is drawn on
   * the next frame.
   */
  setStreaming(streaming: boolean): void {
    if (streaming === this.#streaming || !this.#fillSteps) return;
    this.#streaming = streaming;
    this.#container.dataset.streaming = String(streaming);
    const pending = this.#pendingChange;
    if (!streaming && (pending === 'all' || pending.size > 0)) this.#scheduleFlush();
  }

  /**
   * Coalesce changes into one diff per frame (a replay, many peers typing); a big stream of them
   * (a snapshot in chunks, an import's records) into paced diffs, so the sources are not rebuilt
   * for every chunk.
   */
  #scheduleFlush(delayMs = 0): void {
    if (this.#featureFrame) return;
    if (this.#featureTimer) clearTimeout(this.#featureTimer);
    this.#featureTimer = null;
    if (delayMs <= 0) {
      this.#featureFrame = requestAnimationFrame(() => this.#flushFeatures());
      return;
    }
    this.#featureTimer = setTimeout(() => {
      this.#featureTimer = null;
      this.#scheduleFlush();
    }, delayMs);
  }

  /** The map's live-feed layers: their entries are drawn in each layer's own colour. */
  setLayers(layers: Iterable<Layer>): void {
    const next = layerColors(layers);
    const changed = changedLayerColors(this.#layerColors, next);
    this.#layerColors = next;
    if (changed.length === 0) return;
    this.#container.dataset.layerColors = JSON.stringify(Object.fromEntries(next));
    // Rare (a layer added or removed): redraw everything rather than track which entries changed.
    this.#rendered.clear();
    this.#pendingChange = 'all';
    this.#scheduleFlush();
  }

  /** Draw every feature again from scratch, in the order of the features map (user layer order). */
  redrawFeatures(): void {
    this.#rendered.clear();
    this.#pendingChange = 'all';
    this.#scheduleFlush();
  }

  setSelected(id: string | null): void {
    this.setSelection(id ? [id] : []);
  }

  /** Highlight these features; handles to reshape appear only when exactly one is selected. */
  setSelection(ids: readonly string[]): void {
    this.#selection = ids;
    this.#selected = ids.length === 1 ? (ids[0] ?? null) : null;
    this.#container.dataset.selectionCount = String(ids.length);
    this.#renderSelection();
  }

  setMode(mode: DrawMode): void {
    if (!this.#editable && mode !== 'select' && mode !== 'measure') return;
    this.#mode = mode;
    this.#draft = [];
    this.#hover = null;
    this.#renderDraft();
    // Double-click finishes a line or polygon instead of zooming while drawing.
    if (this.#drawsPath()) this.map.doubleClickZoom.disable();
    else this.map.doubleClickZoom.enable();
    this.#container.dataset.mode = mode;
  }

  setEditable(editable: boolean): void {
    this.#editable = editable;
    if (!editable && this.#mode !== 'measure') this.setMode('select');
    this.#renderSelection();
  }

  setPeers(peers: ReadonlyMap<string, PresenceEntry>): void {
    this.#peers = peers;
    this.#cursors.update(peers.values());
    if (!this.#presenceFrame) this.#presenceFrame = requestAnimationFrame(() => this.#renderPresence());
  }

  setEditorBadges(badges: EditorBadge[]): void {
    this.#badges = badges;
    if (!this.#presenceFrame) this.#presenceFrame = requestAnimationFrame(() => this.#renderPresence());
  }

  // ---- camera ----

  /** Show what a viewport shows (following someone, or being summoned). */
  showViewport(viewport: Viewport, durationMs: number): void {
    const [lng, lat] = viewportCenter(viewport);
    this.map.easeTo({
      center: [lng, lat],
      zoom: viewport.zoom,
      bearing: viewport.bearing,
      duration: durationMs,
    });
  }

  viewport(): Viewport {
    return viewportOf(this.map);
  }

  centerOn(id: string): void {
    const feature = this.#features.get(id);
    if (!feature) return;
    this.map.easeTo({ center: anchorOf(feature.geometry) as [number, number], duration: 300 });
  }

  /**
   * Fly to a feature found by search: its whole extent, or close in on a marker. `coveredBottomPx`
   * is how much of the map a panel covers from below (the attribute table): the feature is shown
   * in the part left visible.
   */
  showFeature(id: string, coveredBottomPx = 0): void {
    const feature = this.#features.get(id);
    if (!feature) return;
    // Continuous longitudes, so a shape across ±180° fits its own extent, not the whole world.
    const positions = verticesOf(drawableGeometry(feature.geometry)).map((v) => v.position);
    if (feature.geometry.type === 'Point' || positions.length < 2) {
      this.map.flyTo({
        center: anchorOf(feature.geometry) as [number, number],
        zoom: Math.max(this.map.getZoom(), 15),
        // An offset, not camera padding: padding would stay on the map for every later move.
        offset: [0, -coveredBottomPx / 2],
      });
      return;
    }
    const lngs = positions.map((p) => p[0]);
    const lats = positions.map((p) => p[1]);
    this.map.fitBounds(
      [
        [Math.min(...lngs), Math.min(...lats)],
        [Math.max(...lngs), Math.max(...lats)],
      ],
      { padding: { top: 60, left: 60, right: 60, bottom: 60 + coveredBottomPx }, maxZoom: 16 },
    );
  }

  /** Fly to a place found by the geocoder: its extent when it has one. */
  showPlace(place: { lng: number; lat: number; bbox: [number, number, number, number] | null }): void {
    if (place.bbox) this.map.fitBounds(place.bbox, { padding: 40, maxZoom: 16 });
    else this.map.flyTo({ center: [place.lng, place.lat], zoom: 14 });
  }

  /** Keyboard alternative to clicking: drop a marker where the map is centred. */
  placeMarkerAtCenter(): void {
    if (!this.#editable) return;
    this.#callbacks.onCreate({ type: 'Point', coordinates: toPosition(this.map.getCenter()) });
  }

  #drawsPath(): boolean {
    return this.#mode === 'line' || this.#mode === 'polygon' || this.#mode === 'measure';
  }

  finishDrawing(): void {
    if (this.#mode === 'measure') {
      // The measured line stays on screen until Esc or another tool; nothing is created.
      this.#hover = null;
      this.#renderDraft();
      return;
    }
    if (this.#mode !== 'line' && this.#mode !== 'polygon') return;
    const geometry = this.#mode === 'line' ? lineFromVertices(this.#draft) : polygonFromVertices(this.#draft);
    if (!geometry) {
      this.#callbacks.onError(
        this.#mode === 'line'
          ? 'A line needs at least two points.'
          : 'A polygon needs at least three points.',
      );
      return;
    }
    this.#draft = [];
    this.#renderDraft();
    this.#callbacks.onCreate(geometry);
  }

  cancelDrawing(): void {
    this.#draft = [];
    this.#renderDraft();
  }

  destroy(): void {
    this.#destroyed = true;
    cancelAnimationFrame(this.#presenceFrame);
    cancelAnimationFrame(this.#featureFrame);
    if (this.#featureTimer) clearTimeout(this.#featureTimer);
    if (this.#viewportTimer) clearTimeout(this.#viewportTimer);
    if (this.#fallbackTimer) clearTimeout(this.#fallbackTimer);
    this.#cancelLongPress();
    this.#resizeObserver.disconnect();
    this.#cursors.destroy();
    window.removeEventListener('hashchange', this.#onHashChange);
    window.removeEventListener('mouseup', this.#onWindowMouseUp);
    this.#popup?.remove();
    this.#box?.element.remove();
    this.map.remove();
  }

  // ---- sources ----

  #source(id: string): maplibregl.GeoJSONSource | undefined {
    return this.map.getSource<maplibregl.GeoJSONSource>(id);
  }

  #onStyleLoaded(): void {
    for (const [id, source] of Object.entries(meridianSources()))
      if (!this.map.getSource(id)) this.map.addSource(id, source);
    for (const layer of meridianLayers()) if (!this.map.getLayer(layer.id)) this.map.addLayer(layer);
    addMarkerIcons(this.map).catch((error: Error) => this.#callbacks.onError(error.message));
    this.#ready = true;
    this.#styleLoaded = true;
    this.#pendingChange = 'all';
    this.#rendered.clear();
    this.#flushFeatures();
    this.#renderSelection();
    this.#renderDraft();
    this.#renderPresence();
    this.#container.dataset.styleName = this.map.getStyle().name ?? '';
    this.#container.dataset.ready = 'true';
    this.#callbacks.onReady();
  }

  #flushFeatures(): void {
    this.#featureFrame = 0;
    if (!this.#ready || this.#destroyed) return;
    if (this.#featureTimer) clearTimeout(this.#featureTimer);
    this.#featureTimer = null;
    const changed = this.#pendingChange;
    this.#pendingChange = new Set();
    const updates: Promise<void>[] = [];
    if (changed === 'all' && this.#rendered.size === 0) {
      // First fill: one setData per source is cheaper than a diff of thousands of additions.
      const buckets: Record<FeatureBucket, RenderFeature[]> = { points: [], shapes: [], feed: [] };
      for (const feature of this.#features.values()) {
        this.#rendered.set(feature.id, feature);
        buckets[bucketOf(feature)].push(toRenderFeature(feature, this.#layerColors));
      }
      for (const bucket of FEATURE_BUCKETS) {
        const source = this.#source(SOURCES[bucket]);
        if (source) updates.push(source.setData({ type: 'FeatureCollection', features: buckets[bucket] }));
      }
    } else {
      const diffs = diffFeatures(this.#rendered, this.#features, changed, this.#layerColors);
      for (const bucket of FEATURE_BUCKETS) {
        const source = isEmptyDiff(diffs[bucket]) ? undefined : this.#source(SOURCES[bucket]);
        if (source) updates.push(source.updateData(diffs[bucket]));
      }
    }
    this.#timeFlush(updates);
    // How many times the sources were updated: a big stream should cost few (see FeatureFlushPacer).
    if (updates.length > 0) this.#container.dataset.sourceUpdates = String(++this.#sourceUpdates);
    this.#container.dataset.featureCount = String(this.#rendered.size);
    let feedCount = 0;
    for (const feature of this.#rendered.values()) if (isFeedFeature(feature)) feedCount++;
    this.#container.dataset.feedFeatureCount = String(feedCount);
    if (this.#selection.length > 0 && !this.#drag) this.#renderSelection();
    if (this.#badges.length) this.#renderPresence();
  }

  /** Tell the pacer how long MapLibre's workers took over this flush (a failure is the error event's). */
  #timeFlush(updates: Promise<void>[]): void {
    if (updates.length === 0) return;
    this.#flushPacer.flushing();
    const started = performance.now();
    Promise.all(updates).then(
      () => this.#flushPacer.flushed(performance.now() - started),
      () => this.#flushPacer.flushed(performance.now() - started),
    );
  }

  #renderSelection(geometryOverride?: Geometry): void {
    const source = this.#ready ? this.#source(SOURCES.selection) : undefined;
    if (!source) return;
    const collection: FeatureCollection = emptyCollection();
    for (const id of this.#selection) {
      const other = this.#features.get(id);
      if (!other || id === this.#selected) continue;
      collection.features.push({
        type: 'Feature',
        geometry: other.geometry as GeoJsonGeometry,
        properties: { ...styleOf(other), color: featureColor(other, this.#layerColors), fid: other.id },
      });
    }
    const feature = this.#selected ? this.#features.get(this.#selected) : undefined;
    if (!feature) {
      void source.setData(collection);
      return;
    }
    const geometry = geometryOverride ?? feature.geometry;
    collection.features.push({
      type: 'Feature',
      geometry: drawableGeometry(geometry) as GeoJsonGeometry,
      properties: { ...styleOf(feature), color: featureColor(feature, this.#layerColors), fid: feature.id },
    });
    // Feed entries are the feed's: no handles to reshape them.
    if (this.#editable && !isFeedFeature(feature)) {
      for (const vertex of verticesOf(geometry)) {
        collection.features.push({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: vertex.position },
          properties: { vertex: true, ring: vertex.ring, index: vertex.index, fid: feature.id },
        });
      }
    }
    void source.setData(collection);
  }

  #renderDraft(): void {
    const source = this.#ready ? this.#source(SOURCES.draft) : undefined;
    if (!source) return;
    const path = this.#hover ? [...this.#draft, this.#hover] : [...this.#draft];
    if (this.#mode === 'polygon' && path.length >= 3) path.push(path[0] as Position);
    const collection: FeatureCollection = emptyCollection();
    if (path.length >= 2)
      collection.features.push({
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: path },
        properties: {},
      });
    for (const position of this.#draft) {
      collection.features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: position },
        properties: {},
      });
    }
    void source.setData(collection);
    this.#container.dataset.draftVertices = String(this.#draft.length);
    this.#callbacks.onDraftChange(this.#draft.length);
    if (this.#mode === 'measure')
      this.#callbacks.onMeasure(this.#hover ? [...this.#draft, this.#hover] : [...this.#draft]);
  }

  #renderPresence(): void {
    this.#presenceFrame = 0;
    if (!this.#ready || this.#destroyed) return;
    const viewports: FeatureCollection = emptyCollection();
    for (const peer of this.#peers.values()) {
      if (!peer.viewport) continue;
      viewports.features.push({
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: viewportRing(peer.viewport) },
        properties: { color: peer.color, personId: peer.personId },
      });
    }
    void this.#source(SOURCES.viewports)?.setData(viewports);
    const editors: FeatureCollection = emptyCollection();
    for (const badge of this.#badges) {
      const feature = this.#features.get(badge.featureId);
      if (!feature) continue;
      editors.features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: anchorOf(feature.geometry) },
        properties: { label: badge.name, color: badge.color },
      });
    }
    void this.#source(SOURCES.editors)?.setData(editors);
    this.#container.dataset.authorTags = String(editors.features.length);
  }

  #setFeatureFilters(hiddenId: string | null): void {
    for (const [layer, filter] of Object.entries(featureFilters(hiddenId))) {
      this.map.setFilter(layer, filter);
    }
  }

  // ---- events ----

  #bindEvents(): void {
    const map = this.map;
    // Fired for the first style and after every setStyle: our layers go back on top each time.
    map.on('style.load', () => {
      this.#onStyleLoaded();
      this.#loadBasemapDetail();
    });
    map.on('sourcedata', (event) => {
      if (event.tile && event.sourceId && !OWN_SOURCES.has(event.sourceId)) this.#basemapLoaded();
    });
    map.on('zoomend', () => this.#loadBasemapDetail());
    map.on('styleimagemissing', (event) => fillMissingIcon(map, event.id));
    // For tools (the 10,000-feature benchmark): how many features the map had when it last settled.
    map.on('idle', () => {
      this.#container.dataset.idleFeatureCount = String(this.#rendered.size);
      // A style with nothing tiled to fetch is healthy once it has settled without errors.
      if (this.#styleLoaded && this.#basemapTileErrors === 0) this.#basemapLoaded();
    });
    map.on('error', (event) => {
      if (this.#basemapError(event)) return;
      this.#callbacks.onError(event.error?.message ?? 'The map failed to load.');
    });
    map.on('mousemove', (event) => this.#onPointerMove(event.point, event.lngLat));
    map.on('touchmove', (event) => {
      if (
        this.#longPress &&
        (event.points.length > 1 || event.point.dist(this.#longPress.start) > LONG_PRESS_SLOP_PX)
      )
        this.#cancelLongPress();
      if (this.#drag) this.#onPointerMove(event.point, event.lngLat);
    });
    map.on('mouseout', () => this.#callbacks.onCursor(null));
    map.on('mousedown', (event) => {
      if (event.originalEvent.shiftKey && this.#startBox(event)) return;
      this.#onPointerDown(event, event.point, event.lngLat);
    });
    map.on('touchstart', (event) => {
      this.#cancelLongPress();
      if (event.points.length !== 1) return;
      this.#onPointerDown(event, event.point, event.lngLat);
      if (!this.#drag) this.#startLongPress(event.point, event.lngLat);
    });
    map.on('touchend', () => {
      this.#cancelLongPress();
      this.#endDrag();
    });
    map.on('touchcancel', () => this.#cancelLongPress());
    window.addEventListener('mouseup', this.#onWindowMouseUp);
    map.on('click', (event) => this.#onClick(event.point, event.lngLat, event.originalEvent.shiftKey));
    map.on('dblclick', (event) => {
      if (!this.#drawsPath()) return;
      event.preventDefault();
      // The two clicks of the double-click each added a vertex; keep one.
      this.#draft = this.#draft.slice(0, -1);
      this.finishDrawing();
    });
    map.on('movestart', (event) => {
      this.#container.dataset.moving = 'true';
      if ('originalEvent' in event && event.originalEvent) this.#callbacks.onUserMove();
    });
    map.on('move', () => {
      this.#cursors.refresh();
      this.#describe();
      this.#queueViewport();
    });
    map.on('moveend', () => {
      this.#container.dataset.moving = 'false';
      this.#describe();
      this.#queueViewport();
      this.#writeHash();
    });
    window.addEventListener('hashchange', this.#onHashChange);
  }

  readonly #onWindowMouseUp = () => {
    this.#endBox();
    this.#endDrag();
  };

  #startBox(event: maplibregl.MapMouseEvent): boolean {
    if (!this.#editable || this.#mode !== 'select' || !this.#ready || event.originalEvent.button !== 0)
      return false;
    event.preventDefault();
    const element = document.createElement('div');
    element.className = 'select-box';
    element.dataset.testid = 'select-box';
    this.#container.append(element);
    this.#box = { start: event.point, element };
    this.#drawBox(event.point);
    return true;
  }

  #drawBox(point: maplibregl.Point): void {
    if (!this.#box) return;
    const { start, element } = this.#box;
    element.style.left = `${Math.min(start.x, point.x)}px`;
    element.style.top = `${Math.min(start.y, point.y)}px`;
    element.style.width = `${Math.abs(point.x - start.x)}px`;
    element.style.height = `${Math.abs(point.y - start.y)}px`;
  }

  #endBox(): void {
    const box = this.#box;
    this.#box = null;
    if (!box) return;
    const rect = box.element.getBoundingClientRect();
    const origin = this.#container.getBoundingClientRect();
    box.element.remove();
    if (rect.width < DRAG_THRESHOLD_PX && rect.height < DRAG_THRESHOLD_PX) return;
    const corners: [maplibregl.PointLike, maplibregl.PointLike] = [
      [rect.left - origin.left, rect.top - origin.top],
      [rect.right - origin.left, rect.bottom - origin.top],
    ];
    const layers = [LAYERS.points, LAYERS.lines, LAYERS.fills, LAYERS.outlines].filter((id) =>
      this.map.getLayer(id),
    );
    const ids = new Set<string>();
    for (const hit of this.map.queryRenderedFeatures(corners, { layers })) {
      const id = String(hit.properties.fid ?? '');
      if (id && !isFeedFeature(this.#features.get(id))) ids.add(id);
    }
    if (ids.size > 0) this.#callbacks.onBoxSelect([...ids]);
  }

  #startLongPress(point: maplibregl.Point, lngLat: maplibregl.LngLat): void {
    if (!this.#editable || !this.#ready || (this.#mode !== 'select' && this.#mode !== 'marker')) return;
    const timer = setTimeout(() => {
      this.#longPress = null;
      if (this.#destroyed) return;
      this.#callbacks.onCreate({ type: 'Point', coordinates: toPosition(lngLat) });
    }, LONG_PRESS_MS);
    this.#longPress = { timer, start: point };
  }

  #cancelLongPress(): void {
    if (this.#longPress) clearTimeout(this.#longPress.timer);
    this.#longPress = null;
  }

  readonly #onHashChange = () => {
    const view = parseViewHash(window.location.hash);
    if (view) this.map.jumpTo({ center: [view.lng, view.lat], zoom: view.zoom });
  };

  #describe(): void {
    const center = this.map.getCenter();
    this.#container.dataset.center = `${center.lng.toFixed(5)},${center.lat.toFixed(5)}`;
    this.#container.dataset.zoom = this.map.getZoom().toFixed(3);
  }

  /** Fetch the detailed basemap a zoom level before it is shown, and only once. */
  #loadBasemapDetail(): void {
    const url = this.#basemapDetailUrl;
    if (!url || this.map.getZoom() < OFFLINE_BASEMAP.detailMinZoom - 1) return;
    const source = this.#source(OFFLINE_BASEMAP.detailSource);
    if (!source) return;
    this.#basemapDetailUrl = null;
    void source.setData(url);
  }

  #writeHash(): void {
    const center = this.map.getCenter();
    const hash = formatViewHash({ zoom: this.map.getZoom(), lat: center.lat, lng: center.lng });
    if (hash !== window.location.hash) {
      window.history.replaceState(
        window.history.state,
        '',
        `${window.location.pathname}${window.location.search}${hash}`,
      );
    }
  }

  #queueViewport(): void {
    const wait = this.#lastViewportAt + VIEWPORT_THROTTLE_MS - Date.now();
    if (wait <= 0) {
      this.#lastViewportAt = Date.now();
      this.#callbacks.onViewport(this.viewport());
    } else if (!this.#viewportTimer) {
      this.#viewportTimer = setTimeout(() => {
        this.#viewportTimer = null;
        this.#lastViewportAt = Date.now();
        if (!this.#destroyed) this.#callbacks.onViewport(this.viewport());
      }, wait);
    }
  }

  #hit(point: maplibregl.Point, layers: string[]): maplibregl.MapGeoJSONFeature | undefined {
    const present = layers.filter((id) => this.map.getLayer(id));
    if (present.length === 0) return undefined;
    const box: [maplibregl.PointLike, maplibregl.PointLike] = [
      [point.x - HIT_RADIUS_PX, point.y - HIT_RADIUS_PX],
      [point.x + HIT_RADIUS_PX, point.y + HIT_RADIUS_PX],
    ];
    return this.map.queryRenderedFeatures(box, { layers: present })[0];
  }

  #onPointerMove(point: maplibregl.Point, lngLat: maplibregl.LngLat): void {
    if (this.#box) {
      this.#drawBox(point);
      return;
    }
    const now = Date.now();
    if (now - this.#lastCursorAt >= CURSOR_THROTTLE_MS) {
      this.#lastCursorAt = now;
      this.#callbacks.onCursor([wrapLongitude(lngLat.lng), Math.max(-90, Math.min(90, lngLat.lat))]);
    }
    if (this.#drag) {
      this.#continueDrag(point, lngLat);
      return;
    }
    if (this.#drawsPath()) {
      if (this.#draft.length > 0) {
        this.#hover = toPosition(lngLat);
        this.#renderDraft();
      }
      return;
    }
    if (this.#mode === 'select' && this.#ready) {
      const hit = this.#hit(point, [
        LAYERS.vertices,
        LAYERS.points,
        LAYERS.feedRings,
        LAYERS.clusters,
        LAYERS.lines,
        LAYERS.fills,
      ]);
      const movable =
        this.#editable &&
        hit !== undefined &&
        hit.layer.id !== LAYERS.clusters &&
        !isFeedFeature(this.#features.get(String(hit.properties.fid ?? '')));
      this.map.getCanvas().style.cursor = hit ? (movable ? 'move' : 'pointer') : '';
    }
  }

  #onPointerDown(
    event: maplibregl.MapMouseEvent | maplibregl.MapTouchEvent,
    point: maplibregl.Point,
    lngLat: maplibregl.LngLat,
  ): void {
    if (!this.#editable || this.#mode !== 'select' || !this.#ready) return;
    if ('button' in event.originalEvent && event.originalEvent.button !== 0) return;
    const vertexHit = this.#hit(point, [LAYERS.vertices]);
    if (vertexHit && this.#selected) {
      const selected = this.#features.get(this.#selected);
      const feature = isFeedFeature(selected) ? undefined : selected;
      const ring = Number(vertexHit.properties.ring);
      const index = Number(vertexHit.properties.index);
      const vertex =
        feature && verticesOf(feature.geometry).find((v) => v.ring === ring && v.index === index);
      if (feature && vertex) {
        event.preventDefault();
        this.#drag = {
          kind: 'vertex',
          id: feature.id,
          vertex,
          start: point,
          original: feature.geometry,
          current: feature.geometry,
          active: false,
        };
        return;
      }
    }
    // A feed entry on top wins the press (and is not movable): the map pans, a click selects it.
    const hit = this.#hit(point, [LAYERS.feedRings, LAYERS.points, LAYERS.lines, LAYERS.fills]);
    const id = hit ? String(hit.properties.fid ?? '') : '';
    const feature = id ? this.#features.get(id) : undefined;
    if (!feature || isFeedFeature(feature)) return;
    // Stop MapLibre from panning: this press moves the feature instead.
    event.preventDefault();
    this.#drag = {
      kind: 'move',
      id,
      start: point,
      startLngLat: lngLat,
      original: feature.geometry,
      current: feature.geometry,
      active: false,
    };
  }

  #continueDrag(point: maplibregl.Point, lngLat: maplibregl.LngLat): void {
    const drag = this.#drag;
    if (!drag) return;
    if (!drag.active) {
      if (point.dist(drag.start) < DRAG_THRESHOLD_PX) return;
      drag.active = true;
      this.#selected = drag.id;
      this.#callbacks.onSelect(drag.id);
      this.#setFeatureFilters(drag.id);
      this.#container.dataset.dragging = 'true';
    }
    drag.current =
      drag.kind === 'move'
        ? translateGeometry(
            drag.original,
            lngLat.lng - drag.startLngLat.lng,
            lngLat.lat - drag.startLngLat.lat,
          )
        : moveVertex(drag.original, drag.vertex, toPosition(lngLat));
    this.#renderSelection(drag.current);
  }

  #endDrag(): void {
    const drag = this.#drag;
    this.#drag = null;
    if (!drag?.active) return;
    this.#container.dataset.dragging = 'false';
    this.#setFeatureFilters(null);
    this.#callbacks.onMove(drag.id, roundGeometry(drag.current));
    this.#renderSelection();
  }

  #onClick(point: maplibregl.Point, lngLat: maplibregl.LngLat, additive = false): void {
    if (!this.#ready) return;
    switch (this.#mode) {
      case 'marker':
        this.#callbacks.onCreate({ type: 'Point', coordinates: toPosition(lngLat) });
        return;
      case 'line':
      case 'polygon':
      case 'measure': {
        const first = this.#draft[0];
        if (this.#mode === 'polygon' && first && this.#draft.length >= 3) {
          const firstPoint = this.map.project(first as [number, number]);
          if (firstPoint.dist(point) <= CLOSE_RING_PX) {
            this.finishDrawing();
            return;
          }
        }
        this.#draft.push(toPosition(lngLat));
        this.#hover = null;
        this.#renderDraft();
        return;
      }
      case 'select': {
        const cluster = this.#hit(point, [LAYERS.clusters]);
        if (cluster) {
          void this.#expandCluster(cluster);
          return;
        }
        const hit = this.#hit(point, [
          LAYERS.vertices,
          LAYERS.feedRings,
          LAYERS.points,
          LAYERS.lines,
          LAYERS.fills,
        ]);
        const id = hit ? String(hit.properties.fid ?? '') : '';
        const feature = id ? this.#features.get(id) : undefined;
        if (additive && feature) {
          this.#callbacks.onSelect(id, true);
          return;
        }
        this.setSelection(feature ? [id] : []);
        this.#callbacks.onSelect(feature ? id : null);
        this.#showPopup(feature, lngLat);
      }
    }
  }

  /**
   * Clicking a feature that this person does not edit here (a viewer, or a feed entry) opens a
   * popup with its title, description and other properties; editing happens in the side panel.
   */
  #showPopup(feature: Feature | undefined, lngLat: maplibregl.LngLat): void {
    this.#popup?.remove();
    this.#popup = null;
    if (!feature || (this.#editable && !isFeedFeature(feature))) return;
    const anchor =
      feature.geometry.type === 'Point' ? (feature.geometry.coordinates as [number, number]) : lngLat;
    this.#popup = new maplibregl.Popup({
      maxWidth: '280px',
      className: 'feature-popup',
      focusAfterOpen: false,
    })
      .setLngLat(anchor)
      .setDOMContent(featurePopup(feature))
      .addTo(this.map);
  }

  async #expandCluster(cluster: maplibregl.MapGeoJSONFeature): Promise<void> {
    const source = this.#source(SOURCES.points);
    const clusterId = Number(cluster.properties.cluster_id);
    if (!source || !Number.isFinite(clusterId) || cluster.geometry.type !== 'Point') return;
    const zoom = await source.getClusterExpansionZoom(clusterId);
    this.map.easeTo({ center: cluster.geometry.coordinates as [number, number], zoom, duration: 400 });
  }
}

function hostOf(style: maplibregl.StyleSpecification | string): string | null {
  if (typeof style !== 'string') return null;
  try {
    return new URL(style).host;
  } catch {
    return null;
  }
}

function roundGeometry(geometry: Geometry): Geometry {
  const r = (p: Position): Position => [round7(p[0]), round7(p[1])];
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: r(geometry.coordinates) };
    case 'LineString':
      return { type: 'LineString', coordinates: geometry.coordinates.map(r) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => ring.map(r)) };
    default:
      return mapPositions(geometry, r);
  }
}
