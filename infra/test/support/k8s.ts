import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { repoPath } from './repo.ts';

export const K8S_DIR = repoPath('infra/k8s');

/** The kinds the manifests may use: their kubernetes-models class (Ajv validator) and TS interface. */
const MODELS = {
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': {
    model: Deployment,
    module: 'kubernetes-models/apps/v1/Deployment',
    type: 'IDeployment',
  },
  'batch/v1/Job': { model: Job, module: 'kubernetes-models/batch/v1/Job', type: 'IJob' },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget,
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler,
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
  'networking.k8s.io/v1/Ingress': {
    model: Ingress,
    module: 'kubernetes-models/networking.k8s.io/v1/Ingress',
    type: 'IIngress',
  },
} as const;
type ModelKey = keyof typeof MODELS;

export interface Manifest {
  file: string;
  /** Position of the document in its file, from 0. */
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
  data: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function manifestFiles(): string[] {
  return readdirSync(K8S_DIR)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort();
}

/** Every document of every manifest in infra/k8s (kustomization.yaml aside). */
export function loadManifests(): Manifest[] {
  return manifestFiles().flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(K8S_DIR, file), 'utf8')).map((doc, index) => {
      if (doc.errors.length > 0) throw new Error(`${file}#${index}: ${doc.errors[0]?.message}`);
      const data: unknown = doc.toJS();
      const meta = isRecord(data) && isRecord(data.metadata) ? data.metadata : {};
      return {
        file,
        index,
        apiVersion: isRecord(data) ? String(data.apiVersion) : '',
        kind: isRecord(data) ? String(data.kind) : '',
        name: String(meta.name ?? ''),
        data,
      };
    }),
  );
}

function modelKey(manifest: Manifest): ModelKey | undefined {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  return key in MODELS ? (key as ModelKey) : undefined;
}

/** Validates against the Kubernetes OpenAPI schema (kubernetes-models' Ajv validators); returns the error or null. */
export function schemaError(manifest: Manifest): string | null {
  const key = modelKey(manifest);
  if (!key) return `no schema for ${manifest.apiVersion} ${manifest.kind}`;
  try {
    new MODELS[key].model(manifest.data as never).validate();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The schema validators accept fields the API does not know; `kubectl apply` (strict field
 * validation) refuses them. So each manifest is also type-checked as an object literal against
 * kubernetes-models' TypeScript interfaces, where an unknown or misspelt field is an excess
 * property error. Returns the messages per manifest ("file#index").
 */
export function fieldErrors(manifests: Manifest[]): Map<string, string[]> {
  const virtualFile = repoPath('infra/test/support/__manifests__.ts');
  const lines: string[] = [];
  const owners: { from: number; id: string }[] = [];
  manifests.forEach((manifest, i) => {
    const key = modelKey(manifest);
    if (!key) return;
    const { module, type } = MODELS[key];
    lines.push(`import type { ${type} as T${i} } from '${module}';`);
  });
  manifests.forEach((manifest, i) => {
    if (!modelKey(manifest)) return;
    owners.push({ from: lines.length, id: `${manifest.file}#${manifest.index}` });
    lines.push(...`export const m${i}: T${i} = ${JSON.stringify(manifest.data, null, 1)};`.split('\n'));
  });
  const text = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName === virtualFile
      ? ts.createSourceFile(fileName, text, languageVersion, true)
      : getSourceFile(fileName, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === virtualFile || fileExists(fileName);
  const program = ts.createProgram([virtualFile], options, host);
  const source = program.getSourceFile(virtualFile);
  const errors = new Map<string, string[]>();
  for (const diagnostic of [
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ]) {
    const line =
      source && diagnostic.start !== undefined
        ? source.getLineAndCharacterOfPosition(diagnostic.start).line
        : 0;
    const owner = owners.filter((o) => o.from <= line).at(-1)?.id ?? 'imports';
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n').split('\n').at(-1) ?? '';
    errors.set(owner, [...(errors.get(owner) ?? []), message]);
  }
  return errors;
}

/** The manifests of one kind, typed by kubernetes-models' guard (call after schema validation). */
export function ofKind<T extends { metadata?: { name?: string } }>(
  manifests: Manifest[],
  guard: (value: unknown) => value is T,
): T[] {
  return manifests.map((m) => m.data).filter(guard);
}
