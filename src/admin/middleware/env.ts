// What the admin middleware leaves on the request context for the routes.
import type { Principal } from "../principal.js";

export interface AdminEnv {
  Variables: {
    requestId: string;
    /** Set by the authentication middleware on every /admin/v1 route. */
    principal: Principal;
    /** What onError answered, for the service log's line about the refusal. */
    refusal: { code: string; message: string };
  };
}
