# METADATA
# title: token.validate
# description: >-
#   Is a presented token still acceptable for the tenant? The sidecar checks the
#   signature with jose and passes the verified claims in input.token; lifetime,
#   TTL limit and MFA rules are decided here.
# entrypoint: true
package capgate.token.validate

import data.capgate.lib

default allow := false

allow if {
	lib.tenant_known
	count(reasons) == 0
}

reasons contains "unknown_tenant" if not lib.tenant_known

reasons contains "invalid_token" if not input.token.verified == true

reasons contains "invalid_token" if {
	input.token.verified == true
	not is_number(lib.token_claims.exp)
}

reasons contains "invalid_token" if {
	input.token.verified == true
	not is_number(lib.token_claims.iat)
}

# A token naming another tenant is not acceptable here, whatever its signature.
reasons contains "tenant_mismatch" if {
	input.token.verified == true
	lib.token_claims.tenant_id != input.request.tenant_id
}

reasons contains "expired" if {
	input.token.verified == true
	lib.token_claims.exp + lib.clock_tolerance_seconds < lib.now_seconds
}

reasons contains "not_yet_valid" if {
	input.token.verified == true
	lib.token_claims.nbf - lib.clock_tolerance_seconds > lib.now_seconds
}

# The tenant's limit applies to tokens issued before it was lowered, too.
reasons contains "ttl_exceeds_limit" if {
	lib.tenant_known
	input.token.verified == true
	lib.token_claims.exp - lib.token_claims.iat > lib.max_token_ttl_seconds
}

reasons contains "mfa_required" if {
	lib.tenant_known
	input.token.verified == true
	lib.mfa_required
	count(lib.mfa_presented(object.get(lib.token_claims, "amr", []))) == 0
}
