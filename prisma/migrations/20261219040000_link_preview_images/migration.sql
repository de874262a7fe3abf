-- Link preview images: the cache row keeps the re-encoded thumbnail (WebP) and its size.
ALTER TABLE "LinkPreview" ADD COLUMN "imageData" BYTEA,
ADD COLUMN "imageWidth" INTEGER,
ADD COLUMN "imageHeight" INTEGER;
