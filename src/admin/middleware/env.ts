// What the admin middleware leaves on the request context for the routes.
import type { Principal } from "../principal.js";

export interface AdminEnv {
  Variables: {
    requestId: string;
    /** Set by the authentication middleware on every /admin/v1 route. */
    principal: Principal;
  };
}
