import { json, readBody, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { createUser, listUsers } from "@/lib/server/accounts";
import { CreateUserBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** Admins: every account with its role and graphs. */
export const GET = route(async (rt, _req, _p, who) => json(await listUsers(rt, who)));

/** Admins: a new email + password account. */
export const POST = route(async (rt, req, _p, who) => json(await createUser(rt, who, await readBody(req, CreateUserBody)), 201));

export const { PUT, PATCH, DELETE } = otherMethods("GET", "POST");
