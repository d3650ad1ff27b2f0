import { json, readBody, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { createToken, listTokens } from "@/lib/server/accounts";
import { CreateTokenBody, ListTokensQuery } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** The caller's tokens (`?all=1`, admins: everyone's). Secrets are never listed. */
export const GET = route(async (rt, req, _p, who) => {
  const all = readQuery(req, ListTokensQuery).all;
  return json(await listTokens(rt, who, all === "1" || all === "true"));
});

/** 201 with `{ token, record }`: the secret is in this answer only. */
export const POST = route(async (rt, req, _p, who) => json(await createToken(rt, who, await readBody(req, CreateTokenBody)), 201), {
  mutation: "read",
});

export const { PUT, PATCH, DELETE } = otherMethods("GET", "POST");
