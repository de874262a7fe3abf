-- AlterTable
ALTER TABLE "Attachment" ADD COLUMN     "durationMs" INTEGER,
ADD COLUMN     "waveform" INTEGER[] DEFAULT ARRAY[]::INTEGER[];
