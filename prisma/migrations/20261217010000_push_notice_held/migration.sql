-- A push notice decided while its user was online waits (held) until they are away or offline on
-- every device, instead of being dropped: closing the tab with an unread DM still buzzes the phone.
ALTER TABLE "PushNotice" ADD COLUMN "held" BOOLEAN NOT NULL DEFAULT false;
