-- CreateTable
CREATE TABLE "Layer" (
    "mapId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "createdSeq" INTEGER NOT NULL,
    "updatedSeq" INTEGER NOT NULL,
    "etag" TEXT,
    "lastModified" TEXT,
    "hub" TEXT,
    "topic" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Layer_pkey" PRIMARY KEY ("mapId","id")
);

-- CreateIndex
CREATE INDEX "Layer_mapId_deleted_idx" ON "Layer"("mapId", "deleted");

-- AddForeignKey
ALTER TABLE "Layer" ADD CONSTRAINT "Layer_mapId_fkey" FOREIGN KEY ("mapId") REFERENCES "Map"("id") ON DELETE CASCADE ON UPDATE CASCADE;
