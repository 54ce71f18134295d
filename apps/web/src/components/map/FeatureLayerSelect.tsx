'use client';

import type { Feature, Layer } from '@meridian/protocol';
import { useId } from 'react';
import { layersTopFirst } from '../../layers/user-layers.ts';

interface FeatureLayerSelectProps {
  feature: Feature;
  layers: ReadonlyMap<string, Layer>;
  editable: boolean;
  onMove(layerId: string | null): void;
}

/** The selected feature's user layer, with a select to move it to another (editors only). */
export function FeatureLayerSelect({ feature, layers, editable, onMove }: FeatureLayerSelectProps) {
  const id = useId();
  const current = feature.properties.layer ?? '';
  const userLayers = layersTopFirst(layers);
  if (!editable) {
    const layer = layers.get(current);
    return layer?.kind === 'user' ? (
      <p className="muted" data-testid="feature-user-layer">
        Layer: {layer.name}
      </p>
    ) : null;
  }
  if (userLayers.length === 0 && !current) return null;
  return (
    <div className="feature-layer-select">
      <label htmlFor={id}>Layer</label>
      <select
        id={id}
        data-testid="feature-layer-select"
        value={current}
        onChange={(event) => onMove(event.target.value || null)}
      >
        <option value="">No layer</option>
        {userLayers.map((layer) => (
          <option key={layer.id} value={layer.id}>
            {layer.name}
          </option>
        ))}
      </select>
    </div>
  );
}
