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

# RFC 7519 NumericDate: seconds since the epoch. No issuer writes a date past
# the year 9999, and arithmetic on 1e308 would make any lifetime look short.
max_numeric_date := 253402300799

time_claim_ok(name) if {
	v := lib.token_claims[name]
	is_number(v)
	v >= 0
	v <= max_numeric_date
}

# exp and iat are required; nbf is checked when present (null is not absent).
reasons contains "invalid_token" if {
	input.token.verified == true
	some name in ["exp", "iat"]
	not time_claim_ok(name)
}

reasons contains "invalid_token" if {
	input.token.verified == true
	"nbf" in object.keys(lib.token_claims)
	not time_claim_ok("nbf")
}

# A token issued in the future (beyond the clock tolerance) was not issued by a
# sound issuer; its lifetime cannot be judged from it.
reasons contains "invalid_token" if {
	time_claim_ok("iat")
	lib.token_claims.iat - lib.clock_tolerance_seconds > lib.now_seconds
}

# A token naming another tenant is not acceptable here, whatever its signature.
reasons contains "tenant_mismatch" if {
	input.token.verified == true
	lib.token_claims.tenant_id != input.request.tenant_id
}

reasons contains "expired" if {
	time_claim_ok("exp")
	lib.token_claims.exp + lib.clock_tolerance_seconds < lib.now_seconds
}

reasons contains "not_yet_valid" if {
	time_claim_ok("nbf")
	lib.token_claims.nbf - lib.clock_tolerance_seconds > lib.now_seconds
}

# The tenant's limit applies to tokens issued before it was lowered, too.
reasons contains "ttl_exceeds_limit" if {
	lib.tenant_known
	time_claim_ok("exp")
	time_claim_ok("iat")
	lib.token_claims.exp - lib.token_claims.iat > lib.max_token_ttl_seconds
}

reasons contains "mfa_required" if {
	lib.tenant_known
	input.token.verified == true
	lib.mfa_required
	count(lib.mfa_presented(object.get(lib.token_claims, "amr", []))) == 0
}
