'use client';

import { useCallback, useState } from 'react';
import type { Toast } from '../Toasts.tsx';

const TOAST_MS = 6000;
/** A message with details stays longer: the person may want to open them. */
const DETAILED_TOAST_MS = 15_000;

/** Short-lived messages; the same text is shown once, not stacked, however often it repeats. */
export function useToasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const notify = useCallback(
    (message: string, tone: Toast['tone'] = 'info', detail?: string) => {
      const id = Date.now() + Math.random();
      setToasts((list) =>
        list.some((t) => t.message === message)
          ? list
          : [...list.slice(-3), { id, tone, message, ...(detail ? { detail } : {}) }],
      );
      setTimeout(() => dismiss(id), detail ? DETAILED_TOAST_MS : TOAST_MS);
    },
    [dismiss],
  );
  return { toasts, notify, dismiss };
}
