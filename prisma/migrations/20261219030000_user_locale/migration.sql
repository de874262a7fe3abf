-- Settings → Language: the user's UI language ("en", "ar"), or NULL to follow the browser's
-- Accept-Language (English when it names none the web client ships). Read by the web's
-- i18n/request.ts on every page render, so every device of the user shows the same language.
ALTER TABLE "User" ADD COLUMN "locale" TEXT;
