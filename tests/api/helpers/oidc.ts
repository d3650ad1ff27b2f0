/**
 * A real OpenID Connect provider for the SSO tests (`oidc-provider`, the certified Node implementation), on a
 * local port, plus a tiny browser: a cookie jar and manual redirect following, so a test can walk the whole
 * authorization-code + PKCE flow with fetch, filling in the provider's own sign-in and consent forms.
 */
import http from "node:http";
import Provider from "oidc-provider";

export interface SsoUser {
  sub: string;
  email: string;
  name: string;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Requests the provider answered (method and path), to assert that the token exchange really happened. */
  seen: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startOidcProvider(opts: { port: number; redirectUris: string[]; users: SsoUser[] }): Promise<TestProvider> {
  const issuer = `http://127.0.0.1:${opts.port}`;
  const clientId = "waypoint-test";
  const clientSecret = "waypoint-test-secret-0123456789abcdef";
  const byLogin = new Map(opts.users.map((u) => [u.sub, u]));
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    async findAccount(_ctx, id) {
      const u = byLogin.get(id);
      if (!u) return undefined;
      return { accountId: id, claims: async () => ({ sub: u.sub, email: u.email, email_verified: true, name: u.name }) };
    },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    cookies: { keys: ["oidc-test-cookie-key-0123456789abcdef"] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
  });
  const seen: TestProvider["seen"] = [];
  const callback = provider.callback();
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, path: new URL(req.url!, issuer).pathname });
    callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(opts.port, "127.0.0.1", resolve));
  return {
    issuer,
    clientId,
    clientSecret,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

/** Cookies as a browser keeps them: per host (ports share cookies, as in browsers), with Path, and removal. */
export class CookieJar {
  private cookies: StoredCookie[] = [];

  store(url: URL, res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.slice(0, url.pathname.lastIndexOf("/")) || "/";
      let expired = value === "";
      for (const a of attrs) {
        const [k, v = ""] = a.split("=");
        if (/^path$/i.test(k)) path = v || "/";
        if (/^max-age$/i.test(k) && Number(v) <= 0) expired = true;
        if (/^expires$/i.test(k) && Date.parse(v) < Date.now()) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.host === url.hostname && c.path === path));
      if (!expired) this.cookies.push({ name, value, host: url.hostname, path });
    }
  }

  header(url: URL): string {
    return this.cookies
      .filter((c) => c.host === url.hostname && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : c.path + "/")))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  get(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name)?.value;
  }
}

/** A browser-like fetch: sends and stores cookies, does not follow redirects (the caller does). */
export async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const u = new URL(url);
  const headers = new Headers(init.headers);
  const cookie = jar.header(u);
  if (cookie) headers.set("cookie", cookie);
  const res = await fetch(u, { ...init, headers, redirect: "manual" });
  jar.store(u, res);
  return res;
}

/** Follows redirects (GET) from `res` until a non-redirect answer or `until(url)`; returns the last response and its URL. */
export async function follow(
  jar: CookieJar,
  res: Response,
  from: string,
  until?: (url: string) => boolean,
): Promise<{ res: Response; url: string; hops: string[] }> {
  let url = from;
  const hops: string[] = [];
  for (let i = 0; i < 20 && res.status >= 300 && res.status < 400; i++) {
    url = new URL(res.headers.get("location")!, url).toString();
    hops.push(url);
    if (until?.(url)) return { res, url, hops };
    await res.body?.cancel();
    res = await browse(jar, url);
  }
  return { res, url, hops };
}

/** The first HTML form of a page: its absolute action and its hidden inputs. */
export function formOf(html: string, pageUrl: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on ${pageUrl}:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const m of form[2].matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]+)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? "";
    if (name) fields[name] = value;
  }
  return { action: new URL(form[1].replace(/&amp;/g, "&"), pageUrl).toString(), fields };
}
