'use client';

import { useEffect, useRef } from 'react';
import type { DrawMode } from '../../../map/map-view.ts';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export interface ShortcutActions {
  /** False while a dialog is open. */
  enabled: boolean;
  editable: boolean;
  undo(): void;
  redo(): void;
  /** Escape: stop drawing, back to select, nothing selected. */
  cancel(): void;
  /** Enter: place the marker or finish the line / area being drawn. */
  confirm(): void;
  /** Delete / Backspace. */
  deleteSelected(): void;
  setMode(mode: DrawMode): void;
}

const TOOLS: Record<string, DrawMode> = { v: 'select', m: 'marker', l: 'line', p: 'polygon', r: 'measure' };

/** The map page's keyboard: undo/redo, Escape, Enter, Delete and the tool keys V M L P R. */
export function useShortcuts(actions: ShortcutActions): void {
  // One listener for the page's life; it always calls the latest actions.
  const latest = useRef(actions);
  latest.current = actions;

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const a = latest.current;
      if (!a.enabled || isTyping(event.target)) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (mod && (key === 'z' || key === 'y')) {
        event.preventDefault();
        if (key === 'y' || event.shiftKey) a.redo();
        else a.undo();
        return;
      }
      if (mod || event.altKey) return;
      switch (event.key) {
        case 'Escape':
          a.cancel();
          return;
        case 'Enter':
          a.confirm();
          return;
        case 'Delete':
        case 'Backspace':
          a.deleteSelected();
          return;
      }
      const tool = TOOLS[key];
      // Measuring changes nothing, so a view link may measure too.
      if (tool && (a.editable || tool === 'measure' || tool === 'select')) a.setMode(tool);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
