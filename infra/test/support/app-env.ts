import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoPath } from './repo.ts';

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Variables read by the runtime around the app rather than by its sources: Node itself, and for the
 * web app `next start`, which takes its port and listen address from the environment.
 */
const RUNTIME_READS = {
  realtime: ['NODE_ENV', 'NODE_OPTIONS'],
  web: ['NODE_ENV', 'NODE_OPTIONS', 'PORT', 'HOSTNAME', 'NEXT_TELEMETRY_DISABLED'],
  migrate: ['NODE_ENV', 'NODE_OPTIONS'],
} as const;

export type AppName = keyof typeof RUNTIME_READS;

function isProcessEnv(node: ts.Expression): boolean {
  return (
    ts.isPropertyAccessExpression(node) && node.name.text === 'env' && node.expression.getText() === 'process'
  );
}

function isZodObjectCall(node: ts.CallExpression): boolean {
  const callee = node.expression;
  return (
    ts.isPropertyAccessExpression(callee) &&
    callee.expression.getText() === 'z' &&
    (callee.name.text === 'object' || callee.name.text === 'strictObject')
  );
}

/**
 * Environment variable names one source file reads: `process.env.X` / `process.env['X']`, and the
 * keys of a `z.object({...})` schema when every key is written like an environment variable (the
 * apps' env.ts modules validate `process.env` with such a schema).
 */
export function envNamesInSource(fileName: string, text: string): Set<string> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && isProcessEnv(node.expression)) names.add(node.name.text);
    if (
      ts.isElementAccessExpression(node) &&
      isProcessEnv(node.expression) &&
      ts.isStringLiteral(node.argumentExpression)
    ) {
      names.add(node.argumentExpression.text);
    }
    if (ts.isCallExpression(node) && isZodObjectCall(node)) {
      const shape = node.arguments[0];
      if (shape && ts.isObjectLiteralExpression(shape)) {
        const keys = shape.properties.map((p) => (p.name && ts.isIdentifier(p.name) ? p.name.text : ''));
        if (keys.length > 0 && keys.every((key) => ENV_NAME.test(key)))
          for (const key of keys) names.add(key);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(
      (file) => /\.tsx?$/.test(file) && !/\.(test|bench)\.tsx?$/.test(file) && !file.includes('generated'),
    )
    .map((file) => path.join(dir, file));
}

const SOURCES: Record<AppName, () => string[]> = {
  realtime: () => sourceFiles(repoPath('apps/realtime/src')),
  web: () => sourceFiles(repoPath('apps/web/src')),
  // The migrate command reads only its own entry file's variables (the client factory takes options).
  migrate: () => [repoPath('packages/db/src/cli/migrate.ts')],
};

/** Every environment variable an app's process reads. */
export function envNamesReadBy(app: AppName): Set<string> {
  const names = new Set<string>(RUNTIME_READS[app]);
  for (const file of SOURCES[app]()) {
    for (const name of envNamesInSource(file, readFileSync(file, 'utf8'))) names.add(name);
  }
  return names;
}

/** Whether a string literal equal to `route` appears in the app's sources (a served path). */
export function appServesRoute(app: 'realtime' | 'web', route: string): boolean {
  if (app === 'web' && route === '/') return true;
  const literal = new RegExp(`['"\`]${route.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}['"\`]`);
  return SOURCES[app]().some((file) => literal.test(readFileSync(file, 'utf8')));
}
