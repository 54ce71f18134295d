import type { PresenceEntry } from '@meridian/protocol';

/** Fraction of the remaining distance a cursor travels per frame: smooth, yet never far behind. */
const SMOOTHING = 0.35;
/** Closer than this to its target, a cursor has arrived. */
const SETTLED_PX = 0.3;
/** Beyond this many pixels a cursor jumps instead of gliding (a teleport, or the map moved far). */
const SNAP_PX = 600;

interface CursorState {
  element: HTMLDivElement;
  label: HTMLSpanElement;
  target: [number, number] | null;
  x: number;
  y: number;
  placed: boolean;
}

/**
 * Other people's cursors, drawn as a few DOM elements over the map (there are only ever a handful,
 * unlike features). Positions arrive throttled; each frame the cursor glides towards the latest one,
 * re-projected so cursors stay glued to the map while it pans.
 */
export class CursorOverlay {
  readonly #layer: HTMLDivElement;
  readonly #project: (lngLat: [number, number]) => { x: number; y: number };
  readonly #cursors = new Map<string, CursorState>();
  #frame = 0;

  constructor(container: HTMLElement, project: (lngLat: [number, number]) => { x: number; y: number }) {
    this.#project = project;
    this.#layer = document.createElement('div');
    this.#layer.className = 'cursor-layer';
    this.#layer.setAttribute('aria-hidden', 'true');
    container.appendChild(this.#layer);
  }

  update(peers: Iterable<PresenceEntry>): void {
    const seen = new Set<string>();
    // One cursor per person (the tab they use last), so it glides between their tabs' positions.
    for (const peer of peers) {
      seen.add(peer.personId);
      let state = this.#cursors.get(peer.personId);
      if (!state) {
        state = this.#create(peer.personId);
        this.#cursors.set(peer.personId, state);
      }
      state.element.style.setProperty('--cursor-color', peer.color);
      // textContent, never innerHTML: names come from other people.
      if (state.label.textContent !== peer.name) state.label.textContent = peer.name;
      state.target = peer.cursor ? [peer.cursor[0], peer.cursor[1]] : null;
      state.element.dataset.visible = String(state.target !== null);
    }
    for (const [id, state] of this.#cursors) {
      if (!seen.has(id)) {
        state.element.remove();
        this.#cursors.delete(id);
      }
    }
    this.#schedule();
  }

  /** The map moved: cursors must be re-projected even if nobody's pointer moved. */
  refresh(): void {
    this.#schedule();
  }

  destroy(): void {
    cancelAnimationFrame(this.#frame);
    this.#layer.remove();
    this.#cursors.clear();
  }

  #create(personId: string): CursorState {
    const element = document.createElement('div');
    element.className = 'peer-cursor';
    element.dataset.testid = `cursor-${personId}`;
    element.dataset.personId = personId;
    const arrow = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    arrow.setAttribute('viewBox', '0 0 16 20');
    arrow.setAttribute('width', '16');
    arrow.setAttribute('height', '20');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M1 1 L1 16 L5 12 L8 19 L11 18 L8 11 L14 11 Z');
    arrow.appendChild(path);
    const label = document.createElement('span');
    label.className = 'peer-cursor-label';
    element.append(arrow, label);
    this.#layer.appendChild(element);
    return { element, label, target: null, x: 0, y: 0, placed: false };
  }

  #schedule(): void {
    if (this.#frame || this.#cursors.size === 0) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      // Keep animating only while some cursor is still gliding; a still map costs no frames.
      if (this.#render()) this.#schedule();
    });
  }

  #render(): boolean {
    let gliding = false;
    for (const state of this.#cursors.values()) {
      if (!state.target) continue;
      const target = this.#project(state.target);
      const dx = target.x - state.x;
      const dy = target.y - state.y;
      if (!state.placed || Math.hypot(dx, dy) > SNAP_PX) {
        state.x = target.x;
        state.y = target.y;
        state.placed = true;
      } else {
        state.x += dx * SMOOTHING;
        state.y += dy * SMOOTHING;
        gliding ||= Math.hypot(target.x - state.x, target.y - state.y) > SETTLED_PX;
      }
      state.element.style.transform = `translate(${state.x.toFixed(1)}px, ${state.y.toFixed(1)}px)`;
    }
    return gliding;
  }
}
