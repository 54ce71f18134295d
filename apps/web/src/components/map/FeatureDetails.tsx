'use client';

import { type Feature, type FeaturePropertiesPatch, LIMITS } from '@meridian/protocol';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { formatArea, formatLength, measureGeometry } from '../../features/measure.ts';
import { colorProperties, featureColor } from '../../features/render-features.ts';
import { PRESENCE_COLORS } from '../../presence/identity.ts';
import { StylePanel } from './StylePanel.tsx';

/** How long a field waits after the last keystroke before the edit is sent. */
const TYPING_COMMIT_MS = 500;

const KIND_LABEL: Record<Feature['geometry']['type'], string> = {
  Point: 'Marker',
  LineString: 'Line',
  Polygon: 'Area',
  MultiPoint: 'Markers',
  MultiLineString: 'Lines',
  MultiPolygon: 'Areas',
  GeometryCollection: 'Shapes',
};

interface FeatureDetailsProps {
  feature: Feature;
  editable: boolean;
  /** Someone else who changed this feature moments ago. */
  remoteEditor: { name: string; color: string } | null;
  /** The live-feed layer this feature is an entry of: then it is shown read-only. */
  layer: { name: string; color: string } | null;
  onChange(id: string, patch: FeaturePropertiesPatch, coalesceKey?: string): void;
  onDelete(id: string): void;
  onClose(): void;
  /** More about the feature, shown under its text (its user layer). */
  children?: ReactNode;
}

/**
 * A text field bound to one property: it shows others' edits while it is not focused, and never
 * overwrites what this person is typing. Typing is committed after a pause, on blur and on Enter.
 */
function useField(remote: string, commit: (value: string) => void) {
  const [draft, setDraft] = useState(remote);
  const focused = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastSent = useRef(remote);

  useEffect(() => {
    if (!focused.current) setDraft(remote);
    lastSent.current = remote;
  }, [remote]);

  const flush = (value: string) => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (value !== lastSent.current) {
      lastSent.current = value;
      commit(value);
    }
  };

  return {
    value: draft,
    onFocus: () => {
      focused.current = true;
    },
    onBlur: () => {
      focused.current = false;
      flush(draft);
    },
    onChange: (value: string) => {
      setDraft(value);
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => flush(value), TYPING_COMMIT_MS);
    },
    flush: () => flush(draft),
  };
}

export function FeatureDetails({
  feature,
  editable: canEdit,
  remoteEditor,
  layer,
  onChange,
  onDelete,
  onClose,
  children,
}: FeatureDetailsProps) {
  // A feed entry is the feed's: its next delivery would overwrite any edit made here.
  const editable = canEdit && !layer;
  const ids = { title: useId(), description: useId(), color: useId() };
  const title = useField(feature.properties.title ?? '', (value) =>
    onChange(feature.id, { title: value.trim() ? value : null }),
  );
  const description = useField(feature.properties.description ?? '', (value) =>
    onChange(feature.id, { description: value.trim() ? value : null }),
  );
  const color = layer?.color ?? featureColor(feature);
  const kind = layer ? 'Feed entry' : KIND_LABEL[feature.geometry.type];
  const position = feature.geometry.type === 'Point' ? feature.geometry.coordinates : null;
  const measurement = measureGeometry(feature.geometry);
  const section = useRef<HTMLElement>(null);
  // A feature picked lower down (the list, on a phone's sheet) leaves the panel scrolled there:
  // bring the panel back to its top, where these details are, each time another feature is shown.
  useEffect(() => {
    const panel = section.current?.closest('.sidepanel');
    if (panel && feature.id) panel.scrollTop = 0;
  }, [feature.id]);

  return (
    <section
      ref={section}
      className="feature-details"
      aria-label={`${kind} details`}
      data-testid="feature-details"
      data-feature-id={feature.id}
      data-readonly={editable ? undefined : 'true'}
    >
      <header>
        <h2>
          <span
            className={layer ? 'swatch feed' : 'swatch'}
            style={layer ? { borderColor: color } : { background: color }}
            aria-hidden="true"
          />
          {kind}
        </h2>
        <button
          type="button"
          className="ghost small"
          aria-label="Close details"
          data-testid="feature-details-close"
          onClick={onClose}
        >
          ×
        </button>
      </header>
      {remoteEditor ? (
        <p className="remote-editor" data-testid="remote-editor" style={{ borderColor: remoteEditor.color }}>
          <span className="editor-dot" style={{ background: remoteEditor.color }} aria-hidden="true" />
          {remoteEditor.name} is editing this
        </p>
      ) : null}
      {editable ? (
        <>
          <label htmlFor={ids.title}>Title</label>
          <input
            id={ids.title}
            data-testid="feature-title"
            value={title.value}
            maxLength={LIMITS.MAX_TITLE_CHARS}
            placeholder={`Untitled ${kind.toLowerCase()}`}
            onFocus={title.onFocus}
            onBlur={title.onBlur}
            onChange={(event) => title.onChange(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') title.flush();
            }}
          />
          <label htmlFor={ids.description}>Description</label>
          <textarea
            id={ids.description}
            data-testid="feature-description"
            value={description.value}
            rows={4}
            maxLength={LIMITS.MAX_DESCRIPTION_CHARS}
            onFocus={description.onFocus}
            onBlur={description.onBlur}
            onChange={(event) => description.onChange(event.target.value)}
          />
          <fieldset className="colors">
            <legend>Colour</legend>
            {PRESENCE_COLORS.map((swatch) => (
              <button
                key={swatch}
                type="button"
                className="color-swatch"
                style={{ background: swatch }}
                aria-label={`Colour ${swatch}`}
                aria-pressed={swatch === color}
                data-testid={`color-${swatch.slice(1)}`}
                onClick={() => onChange(feature.id, colorProperties(swatch))}
              />
            ))}
            <label htmlFor={ids.color} className="visually-hidden">
              Custom colour
            </label>
            <input
              id={ids.color}
              type="color"
              value={color}
              data-testid="feature-color"
              onChange={(event) => onChange(feature.id, colorProperties(event.target.value))}
            />
          </fieldset>
          <StylePanel features={[feature]} onPatch={(patch, key) => onChange(feature.id, patch, key)} />
        </>
      ) : (
        <>
          <h3 className="feature-title" data-testid="feature-title-text">
            {feature.properties.title || `Untitled ${kind.toLowerCase()}`}
          </h3>
          {feature.properties.description ? (
            <p className="feature-description" data-testid="feature-description-text">
              {feature.properties.description}
            </p>
          ) : null}
          {feature.properties.url ? (
            <p>
              <a
                href={feature.properties.url}
                target="_blank"
                rel="noopener noreferrer nofollow"
                data-testid="feature-link"
              >
                Open the entry
              </a>
            </p>
          ) : null}
          {layer ? (
            <p className="muted" data-testid="feature-layer">
              From the live layer {layer.name}; it changes when the feed does.
            </p>
          ) : null}
        </>
      )}
      {children}
      {position ? (
        <p className="muted" data-testid="feature-position">
          {position[1].toFixed(5)}, {position[0].toFixed(5)}
        </p>
      ) : null}
      {measurement?.kind === 'length' ? (
        <p className="measurement" data-testid="feature-length" data-meters={measurement.meters}>
          Length <strong>{formatLength(measurement.meters)}</strong>
        </p>
      ) : null}
      {measurement?.kind === 'area' ? (
        <p className="measurement" data-testid="feature-area" data-square-meters={measurement.squareMeters}>
          Area <strong>{formatArea(measurement.squareMeters)}</strong> · perimeter{' '}
          {formatLength(measurement.perimeterMeters)}
        </p>
      ) : null}
      {editable ? (
        <button
          type="button"
          className="danger"
          data-testid="feature-delete"
          onClick={() => onDelete(feature.id)}
        >
          Delete {kind.toLowerCase()}
        </button>
      ) : null}
    </section>
  );
}
