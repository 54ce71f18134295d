'use client';

import { type Feature, type FeaturePropertiesPatch, LIMITS, STROKE_DASHES } from '@meridian/protocol';
import { useEffect, useId, useRef, useState } from 'react';
import {
  fullHex,
  type Shown,
  type StyleSections,
  shownValue,
  styleSections,
} from '../../features/style-values.ts';
import { MAKI_ICONS, searchIcons } from '../../icons/maki-catalog.ts';
import { loadMakiSvgs, makiDataUrl } from '../../icons/maki-svgs.ts';

/** The widest stroke the slider offers (the protocol allows up to LIMITS.MAX_STROKE_WIDTH). */
const MAX_SLIDER_STROKE = Math.min(20, LIMITS.MAX_STROKE_WIDTH);
const SIZES = ['small', 'medium', 'large'] as const;
const SIZE_LABEL = { small: 'S', medium: 'M', large: 'L' } as const;
const DASH_LABEL = { solid: 'Solid', dash: 'Dashed', dot: 'Dotted' } as const;

interface StylePanelProps {
  /** The features styled together (one, or a selection); never feed entries. */
  features: readonly Feature[];
  /**
   * Apply a patch to every feature. Calls with the same `coalesceKey` (the steps of one slider
   * drag or colour-picker session) are one undo step.
   */
  onPatch(patch: FeaturePropertiesPatch, coalesceKey?: string): void;
}

/**
 * Counts gestures on a control so that one drag (or one picker session) coalesces into one undo
 * step while two separate drags stay two steps.
 */
function useGesture(name: string) {
  const count = useRef(0);
  return {
    key: () => `${name}:${count.current}`,
    start: () => {
      count.current++;
    },
  };
}

function Mixed({ shown }: { shown: Shown<unknown> }) {
  return shown.mixed ? <span className="style-mixed">mixed</span> : null;
}

function ColorInput({
  label,
  shown,
  onPatch,
  styleKey,
}: {
  label: string;
  shown: Shown<string>;
  styleKey: 'marker-color' | 'stroke' | 'fill';
  onPatch: StylePanelProps['onPatch'];
}) {
  const id = useId();
  const gesture = useGesture(styleKey);
  return (
    <div className="style-row">
      <label htmlFor={id}>
        {label} <Mixed shown={shown} />
      </label>
      <input
        id={id}
        type="color"
        data-testid={`style-${styleKey}`}
        value={fullHex(shown.value)}
        onFocus={gesture.start}
        onClick={gesture.start}
        onChange={(event) => onPatch({ [styleKey]: event.target.value }, gesture.key())}
      />
    </div>
  );
}

function Slider({
  label,
  name,
  shown,
  min,
  max,
  step,
  format,
  onValue,
}: {
  label: string;
  name: string;
  shown: Shown<number>;
  min: number;
  max: number;
  step: number;
  format(value: number): string;
  onValue(value: number, coalesceKey: string): void;
}) {
  const id = useId();
  const gesture = useGesture(name);
  return (
    <div className="style-row">
      <label htmlFor={id}>
        {label}{' '}
        <output htmlFor={id} data-testid={`style-${name}-value`}>
          {shown.mixed ? 'mixed' : format(shown.value)}
        </output>
      </label>
      <input
        id={id}
        type="range"
        data-testid={`style-${name}`}
        min={min}
        max={max}
        step={step}
        value={Math.min(max, shown.value)}
        onPointerDown={gesture.start}
        onKeyDown={gesture.start}
        onChange={(event) => onValue(Number(event.target.value), gesture.key())}
      />
    </div>
  );
}

function Choice<T extends string>({
  label,
  name,
  options,
  labels,
  shown,
  onChoose,
}: {
  label: string;
  name: string;
  options: readonly T[];
  labels: Record<T, string>;
  shown: Shown<T>;
  onChoose(value: T): void;
}) {
  return (
    <fieldset className="style-row style-choice">
      <legend>
        {label} <Mixed shown={shown} />
      </legend>
      <div className="segmented">
        {options.map((option) => (
          <button
            key={option}
            type="button"
            className="segment"
            aria-pressed={!shown.mixed && shown.value === option}
            data-testid={`style-${name}-${option}`}
            onClick={() => onChoose(option)}
          >
            {labels[option]}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

/** The icon grid: the bundled Maki icons with a search box, and "none". */
function SymbolPicker({ shown, onChoose }: { shown: Shown<string>; onChoose(symbol: string | null): void }) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [svgs, setSvgs] = useState<Record<string, string> | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    loadMakiSvgs().then(
      (loaded) => live && setSvgs(loaded),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, []);
  // A background image, not an <img>: the icon is decoration beside its name or label.
  const icon = (name: string) =>
    svgs?.[name] ? (
      <span
        className="symbol-icon"
        aria-hidden="true"
        style={{ backgroundImage: `url("${makiDataUrl(svgs[name], '#1f2937')}")` }}
      />
    ) : null;
  const found = searchIcons(query);
  return (
    <div className="style-row symbol-picker">
      <span className="style-label">
        Symbol <Mixed shown={shown} />
      </span>
      <button
        type="button"
        className="symbol-current"
        aria-expanded={open}
        data-testid="style-symbol"
        data-symbol={shown.mixed ? '' : shown.value}
        onClick={() => setOpen((value) => !value)}
      >
        {shown.value && !shown.mixed ? icon(shown.value) : null}
        <span>{shown.mixed ? 'Mixed' : shown.value || 'None'}</span>
      </button>
      {open ? (
        <div className="symbol-grid-wrap">
          <input
            type="search"
            placeholder="Search icons…"
            aria-label="Search icons"
            data-testid="style-symbol-search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          {failed ? <p className="muted">The icons could not be loaded.</p> : null}
          <div className="symbol-grid" role="listbox" aria-label="Marker symbols">
            <button
              type="button"
              className="symbol-option"
              role="option"
              aria-selected={!shown.mixed && !shown.value}
              data-testid="style-symbol-none"
              title="No symbol"
              onClick={() => {
                onChoose(null);
                setOpen(false);
              }}
            >
              ∅
            </button>
            {found.map(({ name }) => (
              <button
                key={name}
                type="button"
                className="symbol-option"
                role="option"
                aria-selected={!shown.mixed && shown.value === name}
                aria-label={name.replaceAll('-', ' ')}
                title={name.replaceAll('-', ' ')}
                data-testid={`style-symbol-${name}`}
                onClick={() => {
                  onChoose(name);
                  setOpen(false);
                }}
              >
                {icon(name)}
              </button>
            ))}
          </div>
          {found.length === 0 ? (
            <p className="muted">No icon matches; {MAKI_ICONS.length} are offered.</p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

const percent = (value: number) => `${Math.round(value * 100)} %`;

/** One control of the panel, by the style key it writes. */
type StyleControl =
  | { kind: 'symbol' }
  | { kind: 'color'; label: string; key: 'marker-color' | 'stroke' | 'fill' }
  | {
      kind: 'slider';
      label: string;
      key: 'stroke-width' | 'stroke-opacity' | 'fill-opacity';
      min: number;
      max: number;
      step: number;
      format(value: number): string;
    }
  | {
      kind: 'choice';
      label: string;
      key: 'marker-size' | 'stroke-dash';
      /** Its part of the test ids (`style-size-large`). */
      name: string;
      options: readonly string[];
      labels: Record<string, string>;
      /** simplestyle's default: choosing it removes the key rather than writing it. */
      unset: string;
    };

const opacity = (label: string, key: 'stroke-opacity' | 'fill-opacity'): StyleControl => ({
  kind: 'slider',
  label,
  key,
  min: 0,
  max: 1,
  step: 0.05,
  format: percent,
});

/** The panel's groups in order, each shown when its part of the geometry is among the features. */
const STYLE_GROUPS: readonly { section: keyof StyleSections; controls: readonly StyleControl[] }[] = [
  {
    section: 'marker',
    controls: [
      { kind: 'symbol' },
      {
        kind: 'choice',
        label: 'Size',
        key: 'marker-size',
        name: 'size',
        options: SIZES,
        labels: SIZE_LABEL,
        unset: 'medium',
      },
      { kind: 'color', label: 'Marker colour', key: 'marker-color' },
    ],
  },
  {
    section: 'stroke',
    controls: [
      { kind: 'color', label: 'Line colour', key: 'stroke' },
      {
        kind: 'slider',
        label: 'Width',
        key: 'stroke-width',
        min: 0.5,
        max: MAX_SLIDER_STROKE,
        step: 0.5,
        format: (value) => `${value} px`,
      },
      {
        kind: 'choice',
        label: 'Dash',
        key: 'stroke-dash',
        name: 'dash',
        options: STROKE_DASHES,
        labels: DASH_LABEL,
        unset: 'solid',
      },
      opacity('Line opacity', 'stroke-opacity'),
    ],
  },
  {
    section: 'fill',
    controls: [{ kind: 'color', label: 'Fill colour', key: 'fill' }, opacity('Fill opacity', 'fill-opacity')],
  },
];

function Control({ control, features, onPatch }: { control: StyleControl } & StylePanelProps) {
  switch (control.kind) {
    case 'symbol':
      return (
        <SymbolPicker
          shown={shownValue<string>(features, 'marker-symbol')}
          onChoose={(symbol) => onPatch({ 'marker-symbol': symbol })}
        />
      );
    case 'color':
      return (
        <ColorInput
          label={control.label}
          styleKey={control.key}
          shown={shownValue<string>(features, control.key)}
          onPatch={onPatch}
        />
      );
    case 'slider':
      return (
        <Slider
          label={control.label}
          name={control.key}
          shown={shownValue<number>(features, control.key)}
          min={control.min}
          max={control.max}
          step={control.step}
          format={control.format}
          onValue={(value, key) => onPatch({ [control.key]: value }, key)}
        />
      );
    case 'choice':
      return (
        <Choice
          label={control.label}
          name={control.name}
          options={control.options}
          labels={control.labels}
          shown={shownValue<string>(features, control.key)}
          onChoose={(value) => onPatch({ [control.key]: value === control.unset ? null : value })}
        />
      );
  }
}

/** Style of one feature or of a selection, written as ordinary `feature.update` patches. */
export function StylePanel({ features, onPatch }: StylePanelProps) {
  const sections = styleSections(features);
  const label = shownValue<boolean>(features, 'show-label');
  return (
    <details className="style-panel" open data-testid="style-panel" data-count={features.length}>
      <summary>Style</summary>
      {STYLE_GROUPS.filter(({ section }) => sections[section]).map(({ section, controls }) => (
        <div key={section} className="style-group" data-testid={`style-group-${section}`}>
          {controls.map((control) => (
            <Control
              key={control.kind === 'symbol' ? 'symbol' : control.key}
              control={control}
              features={features}
              onPatch={onPatch}
            />
          ))}
        </div>
      ))}
      <label className="style-toggle">
        <input
          type="checkbox"
          data-testid="style-label"
          checked={label.value}
          ref={(input) => {
            if (input) input.indeterminate = label.mixed;
          }}
          // Shown is the default: showing removes the key, hiding writes false.
          onChange={(event) => onPatch({ 'show-label': event.target.checked ? null : false })}
        />
        Show the title on the map
      </label>
    </details>
  );
}
