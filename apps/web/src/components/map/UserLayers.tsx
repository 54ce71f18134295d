'use client';

import { LIMITS, type UserLayer } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { useEffect, useRef, useState } from 'react';
import {
  layerColor,
  layerStyleSamples,
  layersTopFirst,
  orderForMove,
  patchLayerStyle,
} from '../../layers/user-layers.ts';
import type { Editor } from '../../session/editor.ts';
import { useClientVersion } from '../../session/use-client.ts';
import { LayerStyleControl } from './LayerStyleControl.tsx';
import { StylePanel } from './StylePanel.tsx';
import './user-layers.css';

/** How long the "Undo" offer stays after a layer is deleted. */
const UNDO_OFFER_MS = 10_000;

interface UserLayersProps {
  client: MeridianClient | null;
  editor: Editor | null;
  editable: boolean;
  hidden: ReadonlySet<string>;
  onToggleHidden(id: string): void;
  /** The layer new features go into (null: none). */
  active: string | null;
  onActivate(id: string | null): void;
}

/**
 * The map's own layers, top first: a visibility eye for this person, and for editors the layer new
 * features go into, rename in place, up/down, a default colour, delete (confirmed, with an undo
 * offer) and "New layer".
 */
export function UserLayers({
  client,
  editor,
  editable,
  hidden,
  onToggleHidden,
  active,
  onActivate,
}: UserLayersProps) {
  useClientVersion(client, ['featuresChanged']);
  const layers = client ? layersTopFirst(client.layers) : [];
  const [styling, setStyling] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [undoOffer, setUndoOffer] = useState<{ name: string; version: number } | null>(null);

  useEffect(() => {
    if (!undoOffer) return;
    const timer = setTimeout(() => setUndoOffer(null), UNDO_OFFER_MS);
    return () => clearTimeout(timer);
  }, [undoOffer]);

  const counts = new Map<string, number>();
  for (const feature of client?.features.values() ?? []) {
    const layer = feature.properties.layer;
    if (layer != null) counts.set(layer, (counts.get(layer) ?? 0) + 1);
  }

  const remove = (layer: UserLayer) => {
    if (!editor) return;
    editor.removeLayer(layer.id);
    if (active === layer.id) onActivate(null);
    setConfirming(null);
    setUndoOffer({ name: layer.name, version: editor.version });
  };

  return (
    <section className="user-layers" aria-label="Layers" data-testid="user-layers" data-count={layers.length}>
      <h2>
        Layers <span className="muted">({layers.length})</span>
      </h2>
      {layers.length === 0 ? (
        <p className="muted">{editable ? 'Group features into layers: add one below.' : 'No layers.'}</p>
      ) : null}
      <ul>
        {layers.map((layer, index) => {
          const isHidden = hidden.has(layer.id);
          const count = counts.get(layer.id) ?? 0;
          return (
            <li
              key={layer.id}
              className="user-layer"
              data-testid={`user-layer-${layer.id}`}
              data-layer-id={layer.id}
              data-layer-name={layer.name}
              data-hidden={isHidden ? 'true' : 'false'}
              data-active={active === layer.id ? 'true' : 'false'}
              data-index={index}
            >
              <div className="user-layer-row">
                <button
                  type="button"
                  className="ghost small eye"
                  aria-pressed={!isHidden}
                  aria-label={`${isHidden ? 'Show' : 'Hide'} ${layer.name} (only for you)`}
                  title={isHidden ? 'Hidden for you: show' : 'Hide for you (others still see it)'}
                  data-testid="layer-visibility"
                  onClick={() => onToggleHidden(layer.id)}
                >
                  {isHidden ? '◌' : '◉'}
                </button>
                <span
                  className="swatch"
                  style={{ background: layerColor(layer) ?? 'transparent' }}
                  aria-hidden="true"
                />
                {editable ? (
                  <LayerName layer={layer} onRename={(name) => editor?.updateLayer(layer.id, { name })} />
                ) : (
                  <span className="name">{layer.name}</span>
                )}
                <span className="muted count" data-testid="layer-count">
                  {count}
                </span>
              </div>
              {editable ? (
                <div className="user-layer-tools">
                  <label className="active-choice" title="New markers and shapes you draw go into this layer">
                    <input
                      type="radio"
                      name="active-layer"
                      checked={active === layer.id}
                      data-testid="layer-activate"
                      aria-label={`New features go into ${layer.name}`}
                      onChange={() => onActivate(layer.id)}
                    />
                    Add here
                  </label>
                  <LayerStyleControl
                    layerName={layer.name}
                    style={layer.style}
                    onChange={(style) => editor?.updateLayer(layer.id, { style })}
                  />
                  <button
                    type="button"
                    className="ghost small"
                    aria-expanded={styling === layer.id}
                    aria-label={`Default style of ${layer.name}`}
                    data-testid="layer-style-toggle"
                    onClick={() => setStyling(styling === layer.id ? null : layer.id)}
                  >
                    Style
                  </button>
                  <MoveButton
                    layer={layer}
                    direction="up"
                    client={client}
                    onMove={(order) => editor?.updateLayer(layer.id, { order })}
                  />
                  <MoveButton
                    layer={layer}
                    direction="down"
                    client={client}
                    onMove={(order) => editor?.updateLayer(layer.id, { order })}
                  />
                  {confirming === layer.id ? (
                    <fieldset className="confirm" aria-label={`Delete ${layer.name}?`}>
                      <button
                        type="button"
                        className="danger small"
                        data-testid="layer-delete-confirm"
                        onClick={() => remove(layer)}
                      >
                        Delete{count > 0 ? ` with ${count} feature${count === 1 ? '' : 's'}` : ''}
                      </button>
                      <button type="button" className="ghost small" onClick={() => setConfirming(null)}>
                        Keep
                      </button>
                    </fieldset>
                  ) : (
                    <button
                      type="button"
                      className="ghost small"
                      aria-label={`Delete ${layer.name}`}
                      data-testid="layer-delete"
                      onClick={() => setConfirming(layer.id)}
                    >
                      Delete
                    </button>
                  )}
                </div>
              ) : null}
              {editable && styling === layer.id ? (
                <div className="user-layer-style" data-testid="layer-style">
                  {/* The layer's features take these for every key they do not set themselves. */}
                  <StylePanel
                    features={layerStyleSamples(layer)}
                    onPatch={(patch, coalesceKey) =>
                      editor?.updateLayer(
                        layer.id,
                        { style: patchLayerStyle(layer.style, patch) },
                        coalesceKey && `${layer.id}:${coalesceKey}`,
                      )
                    }
                  />
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      {editable ? (
        <div className="user-layers-end">
          <button
            type="button"
            className="small"
            data-testid="layer-new"
            disabled={!editor}
            onClick={() => {
              if (!editor || !client) return;
              const taken = new Set(layersTopFirst(client.layers).map((l) => l.name));
              let n = layers.length + 1;
              while (taken.has(`Layer ${n}`)) n++;
              onActivate(editor.addUserLayer(`Layer ${n}`));
            }}
          >
            + New layer
          </button>
          {active ? (
            <button type="button" className="ghost small" onClick={() => onActivate(null)}>
              New features: no layer
            </button>
          ) : null}
        </div>
      ) : null}
      {undoOffer ? (
        <div className="toast info layer-undo" role="status" data-testid="layer-undo-offer">
          <span>Deleted the layer {undoOffer.name}.</span>
          <button
            type="button"
            className="small"
            data-testid="layer-undo"
            onClick={() => {
              // Only while the deletion is still this person's latest edit: undo takes the latest.
              if (editor && editor.version === undoOffer.version) editor.undo();
              setUndoOffer(null);
            }}
          >
            Undo
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** A layer's name, edited in place: committed on Enter or when the field loses focus. */
function LayerName({ layer, onRename }: { layer: UserLayer; onRename(name: string): void }) {
  const [draft, setDraft] = useState(layer.name);
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setDraft(layer.name);
  }, [layer.name]);
  const commit = () => {
    const name = draft.trim();
    if (name && name !== layer.name) onRename(name);
    else setDraft(layer.name);
  };
  return (
    <input
      className="name"
      aria-label={`Name of layer ${layer.name}`}
      data-testid="layer-name"
      value={draft}
      maxLength={LIMITS.MAX_NAME_CHARS}
      onFocus={() => {
        focused.current = true;
      }}
      onBlur={() => {
        focused.current = false;
        commit();
      }}
      onChange={(event) => setDraft(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') event.currentTarget.blur();
        if (event.key === 'Escape') {
          setDraft(layer.name);
          event.currentTarget.blur();
        }
      }}
    />
  );
}

function MoveButton({
  layer,
  direction,
  client,
  onMove,
}: {
  layer: UserLayer;
  direction: 'up' | 'down';
  client: MeridianClient | null;
  onMove(order: number): void;
}) {
  const order = client ? orderForMove(client.layers, layer.id, direction) : null;
  return (
    <button
      type="button"
      className="ghost small"
      aria-label={`Move ${layer.name} ${direction}`}
      data-testid={`layer-${direction}`}
      disabled={order === null}
      onClick={() => order !== null && onMove(order)}
    >
      {direction === 'up' ? '↑' : '↓'}
    </button>
  );
}
