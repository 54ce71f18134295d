import { createConnection } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  featureItems,
  launchBrowser,
  mapCenterPoint,
  newPerson,
  openMap,
  type Person,
  waitForMap,
} from '../../apps/web/e2e/support/browser.ts';
import { DOCKER, ensureDocker, parseEnvLines, runCommand, stopDockerd } from './support/docker.ts';
import { repoPath } from './support/repo.ts';
import { waitFor } from './support/wait.ts';

/**
 * The whole system as docker-compose.yml deploys it, built and run for real: the base images
 * (infra/scripts/build-base-images.sh, as Docker Hub is out of reach here), both Meridian images,
 * `docker-compose up`, then two people in Chromium through HAProxy on :8080, and the realtime
 * nodes restarted one by one under their open session. Skipped (and reported so) only where
 * Docker cannot run at all.
 */
const docker = ensureDocker();
if (!docker.ok) {
  console.warn(`containers.e2e: SKIPPED, Docker cannot run here: ${docker.reason}`);
}

const PROJECT = 'meridian-e2e';
const PUBLIC_URL = 'http://localhost:8080';
const NODES = ['realtime-1', 'realtime-2', 'realtime-3'];
const BUILD_TIMEOUT_MS = 15 * 60_000;
/** Seen by several people: the map's name, and what everyone must end with. */
const MAP_NAME = 'Containers for real';

let composeEnv: NodeJS.ProcessEnv = {};
let startedStack = false;

function compose(args: string[], options: { allowFailure?: boolean } = {}) {
  return runCommand('docker-compose', ['-p', PROJECT, '-f', repoPath('docker-compose.yml'), ...args], {
    env: composeEnv,
    ...options,
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function containerHealth(service: string): Promise<string> {
  const { output: id } = await compose(['ps', '-q', service]);
  if (!id.trim()) return 'absent';
  const { output } = await runCommand(DOCKER, [
    'inspect',
    '-f',
    '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}',
    id.trim(),
  ]);
  return output.trim();
}

async function logsOf(service: string): Promise<string> {
  return (await compose(['logs', '--no-color', service], { allowFailure: true })).output;
}

/** Adds a marker at an offset from the map's centre, with the marker tool. */
async function addMarker(person: Person, dx: number, dy: number): Promise<void> {
  await person.page.getByTestId('tool-marker').click();
  const centre = await mapCenterPoint(person.page);
  await person.page.mouse.click(centre.x + dx, centre.y + dy);
}

/** Every `data-status` the connection badge takes, recorded in the page as it changes. */
async function recordStatuses(person: Person): Promise<void> {
  await person.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    const badge = document.querySelector('[data-testid=connection-status]');
    if (!badge) throw new Error('no connection badge');
    new MutationObserver(() => seen.push(badge.getAttribute('data-status') ?? '')).observe(badge, {
      attributes: true,
      attributeFilter: ['data-status'],
    });
  });
}

const statusesOf = (person: Person) =>
  person.page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses);

describe.skipIf(!docker.ok)('the compose stack, built from scratch and run for real', () => {
  let browser: Browser | undefined;
  let ada: Person;
  let bo: Person;
  let editLink = '';

  beforeAll(
    async () => {
      if (!(await portIsFree(8080))) {
        throw new Error('port 8080 is taken on this machine: the stack publishes its load balancer there');
      }
      // The Node base first (both Meridian images build FROM it), then everything else side by side:
      // Postgres/Redis/HAProxy bases and the two application images.
      const base = await runCommand('bash', [
        repoPath('infra/scripts/build-base-images.sh'),
        '--env',
        'node',
      ]);
      const images = parseEnvLines(base.output);
      composeEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...images,
        // Where the machine's hard open-files limit is low (20,000 here), stay under it.
        HAPROXY_NOFILE: '16384',
        // Tests reach loopback only: the embedded basemap, never the public street style.
        MAP_STYLE_URL: 'offline',
      };
      const build = (file: string, tag: string) =>
        runCommand(DOCKER, [
          'build',
          '-f',
          repoPath(file),
          '--build-arg',
          `NODE_IMAGE=${images.NODE_IMAGE}`,
          '-t',
          tag,
          repoPath('.'),
        ]);
      await Promise.all([
        runCommand('bash', [repoPath('infra/scripts/build-base-images.sh'), 'postgres', 'redis', 'haproxy']),
        build('infra/docker/realtime.Dockerfile', 'meridian-realtime:local'),
        build('infra/docker/web.Dockerfile', 'meridian-web:local'),
      ]);

      // Nothing left from an interrupted run, then the stack; `up` returns once every service it
      // waits on is healthy (depends_on conditions), which ends with the load balancer.
      await compose(['down', '-v', '--remove-orphans'], { allowFailure: true });
      startedStack = true;
      await compose(['up', '-d', '--no-build']);
      await waitFor(
        'HAProxy on :8080 to serve the web app',
        async () => (await fetch(`${PUBLIC_URL}/`)).status === 200,
        { timeoutMs: 120_000, intervalMs: 1_000 },
      );
      browser = await launchBrowser();
      ada = await newPerson(browser, 'Ada');
      bo = await newPerson(browser, 'Bo');
    },
    BUILD_TIMEOUT_MS + 5 * 60_000,
  );

  afterAll(async () => {
    await browser?.close();
    if (startedStack) await compose(['down', '-v', '--remove-orphans'], { allowFailure: true });
    // Tidy: a Docker engine this test started is stopped again (the images stay cached on disk).
    if (docker.ok && docker.startedPid) await stopDockerd(docker.startedPid);
  }, 120_000);

  it('runs every service healthy, the one-shot migration done, on the local base images', async () => {
    for (const service of ['postgres', 'redis', ...NODES, 'web']) {
      expect(await containerHealth(service), service).toBe('healthy');
    }
    expect(await containerHealth('lb')).toBe('running');
    const { output: migrateState } = await runCommand(DOCKER, [
      'inspect',
      '-f',
      '{{.State.Status}} {{.State.ExitCode}}',
      (await compose(['ps', '-q', 'migrate'])).output.trim(),
    ]);
    expect(migrateState.trim()).toBe('exited 0');
    // The nodes run the bundle: no TypeScript loader in the serving process.
    const { output: command } = await compose(['exec', '-T', 'realtime-1', 'cat', '/proc/1/cmdline']);
    expect(command.replaceAll('\0', ' ').trim()).toBe('node dist/index.mjs');
  });

  it('serves the app through HAProxy: two people on one map, an edit by one seen by the other', async () => {
    await ada.page.goto(`${PUBLIC_URL}/`);
    await ada.page.getByTestId('map-name-input').fill(MAP_NAME);
    await ada.page.getByTestId('create-map').click();
    await ada.page.waitForURL(/\/m\/[A-Za-z0-9_-]+\?key=/);
    await ada.page.getByTestId('name-input').fill('Ada');
    await ada.page.getByTestId('name-submit').click();
    await waitForMap(ada.page);
    editLink = ada.page.url();
    expect(new URL(editLink).origin).toBe(PUBLIC_URL);

    await openMap(bo, editLink);
    await addMarker(ada, 0, 0);
    await expect.poll(() => featureItems(bo.page).count(), { timeout: 20_000 }).toBe(1);
  }, 180_000);

  it('restarts every realtime node under the open session: clients drain, resume, and no edit is lost', async () => {
    await recordStatuses(ada);
    await recordStatuses(bo);
    const offsets = [
      [-120, -80],
      [120, -80],
      [-120, 80],
    ] as const;
    for (const [index, node] of NODES.entries()) {
      // SIGTERM drains the node; meanwhile Ada keeps editing (through another node, or queued
      // in her client until she is back on one).
      const restart = compose(['restart', '-t', '15', node]);
      const [dx, dy] = offsets[index] ?? [0, 0];
      await addMarker(ada, dx, dy);
      await restart;
      await waitFor(`${node} to be healthy again`, async () => (await containerHealth(node)) === 'healthy', {
        timeoutMs: 90_000,
        intervalMs: 1_000,
      });
    }

    const expected = 1 + NODES.length;
    for (const person of [ada, bo]) {
      await expect
        .poll(() => person.page.getAttribute('[data-testid=connection-status]', 'data-status'), {
          timeout: 60_000,
        })
        .toBe('joined');
      await expect.poll(() => featureItems(person.page).count(), { timeout: 60_000 }).toBe(expected);
      await expect
        .poll(() => person.page.getAttribute('[data-testid=connection-status]', 'data-pending'), {
          timeout: 30_000,
        })
        .toBe('0');
    }

    // Each person's node was restarted at some point: both saw their connection drop and come back.
    for (const person of [ada, bo]) {
      const statuses = await statusesOf(person);
      expect(
        statuses.some((s) => s !== 'joined'),
        `${person.name}: ${statuses.join(',')}`,
      ).toBe(true);
      expect(statuses.at(-1)).toBe('joined');
    }
    // The nodes drained (closing their clients with 1012) rather than dying.
    const logs = (await Promise.all(NODES.map(logsOf))).join('\n');
    const drains = logs
      .split('\n')
      .map((line) => line.slice(line.indexOf('{')))
      .filter((json) => json.includes('"msg":"draining"'))
      .map((json) => (JSON.parse(json) as { connections: number }).connections);
    expect(drains.length).toBeGreaterThanOrEqual(NODES.length);
    expect(drains.some((connections) => connections > 0)).toBe(true);

    // And it is all in Postgres: a third person opening the link now sees every marker.
    const cy = await newPerson(browser as Browser, 'Cy');
    await openMap(cy, editLink);
    await eventually('the fresh session to show every marker', async () =>
      (await featureItems(cy.page).count()) === expected ? true : undefined,
    );
    for (const person of [ada, bo, cy]) expect(person.errors, person.name).toEqual([]);
  }, 300_000);
});
