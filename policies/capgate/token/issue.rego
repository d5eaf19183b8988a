# METADATA
# title: token.issue
# description: >-
#   May a token be issued, for how long, and is MFA required and satisfied?
#   The package document is the answer: allow, reasons, ttl_seconds, mfa.
# entrypoint: true
package capgate.token.issue

import data.capgate.lib

default allow := false

allow if {
	lib.user_known
	count(reasons) == 0
}

reasons contains "unknown_tenant" if not lib.tenant_known

reasons contains "unknown_user" if {
	lib.tenant_known
	not lib.user_known
}

reasons contains "mfa_required" if {
	lib.user_known
	lib.mfa_required
	not lib.request_mfa_satisfied
}

reasons contains "mfa_enrollment_required" if {
	lib.user_known
	lib.mfa_required
	not lib.request_mfa_satisfied
	not lib.mfa_enrolled
}

# The request's TTL, or the tenant's limit when none was asked for, never above the limit.
ttl_seconds := min({lib.requested_ttl_seconds, lib.max_token_ttl_seconds}) if lib.user_known

mfa := {
	"required": lib.mfa_required,
	"satisfied": lib.request_mfa_satisfied,
	"enrolled": lib.mfa_enrolled,
	"methods": lib.enrolled_methods,
} if lib.user_known
