// `npm run migration:create -w @meridian/db -- <name>`: after editing prisma/schema.prisma, writes
// the SQL migration that brings a database built from prisma/migrations up to the new schema.
import { createMigration } from '../migrations/create.ts';

const name = process.argv[2];
if (!name) {
  console.error('usage: npm run migration:create -w @meridian/db -- <name>   (a-z, 0-9 and _)');
  process.exit(2);
}

try {
  const result = await createMigration({ name });
  if (result.status === 'empty') console.log('schema.prisma matches prisma/migrations: nothing to create');
  else console.log(`created prisma/migrations/${result.folder}/migration.sql`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
