import {
  type Feature,
  type FeatureProperties,
  type FeaturePropertiesPatch,
  type FeedLayer,
  type Layer,
  type LayerStyle,
  LIMITS,
  STYLE_KEYS,
  type UserLayer,
  userLayersInOrder,
} from '@meridian/protocol';

/**
 * How user layers change what the map draws, as pure functions: a feature of a user layer takes
 * the layer's default style for every simplestyle key it has no value of its own for; a hidden
 * layer's features are not drawn (hiding is this person's, never an op); features are drawn in
 * layer order (unlayered and feed features first, then user layers bottom to top).
 */

/** A user layer's features with its defaults merged in, or the feature itself when nothing changes. */
export function withLayerDefaults(feature: Feature, layer: UserLayer): Feature {
  const defaults: Record<string, unknown> = {};
  for (const key of STYLE_KEYS) {
    const value = layer.style[key];
    // A key set to null counts as absent (the protocol's rule), so the default shows through.
    if (value !== undefined && feature.properties[key] == null) defaults[key] = value;
  }
  // The map draws a user layer's feature as a person's feature (editable, clustered): only feed
  // entries keep `layer` there, which is how the map tells them apart.
  const { layer: _layer, ...own } = feature.properties;
  return { ...feature, properties: { ...own, ...defaults } as FeatureProperties };
}

/** What the map shows of one feature: null when its layer is hidden. */
export function presentFeature(
  feature: Feature,
  layers: ReadonlyMap<string, Layer>,
  hidden: ReadonlySet<string>,
): Feature | null {
  const layerId = feature.properties.layer;
  if (layerId == null) return feature;
  if (hidden.has(layerId)) return null;
  const layer = layers.get(layerId);
  return layer?.kind === 'user' ? withLayerDefaults(feature, layer) : feature;
}

/** A text that changes whenever what the layers do to drawing changes (style, order, hidden, kind). */
export function layerPresentationKey(layers: Iterable<Layer>, hidden: ReadonlySet<string>): string {
  const parts = [...layers]
    .map((layer) =>
      layer.kind === 'user'
        ? `${layer.id}:user:${layer.order}:${JSON.stringify(layer.style)}:${hidden.has(layer.id)}`
        : `${layer.id}:feed:${hidden.has(layer.id)}`,
    )
    .sort();
  return parts.join('|');
}

/**
 * Keeps the map's view of the features: the client's features presented through the layers,
 * updated by the ids that changed, and rebuilt whole (in layer order) when the layers' styles,
 * order or hidden set change. Unchanged features keep their object, so the map's diff skips them.
 */
export class LayerPresenter {
  #key = '';
  #presented = new Map<string, Feature>();

  get features(): ReadonlyMap<string, Feature> {
    return this.#presented;
  }

  /**
   * Brings the view up to date; returns the ids to redraw, or 'all' after a rebuild (then the map
   * should redraw from scratch: only a full redraw puts features in the new layer order).
   */
  update(
    features: ReadonlyMap<string, Feature>,
    layers: ReadonlyMap<string, Layer>,
    hidden: ReadonlySet<string>,
    changed: ReadonlySet<string> | 'all',
  ): ReadonlySet<string> | 'all' {
    const key = layerPresentationKey(layers.values(), hidden);
    if (changed === 'all' || key !== this.#key) {
      this.#key = key;
      this.#presented = presentAll(features, layers, hidden);
      return 'all';
    }
    for (const id of changed) {
      const feature = features.get(id);
      const shown = feature ? presentFeature(feature, layers, hidden) : null;
      if (shown) this.#presented.set(id, shown);
      else this.#presented.delete(id);
    }
    return changed;
  }
}

/** Every feature presented, in drawing order: no layer or a feed layer first, then user layers bottom up. */
export function presentAll(
  features: ReadonlyMap<string, Feature>,
  layers: ReadonlyMap<string, Layer>,
  hidden: ReadonlySet<string>,
): Map<string, Feature> {
  const rank = new Map(userLayersInOrder(layers.values()).map((layer, i) => [layer.id, i + 1]));
  const rankOf = (feature: Feature) => rank.get(feature.properties.layer ?? '') ?? 0;
  const shown: Feature[] = [];
  for (const feature of features.values()) {
    const presented = presentFeature(feature, layers, hidden);
    if (presented) shown.push(presented);
  }
  // Stable: within a layer, features keep the client's order.
  const ranks = new Map<string, number>();
  for (const feature of features.values()) ranks.set(feature.id, rankOf(feature));
  shown.sort((a, b) => (ranks.get(a.id) ?? 0) - (ranks.get(b.id) ?? 0));
  return new Map(shown.map((feature) => [feature.id, feature]));
}

/** True for an entry of a live-feed layer (the feed's: shown, never edited or moved here). */
export function isFeedEntry(feature: Feature | undefined, layers: ReadonlyMap<string, Layer>): boolean {
  const layerId = feature?.properties.layer;
  if (layerId == null) return false;
  // A layer not (yet) known is treated as a feed's, the safe side: no edit is made of it.
  return layers.get(layerId)?.kind !== 'user';
}

/** The live-feed layers (drawn in their own colours by the map). */
export function feedLayersOf(layers: ReadonlyMap<string, Layer>): FeedLayer[] {
  return [...layers.values()].filter((layer): layer is FeedLayer => layer.kind === 'feed');
}

/** The user layers as the panel lists them: top (drawn last) first. */
export function layersTopFirst(layers: ReadonlyMap<string, Layer>): UserLayer[] {
  return userLayersInOrder(layers.values()).reverse();
}

/** The order for a new layer: above every other. */
export function orderOnTop(layers: ReadonlyMap<string, Layer>): number {
  const top = userLayersInOrder(layers.values()).at(-1);
  return top ? Math.min(Math.floor(top.order) + 1, LIMITS.MAX_LAYER_ORDER) : 0;
}

/**
 * The order that moves `id` one place up (toward the top of the list) or down: the midpoint
 * between the two layers it lands between, so one op moves it and no other layer changes.
 * Null when it is already at that end.
 */
export function orderForMove(
  layers: ReadonlyMap<string, Layer>,
  id: string,
  direction: 'up' | 'down',
): number | null {
  const bottomUp = userLayersInOrder(layers.values());
  const at = bottomUp.findIndex((layer) => layer.id === id);
  if (at < 0) return null;
  const others = bottomUp.filter((layer) => layer.id !== id);
  // Its place among the others after the move, counted from the bottom.
  const slot = direction === 'up' ? at + 1 : at - 1;
  if (slot < 0 || slot > others.length) return null;
  const below = others[slot - 1]?.order;
  const above = others[slot]?.order;
  if (below === undefined && above !== undefined) return Math.max(above - 1, -LIMITS.MAX_LAYER_ORDER);
  if (above === undefined && below !== undefined) return Math.min(below + 1, LIMITS.MAX_LAYER_ORDER);
  if (below === undefined || above === undefined) return null;
  return (below + above) / 2;
}

/** The colour a layer's default style paints with, if it sets one. */
export function layerColor(layer: UserLayer): string | undefined {
  return layer.style['marker-color'] ?? layer.style.stroke ?? layer.style.fill;
}

/**
 * A layer's default style after a style-panel patch: style keys set or (null) removed, any other
 * key of the patch (a title, say) ignored, since a layer's style holds style keys only.
 */
export function patchLayerStyle(style: LayerStyle, patch: FeaturePropertiesPatch): LayerStyle {
  const next: Record<string, unknown> = { ...style };
  for (const key of STYLE_KEYS) {
    if (!(key in patch)) continue;
    const value = patch[key];
    if (value === null || value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as LayerStyle;
}

/**
 * One marker, one line and one area carrying a layer's default style: what the style panel edits
 * when it styles a layer (it shows the sections of the geometries it is given).
 */
export function layerStyleSamples(layer: UserLayer): Feature[] {
  const properties = { ...layer.style } as FeatureProperties;
  const sample = (id: string, geometry: Feature['geometry']): Feature => ({
    type: 'Feature',
    id: `${layer.id}-style-${id}`,
    geometry,
    properties,
    version: 0,
  });
  return [
    sample('marker', { type: 'Point', coordinates: [0, 0] }),
    sample('line', {
      type: 'LineString',
      coordinates: [
        [0, 0],
        [1, 1],
      ],
    }),
    sample('area', {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    }),
  ];
}
