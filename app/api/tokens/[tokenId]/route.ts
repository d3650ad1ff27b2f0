import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { revokeToken } from "@/lib/server/accounts";

export const dynamic = "force-dynamic";

/** Revokes a token (its owner or an admin); it stops working at once here, within 5 s on other servers. */
export const DELETE = route<{ tokenId: string }>(async (rt, _req, { tokenId }, who) => json(await revokeToken(rt, who, tokenId)), {
  mutation: "read",
});

export const { GET, POST, PUT, PATCH } = otherMethods("DELETE");
