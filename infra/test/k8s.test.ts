import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REALTIME_PATH } from '@meridian/protocol';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { type IJob, Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../apps/realtime/src/env.ts';
import { parseWebEnv } from '../../apps/web/src/env.ts';
import { type AppName, appServesRoute, envNamesReadBy } from './support/app-env.ts';
import { fieldErrors, K8S_DIR, loadManifests, manifestFiles, ofKind, schemaError } from './support/k8s.ts';
import { readRepoFile } from './support/repo.ts';

const manifests = loadManifests();
const deployments = ofKind(manifests, Deployment.is);
const jobs = ofKind(manifests, Job.is);
const services = ofKind(manifests, Service.is);
const configMaps = ofKind(manifests, ConfigMap.is);
const secrets = ofKind(manifests, Secret.is);
const ingresses = ofKind(manifests, Ingress.is);
const pdbs = ofKind(manifests, PodDisruptionBudget.is);
const hpas = ofKind(manifests, HorizontalPodAutoscaler.is);

const Kustomization = parse(readFileSync(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as {
  namespace: string;
  resources: string[];
  images: { name: string }[];
};

/** A representative pod name for fieldRef metadata.name (NODE_ID). */
const POD_NAME = 'meridian-realtime-7d9f8c6b5-x2k4q';

function componentOf(labels: Record<string, string> | undefined): string | undefined {
  return labels?.['app.kubernetes.io/component'];
}

function deployment(component: string): IDeployment {
  const found = deployments.find((d) => componentOf(d.metadata?.labels) === component);
  if (!found) throw new Error(`no ${component} Deployment`);
  return found;
}

function job(component: string): IJob {
  const found = jobs.find((j) => componentOf(j.metadata?.labels) === component);
  if (!found) throw new Error(`no ${component} Job`);
  return found;
}

function onlyContainer(workload: IDeployment | IJob): IContainer {
  const containers = workload.spec?.template.spec?.containers ?? [];
  expect(containers).toHaveLength(1);
  const [container] = containers;
  if (!container) throw new Error('no container');
  return container;
}

function secretValues(name: string): Record<string, string> {
  const secret = secrets.find((s) => s.metadata?.name === name);
  if (!secret) throw new Error(`no Secret ${name}`);
  const decoded = Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]);
  return { ...Object.fromEntries(decoded), ...secret.stringData };
}

function configMapValues(name: string): Record<string, string> {
  const configMap = configMaps.find((c) => c.metadata?.name === name);
  if (!configMap) throw new Error(`no ConfigMap ${name}`);
  return { ...configMap.data };
}

/** The environment a container starts with, resolving envFrom and valueFrom against the manifests. */
function environmentOf(container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, configMapValues(source.configMapRef.name ?? ''));
    if (source.secretRef) Object.assign(env, secretValues(source.secretRef.name ?? ''));
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    let value = variable.value;
    if (from?.secretKeyRef) value = secretValues(from.secretKeyRef.name ?? '')[from.secretKeyRef.key];
    if (from?.configMapKeyRef)
      value = configMapValues(from.configMapKeyRef.name ?? '')[from.configMapKeyRef.key];
    if (from?.fieldRef?.fieldPath === 'metadata.name') value = POD_NAME;
    if (value === undefined) throw new Error(`${variable.name} resolves to nothing`);
    env[variable.name] = value;
  }
  return env;
}

function containerPort(container: IContainer, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function preStopSleepS(container: IContainer): number {
  const preStop = container.lifecycle?.preStop;
  const [program, seconds] = preStop?.exec?.command ?? [];
  if (program === 'sleep') return Number(seconds);
  return preStop?.sleep?.seconds ?? 0;
}

const WORKLOADS: { app: AppName; workload: () => IDeployment | IJob }[] = [
  { app: 'realtime', workload: () => deployment('realtime') },
  { app: 'web', workload: () => deployment('web') },
  { app: 'migrate', workload: () => job('migrate') },
];

describe('infra/k8s: validated offline against the Kubernetes schemas', () => {
  it.each(manifests.map((m) => [`${m.file}#${m.index} ${m.kind}/${m.name}`, m] as const))(
    '%s matches its schema',
    (_, manifest) => {
      expect(schemaError(manifest)).toBeNull();
    },
  );

  it('uses no field the API would refuse under strict field validation', () => {
    expect(Object.fromEntries(fieldErrors(manifests))).toEqual({});
  });

  it('and both checks do catch mistakes (a misspelt field, a port that is not a number)', () => {
    const realtime = manifests.find((m) => m.kind === 'Deployment' && m.name === 'meridian-realtime');
    if (!realtime) throw new Error('no realtime Deployment');
    const misspelt = structuredClone(realtime);
    const text = JSON.stringify(misspelt.data).replace(
      '"terminationGracePeriodSeconds"',
      '"terminationGracePeriodSecond"',
    );
    misspelt.data = JSON.parse(text);
    expect([...fieldErrors([misspelt]).values()].flat().join()).toMatch(/terminationGracePeriodSecond/);
    const badPort = structuredClone(realtime);
    badPort.data = JSON.parse(
      JSON.stringify(realtime.data).replace('"containerPort":4000', '"containerPort":"4000x"'),
    );
    expect(schemaError(badPort)).toMatch(/containerPort/);
  });

  it('kustomization.yaml lists every manifest, one namespace and every image', () => {
    expect([...Kustomization.resources].sort()).toEqual(manifestFiles());
    for (const m of manifests) {
      const namespace = (m.data as { metadata?: { namespace?: string } }).metadata?.namespace;
      if (m.kind !== 'Namespace') expect(namespace, `${m.file} ${m.kind}`).toBe(Kustomization.namespace);
      else expect(m.name).toBe(Kustomization.namespace);
    }
    const images = new Set(WORKLOADS.map(({ workload }) => onlyContainer(workload()).image));
    expect([...images].sort()).toEqual(Kustomization.images.map((i) => i.name).sort());
  });
});

describe('infra/k8s: consistent with what the apps read and serve', () => {
  it.each(WORKLOADS)('$app sets only variables its program reads', ({ app, workload }) => {
    const read = envNamesReadBy(app);
    const unknown = Object.keys(environmentOf(onlyContainer(workload()))).filter((name) => !read.has(name));
    expect(unknown).toEqual([]);
  });

  it("realtime's and web's environments pass the apps' own config parsers", () => {
    const realtime = loadConfig(environmentOf(onlyContainer(deployment('realtime'))));
    expect(realtime.databaseUrl).toMatch(/^postgres:/);
    expect(realtime.redisUrl).toMatch(/^redis:/);
    expect(realtime.nodeId).toBe(POD_NAME);
    expect(() => parseWebEnv(environmentOf(onlyContainer(deployment('web'))))).not.toThrow();
  });

  it.each(['realtime', 'web'])('%s probes paths the app serves, on the port it listens on', (component) => {
    const container = onlyContainer(deployment(component));
    const port =
      component === 'realtime'
        ? loadConfig(environmentOf(container)).port
        : Number(environmentOf(container).PORT);
    const probes: [string, IProbe | undefined][] = [
      ['readiness', container.readinessProbe],
      ['liveness', container.livenessProbe],
      ['startup', container.startupProbe],
    ];
    for (const [kind, probe] of probes) {
      if (!probe && kind === 'startup') continue;
      const httpGet = probe?.httpGet;
      expect(httpGet, kind).toBeDefined();
      expect(
        appServesRoute(component as 'realtime' | 'web', httpGet?.path ?? ''),
        `${kind} ${httpGet?.path}`,
      ).toBe(true);
      expect(containerPort(container, httpGet?.port), kind).toBe(port);
      // The kubelet's own HTTP request, never a process started in the container, and a timeout a
      // busy node meets (the default is 1 s).
      expect(probe?.exec, kind).toBeUndefined();
      expect(probe?.timeoutSeconds ?? 1, `${kind} timeoutSeconds`).toBeGreaterThanOrEqual(5);
    }
    if (component === 'realtime') {
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    }
  });

  it('gives a realtime pod its preStop pause plus the whole drain before SIGKILL', () => {
    const pod = deployment('realtime').spec?.template.spec;
    const container = onlyContainer(deployment('realtime'));
    const drainS = loadConfig(environmentOf(container)).drainTimeoutMs / 1000;
    const preStopS = preStopSleepS(container);
    expect(preStopS).toBeGreaterThan(0);
    expect(pod?.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(preStopS + drainS);
  });

  it('each Service selects one Deployment and targets a port its container names', () => {
    for (const service of services) {
      const selector = service.spec?.selector ?? {};
      const selected = deployments.filter((d) =>
        Object.entries(selector).every(([k, v]) => d.spec?.template.metadata?.labels?.[k] === v),
      );
      expect(selected, service.metadata?.name).toHaveLength(1);
      const container = onlyContainer(selected[0] as IDeployment);
      for (const port of service.spec?.ports ?? []) {
        expect(containerPort(container, port.targetPort), `${service.metadata?.name}`).toBeDefined();
      }
    }
  });

  it('the Ingress sends the WebSocket path to realtime and the rest to web, with WebSocket-length timeouts', () => {
    expect(ingresses).toHaveLength(1);
    const [ingress] = ingresses;
    const rules = ingress?.spec?.rules ?? [];
    const paths = rules.flatMap((r) => r.http?.paths ?? []);
    const backendOf = (p: string) => paths.find((candidate) => candidate.path === p)?.backend.service;
    const realtimeService = services.find((s) => componentOf(s.metadata?.labels) === 'realtime');
    const webService = services.find((s) => componentOf(s.metadata?.labels) === 'web');
    expect(backendOf(REALTIME_PATH)?.name).toBe(realtimeService?.metadata?.name);
    // WebSub hubs call back <MERIDIAN_PUBLIC_URL>/websub/<id> on any realtime pod.
    expect(backendOf('/websub')?.name).toBe(realtimeService?.metadata?.name);
    const publicUrl = loadConfig(environmentOf(onlyContainer(deployment('realtime')))).feeds.publicUrl;
    expect(publicUrl && new URL(publicUrl).host).toBe(rules[0]?.host);
    expect(backendOf('/')?.name).toBe(webService?.metadata?.name);
    for (const p of paths) {
      const service = services.find((s) => s.metadata?.name === p.backend.service?.name);
      expect(service?.spec?.ports?.some((port) => port.name === p.backend.service?.port?.name)).toBe(true);
    }
    const idleS = loadConfig(environmentOf(onlyContainer(deployment('realtime')))).idleTimeoutS;
    const annotations = ingress?.metadata?.annotations ?? {};
    for (const key of [
      'nginx.ingress.kubernetes.io/proxy-read-timeout',
      'nginx.ingress.kubernetes.io/proxy-send-timeout',
    ]) {
      expect(Number(annotations[key]), key).toBeGreaterThan(idleS * 2);
    }
  });

  it('browsers are sent to the Ingress host over wss, and the nodes accept that Origin', () => {
    const host = ingresses[0]?.spec?.rules?.[0]?.host ?? '';
    expect(ingresses[0]?.spec?.tls?.[0]?.hosts).toContain(host);
    const web = parseWebEnv(environmentOf(onlyContainer(deployment('web'))));
    const browserUrl = new URL(web.MERIDIAN_PUBLIC_REALTIME_URL ?? '');
    expect(browserUrl.protocol).toBe('wss:');
    // A base URL: the web app appends REALTIME_PATH itself.
    expect(browserUrl.pathname).toBe('/');
    expect(browserUrl.hostname).toBe(host);
    expect(loadConfig(environmentOf(onlyContainer(deployment('realtime')))).allowedOrigins).toContain(
      `https://${host}`,
    );
  });

  it("web reaches the realtime API through the realtime Service's name and port", () => {
    const web = parseWebEnv(environmentOf(onlyContainer(deployment('web'))));
    const internal = new URL(web.REALTIME_INTERNAL_URL);
    const service = services.find((s) => componentOf(s.metadata?.labels) === 'realtime');
    const name = service?.metadata?.name ?? '';
    expect([
      name,
      `${name}.${Kustomization.namespace}`,
      `${name}.${Kustomization.namespace}.svc.cluster.local`,
    ]).toContain(internal.hostname);
    expect(service?.spec?.ports?.map((p) => p.port)).toContain(Number(internal.port));
  });

  it('PodDisruptionBudgets and autoscalers aim at the Deployments, leaving pods to serve', () => {
    for (const pdb of pdbs) {
      const labels = pdb.spec?.selector?.matchLabels ?? {};
      const target = deployments.find((d) =>
        Object.entries(labels).every(([k, v]) => d.spec?.template.metadata?.labels?.[k] === v),
      );
      expect(target, pdb.metadata?.name).toBeDefined();
      const hpa = hpas.find((h) => h.spec?.scaleTargetRef.name === target?.metadata?.name);
      const minReplicas = hpa?.spec?.minReplicas ?? target?.spec?.replicas ?? 1;
      const maxUnavailable = pdb.spec?.maxUnavailable;
      if (typeof maxUnavailable === 'number') expect(maxUnavailable).toBeLessThan(minReplicas);
      const minAvailable = pdb.spec?.minAvailable;
      if (typeof minAvailable === 'number') expect(minAvailable).toBeLessThan(minReplicas);
    }
    for (const hpa of hpas) {
      expect(hpa.spec?.scaleTargetRef.kind).toBe('Deployment');
      expect(deployments.map((d) => d.metadata?.name)).toContain(hpa.spec?.scaleTargetRef.name);
    }
    const realtimeHpa = hpas.find(
      (h) => h.spec?.scaleTargetRef.name === deployment('realtime').metadata?.name,
    );
    expect(realtimeHpa?.spec?.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it.each(WORKLOADS)('$app has CPU and memory requests and limits and runs as non-root', ({ workload }) => {
    const w = workload();
    const resources = onlyContainer(w).resources;
    for (const key of ['cpu', 'memory']) {
      expect(resources?.requests?.[key], `requests.${key}`).toBeDefined();
      expect(resources?.limits?.[key], `limits.${key}`).toBeDefined();
    }
    const security = w.spec?.template.spec?.securityContext;
    expect(security?.runAsNonRoot).toBe(true);
    expect(security?.runAsUser).not.toBe(0);
  });

  it("the migrate Job runs the db package's migrate command, bundled in the realtime image", () => {
    const container = onlyContainer(job('migrate'));
    expect(container.image).toBe(onlyContainer(deployment('realtime')).image);
    // The image's working directory is /app/apps/realtime, where the bundle's dist/ is.
    expect(container.workingDir).toBeUndefined();
    expect(container.command).toEqual(['node', 'dist/migrate.mjs']);
    expect(readRepoFile('apps/realtime/scripts/build.mjs')).toContain(
      "{ name: 'migrate', source: 'packages/db/src/cli/migrate.ts' }",
    );
    expect(Object.keys(environmentOf(container))).toEqual(['DATABASE_URL']);
  });
});
