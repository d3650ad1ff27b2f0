/**
 * Re-encryption in place (`npx waypoint reencrypt`): the backend-neutral core. A `Resealer` takes a stored
 * row's parts as a backend keeps them — state JSON text, ops text (delta-format.ts), metadata, interrupts,
 * pending writes — and returns them with every sealed value moved to the ring's current key, and every value
 * written in clear (before a key was set) sealed. It touches exactly the positions encrypted.ts seals, the same
 * way (a list channel item by item, a write's value like the channel it wrote, failed attempts' messages,
 * free-form metadata values; CLEAR_METADATA keys stay in clear), so:
 * - a row's result is what the encrypted wrapper would have written for its content under the current key
 *   (sealing is deterministic), and an already current value is left byte for byte: a second run changes
 *   nothing;
 * - delta rows stay consistent with their bases whichever of the two was re-sealed first: ops act per channel
 *   and per list item, each item opens on its own, and "w"/"l" ops read the row's own (re-sealed) writes.
 * Ids, versions, parent links, timestamps, summaries and every structure are left exactly as they were.
 * A sealed value no key of the ring opens is the ring's ENCRYPTION_KEY error, nothing is written for its row.
 */
import { WaypointError } from "../errors";
import { isSealed, openText, sealedKeyId, sealText, sealValue, type Keyring } from "./crypto";
import { isPackedWrite, unpackWrite } from "./compress";
import { decodeOps, encodeOps } from "./delta-format";
import { CLEAR_METADATA } from "./encrypted";

export interface ResealCounts {
  /** Values sealed with an old key, now sealed with the current one. */
  resealed: number;
  /** Values found in clear (written before a key was set), now sealed. */
  encrypted: number;
  /** Values already sealed with the current key (left as they were). */
  current: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Own property, also for "__proto__" (a channel or metadata key may be called that). */
function put(o: Obj, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

export class Resealer {
  readonly counts: ResealCounts = { resealed: 0, encrypted: 0, current: 0 };
  private readonly keyId: string;

  constructor(private readonly ring: Keyring) {
    if (!ring.current)
      throw new WaypointError(
        "ENCRYPTION_KEY",
        "No current encryption key is set: put the key to re-encrypt with in WAYPOINT_ENCRYPTION_KEY (and the old ones in WAYPOINT_ENCRYPTION_KEYS_OLD).",
      );
    this.keyId = ring.current.id;
  }

  /** Values changed so far (re-sealed or encrypted): compare before and after a row to know whether it changed. */
  get changed(): number {
    return this.counts.resealed + this.counts.encrypted;
  }

  /** One sealed-or-clear value position. */
  value(v: unknown): unknown {
    if (v === undefined) return v;
    if (isSealed(v)) {
      if (sealedKeyId(v) === this.keyId) {
        this.counts.current++;
        return v;
      }
      const text = openText(this.ring, v);
      this.counts.resealed++;
      return sealText(this.ring, text);
    }
    this.counts.encrypted++;
    return sealValue(this.ring, v);
  }

  /** A value as a channel holds it: a list item by item, anything else whole. */
  channel(v: unknown): unknown {
    return Array.isArray(v) ? v.map((item: unknown) => this.value(item ?? null)) : this.value(v);
  }

  state(state: unknown): unknown {
    if (!isObj(state)) return state;
    const out: Obj = {};
    for (const k of Object.keys(state)) put(out, k, this.channel(state[k]));
    return out;
  }

  stateText(text: string | null): string | null {
    return text ? JSON.stringify(this.state(JSON.parse(text))) : text;
  }

  /** A delta's ops text: appended items and set values re-sealed; "w"/"l" ops follow the row's own writes. */
  opsText(id: string, text: string | null): string | null {
    if (!text) return text;
    const ops = decodeOps(id, text).map((op) => {
      if (op.kind === "a") return { ...op, payload: JSON.stringify((JSON.parse(op.payload) as unknown[]).map((i) => this.value(i ?? null))) };
      if (op.kind === "s") return { ...op, payload: JSON.stringify(this.channel(JSON.parse(op.payload))) };
      return op;
    });
    return encodeOps(ops);
  }

  metadata(m: unknown): unknown {
    if (!isObj(m)) return m;
    const out: Obj = {};
    for (const k of Object.keys(m)) {
      const v = m[k];
      if (k === "writes" && Array.isArray(v))
        // A compressed write (compress.ts) is sealed as its value: sealed values are stored uncompressed.
        out.writes = v.map((w: unknown) => (isObj(w) ? ((u) => ({ ...u, value: this.channel(u.value) }))(isPackedWrite(w) ? unpackWrite(w) : w) : w));
      else if (k === "failedAttempts" && Array.isArray(v))
        out.failedAttempts = v.map((a: unknown) => (isObj(a) && "message" in a ? { ...a, message: this.value(a.message) } : a));
      else put(out, k, CLEAR_METADATA.has(k) ? v : this.value(v));
    }
    return out;
  }

  /** Interrupts, pending writes and task writes: each entry's `value`. */
  values(list: unknown): unknown {
    return Array.isArray(list) ? list.map((x: unknown) => (isObj(x) ? { ...x, value: this.value(x.value) } : x)) : list;
  }

  /** A JSON text of metadata / a values list, re-sealed (null stays null). */
  metadataText(text: string | null): string | null {
    return text === null ? null : JSON.stringify(this.metadata(JSON.parse(text)));
  }
  valuesText(text: string | null): string | null {
    return text === null ? null : JSON.stringify(this.values(JSON.parse(text)));
  }
}
