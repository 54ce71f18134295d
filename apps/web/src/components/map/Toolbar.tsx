'use client';

import { IMPORT_EXTENSIONS } from '@meridian/formats';
import { type ChangeEvent, useRef } from 'react';
import { formatLength } from '../../features/measure.ts';
import type { DrawMode } from '../../map/map-view.ts';
import type { ExportFormat } from './export-download.ts';

interface ToolbarProps {
  editable: boolean;
  mode: DrawMode;
  draftVertices: number;
  canUndo: boolean;
  canRedo: boolean;
  /** The measure tool's path length, when there is one. */
  measuredMeters: number | null;
  onMode(mode: DrawMode): void;
  onFinishDrawing(): void;
  onUndo(): void;
  onRedo(): void;
  onImport(text: string, fileName: string): void;
  onExport(format: ExportFormat): void;
}

const TOOLS: { mode: DrawMode; label: string; key: string; icon: string }[] = [
  { mode: 'select', label: 'Select and move', key: 'V', icon: '➤' },
  { mode: 'marker', label: 'Add marker', key: 'M', icon: '●' },
  { mode: 'line', label: 'Draw line', key: 'L', icon: '╱' },
  { mode: 'polygon', label: 'Draw area', key: 'P', icon: '⬠' },
];

const HINTS: Record<DrawMode, string> = {
  select: '',
  marker: 'Click the map to place a marker (Enter: at the centre).',
  line: 'Click to add points. Double-click or Enter to finish, Esc to cancel.',
  polygon: 'Click to add corners. Click the first corner, double-click or Enter to finish.',
  measure: 'Click to measure a path; only you see it. Esc clears it.',
};

const MEASURE_TOOL = {
  mode: 'measure' as const,
  label: 'Measure distance (only you see it)',
  key: 'R',
  icon: '⟷',
};

export function Toolbar(props: ToolbarProps) {
  const fileInput = useRef<HTMLInputElement>(null);

  const readFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) props.onImport(await file.text(), file.name);
  };

  return (
    <div className="toolbar-wrap">
      <div className="toolbar" role="toolbar" aria-label="Map tools" aria-orientation="vertical">
        {props.editable
          ? TOOLS.map((tool) => (
              <button
                key={tool.mode}
                type="button"
                className="tool"
                aria-pressed={props.mode === tool.mode}
                aria-label={`${tool.label} (${tool.key})`}
                title={`${tool.label} (${tool.key})`}
                data-testid={`tool-${tool.mode}`}
                onClick={() => props.onMode(tool.mode)}
              >
                <span aria-hidden="true">{tool.icon}</span>
              </button>
            ))
          : null}
        <button
          type="button"
          className="tool"
          aria-pressed={props.mode === MEASURE_TOOL.mode}
          aria-label={`${MEASURE_TOOL.label} (${MEASURE_TOOL.key})`}
          title={`${MEASURE_TOOL.label} (${MEASURE_TOOL.key})`}
          data-testid="tool-measure"
          onClick={() => props.onMode(props.mode === 'measure' ? 'select' : 'measure')}
        >
          <span aria-hidden="true">{MEASURE_TOOL.icon}</span>
        </button>
        {props.editable ? (
          <>
            <span className="separator" aria-hidden="true" />
            <button
              type="button"
              className="tool"
              aria-label="Undo (Ctrl+Z)"
              title="Undo (Ctrl+Z)"
              data-testid="undo"
              disabled={!props.canUndo}
              onClick={props.onUndo}
            >
              <span aria-hidden="true">↶</span>
            </button>
            <button
              type="button"
              className="tool"
              aria-label="Redo (Ctrl+Shift+Z)"
              title="Redo (Ctrl+Shift+Z)"
              data-testid="redo"
              disabled={!props.canRedo}
              onClick={props.onRedo}
            >
              <span aria-hidden="true">↷</span>
            </button>
            <button
              type="button"
              className="tool"
              aria-label="Import a file (GeoJSON, KML, GPX, CSV, TopoJSON)"
              title="Import a file: GeoJSON, KML, GPX, CSV, TopoJSON (or drop it on the map, or paste it)"
              data-testid="import"
              onClick={() => fileInput.current?.click()}
            >
              <span aria-hidden="true">⇪</span>
            </button>
            <input
              ref={fileInput}
              type="file"
              accept={[...IMPORT_EXTENSIONS, 'application/geo+json', 'application/json'].join(',')}
              hidden
              data-testid="import-file"
              onChange={readFile}
            />
          </>
        ) : null}
        <button
          type="button"
          className="tool"
          aria-label="Export GeoJSON"
          title="Export GeoJSON"
          data-testid="export"
          onClick={() => props.onExport('geojson')}
        >
          <span aria-hidden="true">⇩</span>
        </button>
        <button
          type="button"
          className="tool"
          aria-label="Export KML"
          title="Export KML (Google Earth)"
          data-testid="export-kml"
          onClick={() => props.onExport('kml')}
        >
          <span aria-hidden="true" style={{ fontSize: '0.7rem', fontWeight: 700 }}>
            KML
          </span>
        </button>
      </div>
      {props.mode !== 'select' && (props.editable || props.mode === 'measure') ? (
        <div className="draw-hint" role="status" data-testid="draw-hint">
          <span>{HINTS[props.mode]}</span>
          {props.mode === 'measure' && props.measuredMeters !== null ? (
            <strong data-testid="measure-readout" data-meters={props.measuredMeters}>
              {formatLength(props.measuredMeters)}
            </strong>
          ) : null}
          {(props.mode === 'line' || props.mode === 'polygon') && props.draftVertices > 0 ? (
            <button
              type="button"
              className="primary small"
              data-testid="finish-drawing"
              onClick={props.onFinishDrawing}
            >
              Finish
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
