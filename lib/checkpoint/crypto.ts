/**
 * Encryption of state at rest: the key ring and the sealing of one JSON value (AES-256-GCM, node's crypto).
 *
 * A sealed value is a string: "wpenc:1:<key id>:<base64url of iv | ciphertext | tag>". Being a JSON string,
 * it fits wherever a value goes — a TEXT column, a JSONB column, a Redis hash field, a JSON file — so every
 * backend stores it without knowing it is encrypted; and a value that is not such a string was written before
 * encryption was turned on and is read as it is.
 *
 * The IV is synthetic (as in SIV modes): the first 12 bytes of HMAC-SHA256 over the plaintext, under a second
 * key derived from the same master key. Equal values under one key therefore seal to equal strings, which is
 * what keeps delta storage working (lib/checkpoint/delta.ts compares channel texts: an unchanged value must
 * stay byte-identical, an appended item must leave the earlier items' text alone). The price is that equal
 * values are visibly equal in storage; distinct values never share an IV (barring an HMAC collision), so
 * GCM's nonce uniqueness holds. Every sealed value is authenticated: a wrong key or a changed byte is an
 * ENCRYPTION_KEY error, never garbage.
 *
 * Keys: WAYPOINT_ENCRYPTION_KEY (base64 of 32 random bytes: `openssl rand -base64 32`) seals every new
 * value; WAYPOINT_ENCRYPTION_KEYS_OLD (comma-separated, same form) are only read. A key's id is derived from
 * the key itself (first 8 hex digits of a SHA-256), so the ring needs no names and the envelope says which
 * key opens it.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync } from "node:crypto";
import { WaypointError } from "../errors";

export const SEALED_PREFIX = "wpenc:1:";

interface Key {
  id: string;
  enc: Buffer;
  siv: Buffer;
}

export interface Keyring {
  /** The key new values are sealed with; null when only reading is configured (no key at all). */
  readonly current: Key | null;
  readonly byId: ReadonlyMap<string, Key>;
  /** Recently sealed texts (plaintext -> sealed), so an unchanged item of a long list is not re-encrypted each step. */
  readonly cache: Map<string, string>;
  cacheChars: number;
  /**
   * Recently opened values (sealed -> plaintext JSON text): a history page or a long list's items are opened
   * again on every read, and a map look-up plus a parse costs a fraction of a decryption. Only authenticated
   * plaintext goes in, and each read parses it afresh, so callers never share objects.
   */
  readonly opened: Map<string, string>;
  openedChars: number;
}

const keyError = (message: string, details: Record<string, unknown> = {}) => new WaypointError("ENCRYPTION_KEY", message, details);

function deriveKey(raw: Buffer): Key {
  const id = createHash("sha256").update("waypoint-key-id:").update(raw).digest("hex").slice(0, 8);
  const enc = Buffer.from(hkdfSync("sha256", raw, Buffer.alloc(0), "waypoint/at-rest/enc", 32));
  const siv = Buffer.from(hkdfSync("sha256", raw, Buffer.alloc(0), "waypoint/at-rest/siv", 32));
  return { id, enc, siv };
}

function parseKey(text: string, variable: string): Buffer {
  const t = text.trim();
  const raw = /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) ? Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64") : Buffer.alloc(0);
  if (raw.length !== 32)
    throw new WaypointError(
      "STORE_CONFIG",
      `${variable} must be the base64 of exactly 32 random bytes (make one with: openssl rand -base64 32); got ${raw.length || "no"} bytes.`,
    );
  return raw;
}

/** A key ring from base64 keys: `current` seals, every key (current and old) opens. */
export function createKeyring(current: string | null, old: string[] = []): Keyring {
  const byId = new Map<string, Key>();
  let cur: Key | null = null;
  if (current !== null) {
    cur = deriveKey(parseKey(current, "WAYPOINT_ENCRYPTION_KEY"));
    byId.set(cur.id, cur);
  }
  for (const o of old) {
    const k = deriveKey(parseKey(o, "WAYPOINT_ENCRYPTION_KEYS_OLD"));
    if (!byId.has(k.id)) byId.set(k.id, k);
  }
  return { current: cur, byId, cache: new Map(), cacheChars: 0, opened: new Map(), openedChars: 0 };
}

/**
 * The ring the environment configures, or null when neither variable is set (encryption off). Old keys without
 * a current one are allowed: everything stays readable, and new values are written in clear.
 */
export function keyringFromEnv(env: Record<string, string | undefined> = process.env): Keyring | null {
  const current = env.WAYPOINT_ENCRYPTION_KEY?.trim() || null;
  const old = (env.WAYPOINT_ENCRYPTION_KEYS_OLD ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (current === null && old.length === 0) return null;
  return createKeyring(current, old);
}

/** The id of the key that sealed `value`, or null for a value in clear. */
export function sealedKeyId(value: unknown): string | null {
  if (typeof value !== "string" || !value.startsWith(SEALED_PREFIX)) return null;
  const end = value.indexOf(":", SEALED_PREFIX.length);
  return end < 0 ? "" : value.slice(SEALED_PREFIX.length, end);
}

export const isSealed = (value: unknown): value is string => typeof value === "string" && value.startsWith(SEALED_PREFIX);

const MAX_CACHED_TEXT = 64 * 1024;
const MAX_CACHE_CHARS = 8 * 1024 * 1024;

function remember(ring: Keyring, sealed: string, text: string): void {
  if (ring.openedChars + text.length > MAX_CACHE_CHARS) {
    ring.opened.clear();
    ring.openedChars = 0;
  }
  ring.opened.set(sealed, text);
  ring.openedChars += text.length + sealed.length;
}

/** Seals one value's JSON text with the ring's current key. */
export function sealText(ring: Keyring, text: string): string {
  const key = ring.current;
  if (!key) throw keyError("No current encryption key is set (WAYPOINT_ENCRYPTION_KEY).");
  const hit = ring.cache.get(text);
  if (hit !== undefined) return hit;
  const bytes = Buffer.from(text, "utf8"); // encoded once for both passes
  const iv = createHmac("sha256", key.siv).update(bytes).digest().subarray(0, 12);
  const cipher = createCipheriv("aes-256-gcm", key.enc, iv);
  const body = Buffer.concat([iv, cipher.update(bytes), cipher.final(), cipher.getAuthTag()]);
  const sealed = SEALED_PREFIX + key.id + ":" + body.toString("base64url");
  if (text.length <= MAX_CACHED_TEXT) {
    if (ring.cacheChars + text.length > MAX_CACHE_CHARS) {
      ring.cache.clear();
      ring.cacheChars = 0;
    }
    ring.cache.set(text, sealed);
    ring.cacheChars += text.length + sealed.length;
    // What this process just wrote is what it reads next (the run's next load, the saved copy it returns).
    remember(ring, sealed, text);
  }
  return sealed;
}

/** The value a sealed string holds (parsed). `ring` null: encryption is not configured, which is an error here. */
export const openSealed = (ring: Keyring | null, sealed: string): unknown => JSON.parse(openText(ring, sealed)) as unknown;

/** The JSON text a sealed string holds (what `sealText` was given): re-sealing it needs no parse. */
export function openText(ring: Keyring | null, sealed: string): string {
  const hit = ring?.opened.get(sealed);
  if (hit !== undefined) return hit;
  const id = sealedKeyId(sealed) ?? "";
  const key = ring?.byId.get(id);
  if (!key) {
    throw keyError(
      ring === null
        ? `Stored state is encrypted (key ${id}) but no encryption key is configured: set WAYPOINT_ENCRYPTION_KEY (or list the key in WAYPOINT_ENCRYPTION_KEYS_OLD).`
        : `Stored state is encrypted with key ${id}, which is neither WAYPOINT_ENCRYPTION_KEY nor one of WAYPOINT_ENCRYPTION_KEYS_OLD.`,
      { keyId: id },
    );
  }
  const body = Buffer.from(sealed.slice(SEALED_PREFIX.length + id.length + 1), "base64url");
  if (body.length < 28) throw keyError(`A stored encrypted value (key ${id}) is truncated.`, { keyId: id });
  let text: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.enc, body.subarray(0, 12));
    decipher.setAuthTag(body.subarray(body.length - 16));
    text = decipher.update(body.subarray(12, body.length - 16), undefined, "utf8") + decipher.final("utf8");
  } catch {
    throw keyError(`A stored encrypted value (key ${id}) does not decrypt: the key is wrong or the value was changed.`, { keyId: id });
  }
  if (text.length <= MAX_CACHED_TEXT) remember(ring!, sealed, text);
  return text;
}

/** Seals a value (undefined stays undefined: it has no JSON, as a store would drop it). */
export function sealValue(ring: Keyring, value: unknown): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new WaypointError("INVALID_ARGUMENT", `Checkpoint is not JSON-serialisable: ${(e as Error).message}`);
  }
  return text === undefined ? undefined : sealText(ring, text);
}

/** An item of a list: JSON writes undefined items as null, so they seal as null. */
export const sealItem = (ring: Keyring, item: unknown): string => sealValue(ring, item) ?? sealText(ring, "null");

export const openValue = (ring: Keyring | null, value: unknown): unknown => (isSealed(value) ? openSealed(ring, value) : value);
