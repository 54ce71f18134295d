'use client';

import type { Feature, FeaturePropertiesPatch } from '@meridian/protocol';
import { isFeedFeature } from '../../features/render-features.ts';
import { StylePanel } from './StylePanel.tsx';

/** Several features picked together (shift-click on the map or in the list): styled as one. */
export function SelectionDetails({
  features,
  editable,
  onPatch,
  onClear,
}: {
  features: readonly Feature[];
  editable: boolean;
  onPatch(ids: string[], patch: FeaturePropertiesPatch, coalesceKey?: string): void;
  onClear(): void;
}) {
  // Feed entries are the feed's: shown as selected, never restyled here.
  const styled = features.filter((feature) => !isFeedFeature(feature));
  const ids = styled.map((feature) => feature.id);
  return (
    <section
      className="feature-details"
      aria-label="Selection"
      data-testid="selection-details"
      data-count={features.length}
    >
      <header>
        <h2>{features.length} features selected</h2>
        <button
          type="button"
          className="ghost small"
          aria-label="Clear the selection"
          data-testid="selection-clear"
          onClick={onClear}
        >
          ×
        </button>
      </header>
      <p className="muted">
        Shift-click on the map or in the list to add or remove a feature; shift-drag on the map to add those
        in a box.
      </p>
      {styled.length < features.length ? (
        <p className="muted">{features.length - styled.length} from live layers keep their feed's style.</p>
      ) : null}
      {editable && styled.length > 0 ? (
        <StylePanel features={styled} onPatch={(patch, key) => onPatch(ids, patch, key)} />
      ) : null}
    </section>
  );
}
