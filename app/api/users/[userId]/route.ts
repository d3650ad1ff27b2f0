import { json, readBody, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { updateUser } from "@/lib/server/accounts";
import { UpdateUserBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** Admins: change a user's role, graphs, name or password, or disable them (signed out everywhere). */
export const PATCH = route<{ userId: string }>(async (rt, req, { userId }, who) =>
  json(await updateUser(rt, who, userId, await readBody(req, UpdateUserBody))),
);

export const { GET, POST, PUT, DELETE } = otherMethods("PATCH");
