-- What answered a reply besides its model: the provider, the API key's public name (a digest,
-- never the key) and why it fell back if it did (lib/domain.ts ReplyRoute).
ALTER TABLE "message" ADD COLUMN "route" JSONB;
