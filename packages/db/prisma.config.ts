import { defineConfig } from 'prisma/config';

// Only the Prisma CLI reads this file. Offline, this project creates and applies migrations
// itself (src/cli); on machines that reach Prisma's engine binaries, `prisma migrate deploy`
// uses the same folder and sees the same `_prisma_migrations` history.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
