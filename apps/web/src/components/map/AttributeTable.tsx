'use client';

import type { Feature, FeaturePropertiesPatch, JsonValue } from '@meridian/protocol';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import { isFeedFeature } from '../../features/render-features.ts';
import { attributeColumns, cellPatch, cellText } from '../../table/attribute-columns.ts';
import { kindOf } from './FeatureList.tsx';

const ROW_PX = 34;
const FIRST_COLUMN_PX = 120;
const COLUMN_PX = 160;

interface Editing {
  id: string;
  key: string;
  text: string;
}

/**
 * The listed features' properties as a table: a column per property key (the union over the
 * rows), rows virtualised. Clicking a row selects the feature and flies to it; clicking a cell of
 * the selected row edits it, and the edit is an ordinary `feature.update` (undone like any).
 */
export function AttributeTable({
  features,
  total,
  selected,
  editable,
  onSelect,
  onChange,
  onClose,
}: {
  features: Feature[];
  total: number;
  selected: string | null;
  editable: boolean;
  /** `coveredPx`: how much of the map the table covers from below, to fly to what is left. */
  onSelect(id: string, coveredPx: number): void;
  onChange(id: string, patch: FeaturePropertiesPatch): void;
  onClose(): void;
}) {
  const { columns, hidden } = useMemo(() => attributeColumns(features), [features]);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const panel = useRef<HTMLElement>(null);
  const rows = useVirtualizer({
    count: features.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 8,
    getItemKey: (index) => features[index]?.id ?? index,
  });
  const grid = { gridTemplateColumns: `${FIRST_COLUMN_PX}px repeat(${columns.length}, ${COLUMN_PX}px)` };
  const width = FIRST_COLUMN_PX + columns.length * COLUMN_PX;

  // Enter commits and unmounts the input, which may also blur it: one edit is committed once.
  const committed = useRef<Editing | null>(null);
  const commit = (feature: Feature, edit: Editing) => {
    if (committed.current === edit) return;
    committed.current = edit;
    setEditing(null);
    const previous = (feature.properties as Record<string, JsonValue | undefined>)[edit.key];
    if (edit.text === cellText(previous)) return;
    const result = cellPatch(edit.key, edit.text, previous);
    if ('problem' in result) {
      setProblem(result.problem);
      return;
    }
    setProblem(null);
    onChange(feature.id, result.patch);
  };

  const clickCell = (feature: Feature, key: string | null) => {
    if (feature.id !== selected || !key || !editable || isFeedFeature(feature)) {
      onSelect(feature.id, panel.current?.offsetHeight ?? 0);
      return;
    }
    const value = (feature.properties as Record<string, JsonValue | undefined>)[key];
    setEditing({ id: feature.id, key, text: cellText(value) });
  };

  return (
    <section
      ref={panel}
      className="attribute-table"
      aria-label="Attribute table"
      data-testid="attribute-table"
    >
      <header className="attribute-table-head">
        <h2>
          Table{' '}
          <span className="muted">{`${features.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} features`}</span>
        </h2>
        {hidden > 0 ? <span className="muted">{hidden} more properties not shown</span> : null}
        <span className="muted attribute-hint">
          {editable
            ? 'Click a row to go there; click a cell of the selected row to edit it.'
            : 'Click a row to go there.'}
        </span>
        <button
          type="button"
          className="small"
          data-testid="close-table"
          onClick={onClose}
          aria-label="Close table"
        >
          ✕
        </button>
      </header>
      {problem ? (
        <p className="attribute-problem" role="alert" data-testid="attribute-problem">
          {problem}
        </p>
      ) : null}
      <div ref={scroller} className="attribute-scroll" data-testid="attribute-scroll">
        <table className="attribute-grid" style={{ width }}>
          <thead>
            <tr className="attribute-row attribute-columns" style={grid}>
              <th scope="col">feature</th>
              {columns.map((key) => (
                <th scope="col" key={key} title={key}>
                  {key}
                </th>
              ))}
            </tr>
          </thead>
          <tbody style={{ height: rows.getTotalSize() }}>
            {rows.getVirtualItems().map((row) => {
              const feature = features[row.index];
              if (!feature) return null;
              const properties = feature.properties as Record<string, JsonValue | undefined>;
              return (
                <tr
                  key={row.key}
                  className="attribute-row"
                  aria-selected={feature.id === selected}
                  data-testid={`attribute-row-${feature.id}`}
                  style={{ ...grid, height: ROW_PX, transform: `translateY(${row.start}px)` }}
                >
                  <td>
                    <button
                      type="button"
                      className="attribute-cell kind"
                      onClick={() => clickCell(feature, null)}
                    >
                      {kindOf(feature)}
                    </button>
                  </td>
                  {columns.map((key) => (
                    <td key={key}>
                      {editing && editing.id === feature.id && editing.key === key ? (
                        <input
                          className="attribute-cell"
                          data-testid="attribute-cell-input"
                          aria-label={`${key} of ${properties.title ?? feature.id}`}
                          // biome-ignore lint/a11y/noAutofocus: the person just asked to edit this cell.
                          autoFocus
                          value={editing.text}
                          onChange={(event) => setEditing({ ...editing, text: event.target.value })}
                          onBlur={() => commit(feature, editing)}
                          onKeyDown={(event) => {
                            if (event.key === 'Enter') commit(feature, editing);
                            if (event.key === 'Escape') setEditing(null);
                          }}
                        />
                      ) : (
                        <button
                          type="button"
                          className="attribute-cell"
                          data-testid="attribute-cell"
                          data-feature-id={feature.id}
                          data-key={key}
                          title={cellText(properties[key])}
                          onClick={() => clickCell(feature, key)}
                        >
                          {cellText(properties[key])}
                        </button>
                      )}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
