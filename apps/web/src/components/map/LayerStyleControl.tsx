'use client';

import type { LayerStyle } from '@meridian/protocol';
import { useEffect, useId, useRef, useState } from 'react';
import { colorProperties } from '../../features/render-features.ts';

/** How long the colour picker waits after the last change before the style is sent (dragging sends many). */
const PICK_COMMIT_MS = 300;

interface LayerStyleControlProps {
  layerName: string;
  style: LayerStyle;
  onChange(style: LayerStyle): void;
}

/**
 * A layer's default colour (markers, lines and fills of its features that have no colour of their
 * own). Deliberately minimal: the full per-feature style panel can replace it later.
 */
export function LayerStyleControl({ layerName, style, onChange }: LayerStyleControlProps) {
  const id = useId();
  const current = style['marker-color'] ?? style.stroke ?? style.fill ?? '';
  const [draft, setDraft] = useState(current);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => setDraft(current), [current]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const commit = (color: string | null) => {
    const { 'marker-color': _m, stroke: _s, fill: _f, ...rest } = style;
    onChange(color ? { ...rest, ...colorProperties(color) } : rest);
  };

  return (
    <span className="layer-style">
      <label htmlFor={id} className="visually-hidden">
        Default colour of {layerName}
      </label>
      <input
        id={id}
        type="color"
        value={draft || '#2563eb'}
        data-testid="layer-color"
        data-color={current}
        onChange={(event) => {
          const color = event.target.value;
          setDraft(color);
          if (timer.current) clearTimeout(timer.current);
          timer.current = setTimeout(() => commit(color), PICK_COMMIT_MS);
        }}
      />
      {current ? (
        <button
          type="button"
          className="ghost small"
          aria-label={`Clear the default colour of ${layerName}`}
          data-testid="layer-color-clear"
          onClick={() => commit(null)}
        >
          ⌫
        </button>
      ) : null}
    </span>
  );
}
