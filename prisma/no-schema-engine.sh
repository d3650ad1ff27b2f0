#!/bin/sh
echo "The Prisma schema engine is not available in this environment; migrations are applied by lib/checkpoint/migrate.ts." >&2
exit 1
