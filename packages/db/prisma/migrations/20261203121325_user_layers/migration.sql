-- Protocol v3: user layers beside live-feed layers. Every existing layer is a feed layer (the
-- default kind), so old rows need no rewrite. A user layer has no url, an order and a default
-- style. The CHECK keeps each kind's columns whole (Prisma does not model it and leaves it alone).
-- Old `layer.add` records in the op log get the kind their layer has, so the log reads as v3.
-- (No semicolons in comments: Prisma's engine splits scripts on them.)

-- CreateEnum
CREATE TYPE "LayerKind" AS ENUM ('feed', 'user');

-- AlterTable
ALTER TABLE "Layer" ADD COLUMN     "kind" "LayerKind" NOT NULL DEFAULT 'feed',
ADD COLUMN     "order" DOUBLE PRECISION,
ADD COLUMN     "style" JSONB,
ALTER COLUMN "url" DROP NOT NULL;

ALTER TABLE "Layer" ADD CONSTRAINT "Layer_kind_columns" CHECK (
  (kind = 'feed' AND url IS NOT NULL)
  OR (kind = 'user' AND url IS NULL AND "order" IS NOT NULL AND style IS NOT NULL)
);

UPDATE "Op"
SET payload = jsonb_set(payload, '{layer,kind}', '"feed"')
WHERE kind = 'layer.add' AND payload->'layer'->'kind' IS NULL;
