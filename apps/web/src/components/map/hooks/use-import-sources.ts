'use client';

import { useEffect, useState } from 'react';

const isTextField = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** Text that looks like something to import, not a word pasted by accident. */
const looksImportable = (text: string) => /^\s*[{[<]/.test(text) || /[,;\t].*\r?\n.*[,;\t]/.test(text);

/**
 * Files dropped on the map (`dropZone`, a selector) and GeoJSON/KML/GPX/CSV text pasted anywhere
 * on the page but a text field go to `onText`. Returns whether files are being dragged over the map.
 */
export function useImportSources(
  enabled: boolean,
  dropZone: string,
  onText: (text: string, name: string) => void,
) {
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    if (!enabled) return;
    const overMap = (event: DragEvent) =>
      event.target instanceof Element && event.target.closest(dropZone) !== null;
    const hasFiles = (event: DragEvent) => Array.from(event.dataTransfer?.types ?? []).includes('Files');

    const onDragOver = (event: DragEvent) => {
      if (!hasFiles(event) || !overMap(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      setDragging(true);
    };
    const onDragLeave = (event: DragEvent) => {
      if (
        event.relatedTarget === null ||
        !(event.relatedTarget instanceof Element) ||
        !event.relatedTarget.closest(dropZone)
      )
        setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      setDragging(false);
      if (!hasFiles(event) || !overMap(event)) return;
      event.preventDefault();
      const file = event.dataTransfer?.files[0];
      if (file) void file.text().then((text) => onText(text, file.name));
    };
    const onPaste = (event: ClipboardEvent) => {
      if (isTextField(event.target) || isTextField(document.activeElement)) return;
      const file = event.clipboardData?.files[0];
      if (file) {
        event.preventDefault();
        void file.text().then((text) => onText(text, file.name));
        return;
      }
      const text = event.clipboardData?.getData('text/plain') ?? '';
      if (!looksImportable(text)) return;
      event.preventDefault();
      onText(text, 'pasted text');
    };

    window.addEventListener('dragover', onDragOver);
    window.addEventListener('dragleave', onDragLeave);
    window.addEventListener('drop', onDrop);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('dragleave', onDragLeave);
      window.removeEventListener('drop', onDrop);
      document.removeEventListener('paste', onPaste);
    };
  }, [enabled, dropZone, onText]);

  return dragging;
}
