import { readRepoFile } from './repo.ts';

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The image or earlier stage it starts from, with build args substituted. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Parses a Dockerfile into stages: continuation lines joined, comments dropped, global ARGs substituted in FROM. */
export function parseDockerfile(text: string): Stage[] {
  const logicalLines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const joined = (pending + line.trim()).trim();
    pending = '';
    if (joined) logicalLines.push(joined);
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logicalLines) {
    const space = line.search(/\s/);
    const keyword = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const args = space < 0 ? '' : line.slice(space + 1).trim();
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      const from = image.replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_, a: string | undefined, b: string | undefined) => {
          const arg = a ?? b ?? '';
          return globalArgs.get(arg) ?? '';
        },
      );
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (keyword === 'ARG') {
        const [key = '', value = ''] = args.split('=');
        globalArgs.set(key, value);
      }
      continue;
    }
    stage.instructions.push({ keyword, args });
  }
  return stages;
}

export function readDockerfile(name: 'realtime' | 'web'): Stage[] {
  return parseDockerfile(readRepoFile(`infra/docker/${name}.Dockerfile`));
}

/** JSON exec form (`["node", "x.mjs"]`) of CMD, ENTRYPOINT or HEALTHCHECK ... CMD. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`not an exec-form array: ${args}`);
  }
  return parsed;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

export function lastInstruction(stage: Stage, keyword: string): Instruction | undefined {
  return instructions(stage, keyword).at(-1);
}

/** ENV values set in a stage (`ENV A=1 B=2` and `ENV A 1`). */
export function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of instructions(stage, 'ENV')) {
    const pairs = args.match(/(\w+)=("[^"]*"|\S+)/g);
    if (pairs) {
      for (const pair of pairs) {
        const eq = pair.indexOf('=');
        env.set(pair.slice(0, eq), pair.slice(eq + 1).replace(/^"|"$/g, ''));
      }
    } else {
      const [key = '', ...rest] = args.split(/\s+/);
      env.set(key, rest.join(' '));
    }
  }
  return env;
}

/** The stages a stage is built from, itself first: FROM <stage> chains and COPY --from=<stage>. */
export function ancestry(stages: Stage[], stage: Stage): Stage[] {
  const seen = new Set<Stage>();
  const walk = (s: Stage): void => {
    if (seen.has(s)) return;
    seen.add(s);
    const parents = [s.from, ...instructions(s, 'COPY').map((c) => /--from=(\S+)/.exec(c.args)?.[1])];
    for (const parent of parents) {
      const found = stages.find((candidate) => candidate.name === parent);
      if (found) walk(found);
    }
  };
  walk(stage);
  return [...seen];
}
