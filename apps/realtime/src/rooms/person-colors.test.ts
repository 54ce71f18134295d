import { PERSON_PALETTE, type PresenceEntry } from '@meridian/protocol';
import { describe, expect, it } from 'vitest';
import { colorCorrections, colorForNewTab, DISTINCT_COLORS, freeColor } from './person-colors.ts';

const tab = (clientId: string, personId: string, color: string): PresenceEntry => ({
  clientId,
  personId,
  name: personId,
  color,
  role: 'edit',
  cursor: null,
  viewport: null,
  following: null,
});

const [red, blue, green] = PERSON_PALETTE as unknown as [string, string, string];

describe('person colours', () => {
  it('gives a new person their preferred colour when free, else the first free one, then generated hues', () => {
    expect(colorForNewTab('p2', blue, [tab('a', 'p1', red)])).toBe(blue);
    expect(colorForNewTab('p2', red, [tab('a', 'p1', red)])).toBe(blue);
    expect(colorForNewTab('p2', '#123456', [])).toBe(red);
    const all = new Set<string>(PERSON_PALETTE);
    const extra = freeColor(all) as string;
    expect(all.has(extra)).toBe(false);
    expect(freeColor(new Set([...all, extra]))).not.toBe(extra);
  });

  it('spreads new people over the generated hues once the palette is taken, so two nodes rarely pick alike', () => {
    const crowd = PERSON_PALETTE.map((color, i) => tab(`t${i}`, `p${i}`, color));
    const picks = new Set(Array.from({ length: 50 }, (_, i) => colorForNewTab(`new${i}`, red, crowd)));
    expect(picks.size).toBeGreaterThan(40);
    for (const color of picks) expect((PERSON_PALETTE as readonly string[]).includes(color)).toBe(false);
  });

  it("gives a person's new tab the colour they already have", () => {
    expect(colorForNewTab('p1', green, [tab('a', 'p1', red), tab('b', 'p2', blue)])).toBe(red);
  });

  it('settles a race between nodes: the lower person id keeps the colour, the other re-picks', () => {
    // Node A assigned red to p2 while node B assigned red to p1; each sees the other's entry.
    const onA = [tab('a', 'p2', red)];
    const onB = [tab('b', 'p1', red)];
    const all = [...onA, ...onB];
    expect(colorCorrections(onB, all).size).toBe(0);
    const fix = colorCorrections(onA, all).get('a');
    expect(fix).toBeDefined();
    expect(fix).not.toBe(red);
    // Once A announced it, nobody changes anything more.
    const settled = [tab('a', 'p2', fix as string), ...onB];
    expect(colorCorrections([settled[0] as PresenceEntry], settled).size).toBe(0);
  });

  it("makes a person's tabs on two nodes agree on the colour of their lowest tab", () => {
    const all = [tab('t1', 'p1', red), tab('t2', 'p1', blue)];
    expect(colorCorrections([all[1] as PresenceEntry], all).get('t2')).toBe(red);
    expect(colorCorrections([all[0] as PresenceEntry], all).size).toBe(0);
  });

  it('re-picks two losers of one node to two different colours', () => {
    const all = [tab('a', 'p1', red), tab('b', 'p2', red), tab('c', 'p3', red)];
    const fixes = colorCorrections(all.slice(1), all);
    expect(fixes.size).toBe(2);
    expect(new Set([red, ...fixes.values()]).size).toBe(3);
  });

  describe('more people listed than there are colours', () => {
    /** A map whose listed people, one per colour, hold every colour there is. */
    function everyColourTaken(): PresenceEntry[] {
      const crowd: PresenceEntry[] = [];
      for (let i = 0; i < DISTINCT_COLORS; i++) {
        const color = colorForNewTab(`p${String(i).padStart(4, '0')}`, red, crowd);
        crowd.push(tab(`t${i}`, `p${String(i).padStart(4, '0')}`, color));
      }
      return crowd;
    }

    it('hands out every colour once, then lets a newcomer share one chosen by their id', () => {
      const crowd = everyColourTaken();
      expect(new Set(crowd.map((entry) => entry.color)).size).toBe(DISTINCT_COLORS);
      expect(freeColor(new Set(crowd.map((entry) => entry.color)))).toBeNull();
      const shared = colorForNewTab('q-late', red, crowd);
      expect(crowd.some((entry) => entry.color === shared)).toBe(true);
      // Every node computes the same for that person, so they do not race over it.
      expect(colorForNewTab('q-late', blue, [...crowd].reverse())).toBe(shared);
    });

    it('re-picks nobody while no colour is free, and a sharer takes the first colour freed', () => {
      const crowd = everyColourTaken();
      const late = tab('t-late', 'q-late', colorForNewTab('q-late', red, crowd));
      const all = [...crowd, late];
      expect(colorCorrections([late], all).size).toBe(0);
      expect(colorCorrections(crowd, all).size).toBe(0);
      // Someone leaves: the one who shared (the higher person id of the two) moves to the freed colour.
      const [gone, ...rest] = crowd as [PresenceEntry, ...PresenceEntry[]];
      const fix = colorCorrections([late], [...rest, late]);
      expect(fix.get('t-late')).toBe(gone.color);
    });
  });
});
