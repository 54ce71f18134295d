'use client';

import { type CsvColumns, FORMAT_NAMES, importSummary, problemLine } from '@meridian/formats';
import { type FormEvent, useId, useState } from 'react';
import type { Importer, ImportState } from './hooks/use-importer.ts';
import styles from './import-panel.module.css';

/** Problems listed in the panel; the count says how many more there are. */
const MAX_LISTED_PROBLEMS = 200;
const count = new Intl.NumberFormat('en-US');

interface ImportPanelProps {
  importer: Importer;
  /** Files are being dragged over the map. */
  dragging: boolean;
}

/**
 * What an import is doing, over the map but not in the way of it (never modal: the map stays
 * usable while a large import is sent): progress, the CSV column choice, then the summary with
 * what was skipped and why.
 */
export function ImportPanel({ importer, dragging }: ImportPanelProps) {
  const { state } = importer;
  return (
    <>
      {dragging ? (
        <div className={styles.dropOverlay} data-testid="import-drop-overlay" aria-hidden="true">
          <span>Drop a GeoJSON, KML, GPX, CSV or TopoJSON file to import it</span>
        </div>
      ) : null}
      {state.step === 'idle' ? null : (
        <section
          className={styles.panel}
          aria-label="Import"
          data-testid="import-panel"
          data-step={state.step}
        >
          <Step state={state} importer={importer} />
        </section>
      )}
    </>
  );
}

function Step({ state, importer }: { state: Exclude<ImportState, { step: 'idle' }>; importer: Importer }) {
  switch (state.step) {
    case 'reading':
      return <Progress title={`Reading ${state.fileName}…`} value={null} />;
    case 'checking':
      return (
        <Progress
          title={`Checking ${count.format(state.checked)} of ${count.format(state.total)} features…`}
          value={state.total ? state.checked / state.total : null}
        />
      );
    case 'sending':
      return (
        <Progress
          title={`Importing ${count.format(state.committed)} of ${count.format(state.total)} features…`}
          value={state.total ? state.committed / state.total : null}
        />
      );
    case 'choose-columns':
      return <ColumnChooser state={state} onChoose={importer.chooseColumns} onCancel={importer.close} />;
    case 'done':
      return <Summary state={state} onClose={importer.close} />;
  }
}

function Progress({ title, value }: { title: string; value: number | null }) {
  return (
    <div role="status" data-testid="import-progress">
      <p className={styles.title}>{title}</p>
      <progress className={styles.bar} max={1} {...(value === null ? {} : { value })} />
    </div>
  );
}

function ColumnChooser({
  state,
  onChoose,
  onCancel,
}: {
  state: Extract<ImportState, { step: 'choose-columns' }>;
  onChoose(columns: CsvColumns): void;
  onCancel(): void;
}) {
  const [latitude, setLatitude] = useState(state.guess.latitude ?? 0);
  const [longitude, setLongitude] = useState(state.guess.longitude ?? Math.min(1, state.header.length - 1));
  const latId = useId();
  const lonId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChoose({ latitude, longitude });
  };
  const options = state.header.map((name, i) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: columns are identified by position (names may repeat)
    <option key={i} value={i}>
      {name || `column ${i + 1}`}
      {state.sample[i] ? ` (${state.sample[i].slice(0, 24)})` : ''}
    </option>
  ));
  return (
    <form onSubmit={submit} data-testid="import-columns">
      <p className={styles.title}>Which columns hold the coordinates?</p>
      <p className={styles.muted}>
        {state.fileName}: {count.format(state.rows)} rows. The other columns become properties.
      </p>
      <div className={styles.columns}>
        <label htmlFor={latId}>Latitude</label>
        <select
          id={latId}
          data-testid="import-latitude"
          value={latitude}
          onChange={(e) => setLatitude(Number(e.target.value))}
        >
          {options}
        </select>
        <label htmlFor={lonId}>Longitude</label>
        <select
          id={lonId}
          data-testid="import-longitude"
          value={longitude}
          onChange={(e) => setLongitude(Number(e.target.value))}
        >
          {options}
        </select>
      </div>
      {latitude === longitude ? <p className="error">Choose two different columns.</p> : null}
      <div className={styles.actions}>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="submit"
          className="primary"
          data-testid="import-columns-ok"
          disabled={latitude === longitude}
        >
          Import
        </button>
      </div>
    </form>
  );
}

function Summary({ state, onClose }: { state: Extract<ImportState, { step: 'done' }>; onClose(): void }) {
  const listed = state.skipped.slice(0, MAX_LISTED_PROBLEMS);
  const format = state.format ? ` (${FORMAT_NAMES[state.format]})` : '';
  return (
    <div data-testid="import-summary" data-imported={state.imported} data-skipped={state.skipped.length}>
      <p className={styles.title} role="status">
        {state.error && state.imported === 0 && state.skipped.length === 0
          ? `Nothing imported from ${state.fileName}`
          : `${importSummary(state.imported, state.skipped.length)} from ${state.fileName}${format}`}
      </p>
      {state.error ? (
        <p className="error" role="alert" data-testid="import-error">
          {state.error}
        </p>
      ) : null}
      {state.notes.map((note) => (
        <p key={note} className={styles.muted}>
          {note}
        </p>
      ))}
      {listed.length > 0 ? (
        <details className={styles.details} open={state.imported === 0}>
          <summary>Details: what was skipped and why</summary>
          <ul data-testid="import-skipped">
            {listed.map((problem, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the list never changes once shown
              <li key={i}>{problemLine(problem)}</li>
            ))}
          </ul>
          {state.skipped.length > listed.length ? (
            <p className={styles.muted}>…and {count.format(state.skipped.length - listed.length)} more.</p>
          ) : null}
        </details>
      ) : null}
      <div className={styles.actions}>
        <button type="button" className="small" data-testid="import-close" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
