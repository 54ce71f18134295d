'use client';

import type { FeedLayer } from '@meridian/protocol';
import type { MeridianClient } from '@meridian/protocol/client';
import { type FormEvent, useId, useRef, useState } from 'react';
import { validateLayerInput } from '../../layers/layer-form.ts';
import { layerStatusText } from '../../layers/status-text.ts';
import { useClientVersion } from '../../session/use-client.ts';

interface LiveLayersProps {
  client: MeridianClient | null;
  editable: boolean;
  layerColors: ReadonlyMap<string, string>;
  onAdd(url: string, name: string): void;
  onRemove(id: string): void;
}

/**
 * The map's live-feed layers: each with its symbol, name, status line and counters; an edit link
 * also gets a remove button per layer and the "Add live feed" form.
 */
export function LiveLayers({ client, editable, layerColors, onAdd, onRemove }: LiveLayersProps) {
  useClientVersion(client, ['featuresChanged', 'layerStatus']);
  // User layers are listed by UserLayers: here only the feeds.
  const layers: FeedLayer[] = client
    ? [...client.layers.values()].filter((layer): layer is FeedLayer => layer.kind === 'feed')
    : [];
  return (
    <section
      className="live-layers"
      aria-label="Live layers"
      data-testid="live-layers"
      data-count={layers.length}
    >
      <h2>
        Live layers <span className="muted">({layers.length})</span>
      </h2>
      {layers.length === 0 ? (
        <p className="muted">{editable ? 'No live feeds yet: add one below.' : 'No live feeds.'}</p>
      ) : null}
      <ul>
        {layers.map((layer) => {
          const raw = client?.layerStatuses.get(layer.id);
          const status = layerStatusText(raw);
          return (
            <li
              key={layer.id}
              className="live-layer"
              data-testid={`layer-${layer.id}`}
              data-layer-id={layer.id}
              data-state={status.state}
              data-mode={raw?.mode ?? ''}
              data-entries={raw?.entries ?? 0}
              data-bad-signatures={raw?.badSignatures ?? 0}
            >
              <span
                className="layer-symbol"
                style={{ borderColor: layerColors.get(layer.id) }}
                aria-hidden="true"
              />
              <div className="live-layer-text">
                <a
                  className="name"
                  href={layer.url}
                  target="_blank"
                  rel="noopener noreferrer"
                  title={layer.url}
                  data-testid="layer-name"
                >
                  {layer.name}
                </a>
                <p
                  className="layer-status"
                  data-state={status.state}
                  data-testid="layer-status"
                  role="status"
                >
                  {status.line}
                </p>
                {status.detail ? (
                  <details className="error-detail" data-testid="layer-status-detail">
                    <summary>Details</summary>
                    <code>{status.detail}</code>
                  </details>
                ) : null}
                {status.notes.length > 0 ? (
                  <p className="muted layer-notes" data-testid="layer-notes">
                    {status.notes.join(' · ')}
                  </p>
                ) : null}
              </div>
              {editable ? (
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Remove layer ${layer.name}`}
                  data-testid="layer-remove"
                  onClick={() => onRemove(layer.id)}
                >
                  Remove
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {editable ? <AddLayerForm existing={layers} onAdd={onAdd} /> : null}
    </section>
  );
}

function AddLayerForm({
  existing,
  onAdd,
}: {
  existing: FeedLayer[];
  onAdd(url: string, name: string): void;
}) {
  const ids = { url: useId(), name: useId(), error: useId() };
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<{ field: 'url' | 'name'; message: string } | null>(null);
  const details = useRef<HTMLDetailsElement>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = validateLayerInput(url, name, existing);
    if (!result.ok) {
      setProblem({ field: result.field, message: result.message });
      return;
    }
    setProblem(null);
    setUrl('');
    setName('');
    // Folded away once done: the new layer's row (and its status) is what to look at now.
    if (details.current) details.current.open = false;
    onAdd(result.url, result.name);
  };

  return (
    <details className="add-layer" ref={details}>
      <summary data-testid="add-layer-open">Add live feed</summary>
      {/* noValidate: the browser's own URL check would pre-empt the clearer messages below. */}
      <form onSubmit={submit} noValidate data-testid="add-layer-form">
        <label htmlFor={ids.url}>Feed URL (Atom, RSS with GeoRSS, or GeoJSON)</label>
        <input
          id={ids.url}
          type="url"
          inputMode="url"
          placeholder="https://example.org/feed.atom"
          value={url}
          data-testid="layer-url"
          aria-invalid={problem?.field === 'url'}
          aria-describedby={problem ? ids.error : undefined}
          onChange={(event) => setUrl(event.target.value)}
        />
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          value={name}
          placeholder="from the feed's address"
          data-testid="layer-name-input"
          aria-invalid={problem?.field === 'name'}
          aria-describedby={problem ? ids.error : undefined}
          onChange={(event) => setName(event.target.value)}
        />
        {problem ? (
          <p id={ids.error} className="error" role="alert" data-testid="layer-error">
            {problem.message}
          </p>
        ) : null}
        <button type="submit" className="primary small" data-testid="layer-add">
          Add layer
        </button>
      </form>
    </details>
  );
}
