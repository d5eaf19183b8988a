// The sign-in page: an admin token (or, where OIDC is configured, a bearer JWT
// from the identity provider) pasted once; the server keeps it with the session.
import { FieldError, Layout } from "./layout.js";

export function SignInPage(props: { error?: string | undefined; flash?: string | undefined }) {
  return (
    <Layout title="Sign in" principal={null} flash={props.flash}>
      <form method="post" action="/admin/sign-in" class="setting" autocomplete="off">
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          required
          minlength={10}
          maxlength={8192}
          spellcheck={false}
          autocomplete="off"
          aria-invalid={props.error === undefined ? undefined : "true"}
          aria-describedby={props.error === undefined ? "token-hint" : "token-error token-hint"}
        />
        <FieldError id="token-error" message={props.error} />
        <p class="hint" id="token-hint">
          A token from <code>capgate admin token create</code>, or a bearer token from your identity provider.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
