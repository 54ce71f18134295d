/**
 * What production sets in a realtime node's environment besides its configuration: apps/realtime's
 * `npm start` and its image (infra/docker/realtime.Dockerfile) run it with these, and the benchmark
 * starts Meridian's nodes the same way (infra/test/dockerfiles.test.ts checks the three agree).
 *
 * MALLOC_ARENA_MAX=2: glibc otherwise keeps a malloc arena for each thread that ever allocated
 * (V8's compiler and GC helpers among them), ~10 MiB of an idle node's RSS (BENCHMARKS.md, "Lean nodes").
 */
export const PRODUCTION_ENV = { MALLOC_ARENA_MAX: '2' } as const;
