// The shape of a tenant or user id in every request body the sidecar takes
// (decisions, AuthZEN, TOTP), so all routes refuse the same ids the same way.
import { z } from "zod";

/**
 * A tenant or user id as every route takes it. The primary is PostgreSQL, whose text
 * cannot hold NUL: such an id names nobody, and asking the primary for it is an error there.
 */
export const principalId = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => !s.includes("\u0000"), "must not contain a NUL character");
