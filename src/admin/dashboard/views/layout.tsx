// The page frame every dashboard page shares: the document head (the
// stylesheet and htmx, both served by this server), the navigation, who is
// signed in, and a flash message. htmx boosts links and forms so a page change
// swaps the body without a reload; with scripting off they work as plain HTML.
import type { Child } from "hono/jsx";
import type { Principal } from "../../principal.js";

/**
 * htmx settings: no injected <style> and no `style` attribute copied while settling
 * (the CSP allows neither), no eval, 4xx pages swapped in (they carry the field errors).
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  attributesToSettle: ["class", "width", "height"],
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4..", swap: true, error: false },
    { code: "...", swap: false, error: true },
  ],
});

export interface Frame {
  title: string;
  principal: Principal | null;
  csrf?: string | undefined;
  /** Which navigation entry is the current page. */
  section?: "tenants" | "rollouts" | "audit" | "fleet" | undefined;
  flash?: string | undefined;
}

const NAV: ReadonlyArray<readonly [NonNullable<Frame["section"]>, string, string]> = [
  ["tenants", "/admin/tenants", "Tenants"],
  ["rollouts", "/admin/rollouts", "Rollouts"],
  ["audit", "/admin/audit", "Audit"],
  ["fleet", "/admin/fleet", "Fleet"],
];

export function Layout(props: Frame & { children?: Child }) {
  const p = props.principal;
  const nav = p === null ? [] : NAV.filter(([s]) => p.tenantId === null || s === "tenants" || s === "audit");
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${props.title} · capgate admin`}</title>
        <link rel="stylesheet" href="/admin/assets/dashboard.css" />
        <script src="/admin/assets/htmx.min.js" defer></script>
      </head>
      <body hx-boost="true" hx-headers={props.csrf === undefined ? undefined : JSON.stringify({ "X-CSRF-Token": props.csrf })}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <span class="brand">capgate admin</span>
          {nav.length > 0 && (
            <nav aria-label="Sections">
              <ul>
                {nav.map(([section, href, label]) => (
                  <li>
                    <a href={href} aria-current={props.section === section ? "page" : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {p !== null && (
            <form method="post" action="/admin/sign-out" class="who">
              <span>
                {p.actor} <span class="role">({p.role}{p.tenantId === null ? "" : ` of ${p.tenantId}`})</span>
              </span>
              <CsrfField csrf={props.csrf} />
              <button type="submit" class="secondary">Sign out</button>
            </form>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.flash !== undefined && (
            <p class="flash" role="status">
              {props.flash}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function CsrfField(props: { csrf: string | undefined }) {
  return props.csrf === undefined ? null : <input type="hidden" name="_csrf" value={props.csrf} />;
}

/** An error shown next to a field, and referenced by it through aria-describedby. */
export function FieldError(props: { id: string; message: string | undefined }) {
  return props.message === undefined ? null : (
    <p class="field-error" id={props.id} role="alert">
      {props.message}
    </p>
  );
}

/** The link to a list's next page, when there is one (every list pages by cursor). */
export function NextPage(props: { href: string | null; label: string }) {
  return props.href === null ? null : (
    <p>
      <a rel="next" href={props.href}>
        {props.label}
      </a>
    </p>
  );
}

export function ErrorPage(props: { principal: Principal | null; csrf?: string | undefined; status: number; message: string }) {
  return (
    <Layout title={props.status === 403 ? "Not allowed" : props.status === 404 ? "Not found" : "Refused"} principal={props.principal} csrf={props.csrf}>
      <p class="error-text" role="alert">
        {props.message}
      </p>
      <p>
        <a href="/admin/tenants">Back to the tenants</a>
      </p>
    </Layout>
  );
}
