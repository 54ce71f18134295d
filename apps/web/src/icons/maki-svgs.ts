/** The bundled Maki SVGs (name → SVG text), fetched once per page from `public/maki-icons.json`. */
let svgs: Promise<Record<string, string>> | null = null;

export function loadMakiSvgs(): Promise<Record<string, string>> {
  svgs ??= fetch('/maki-icons.json').then((response) => {
    if (!response.ok) throw new Error(`the marker icons could not be loaded (HTTP ${response.status})`);
    return response.json() as Promise<Record<string, string>>;
  });
  svgs.catch(() => {
    // A failed fetch may be retried by the next caller.
    svgs = null;
  });
  return svgs;
}

/** An SVG of Maki (shapes with no fill of their own) painted in `fill`, as an `<img>` URL. */
export function makiDataUrl(svg: string, fill: string): string {
  const painted = svg.replace('<svg ', `<svg fill="${fill}" `);
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(painted)}`;
}
