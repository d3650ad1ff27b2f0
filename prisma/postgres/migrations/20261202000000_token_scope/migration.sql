-- What an API token may call: "all" (whatever its role allows) or "metrics" (GET /api/metrics only, for a scraper).
ALTER TABLE "api_tokens" ADD COLUMN "scope" TEXT NOT NULL DEFAULT 'all';
