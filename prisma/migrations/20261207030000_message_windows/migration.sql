-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "deleteWindowSeconds" INTEGER,
ADD COLUMN     "editWindowSeconds" INTEGER;


