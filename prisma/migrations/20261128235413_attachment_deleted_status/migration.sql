-- AlterEnum
ALTER TYPE "AttachmentStatus" ADD VALUE 'deleted';
