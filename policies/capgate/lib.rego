# Facts shared by every capgate decision, derived from what the sidecar gathered
# from the replica into input.tenant, input.user and input.defaults. The sidecar
# passes facts as they are stored; every rule about what they mean lives here.
package capgate.lib

# Authentication methods that count as a second factor. "totp" is capgate's own
# name; the others are the RFC 8176 `amr` values a token may carry.
mfa_methods := {"totp", "otp", "mfa", "hwk", "swk", "sms", "webauthn"}

# The value of a capability for the tenant: the tenant's own row, else the
# catalog default, else undefined.
capability(key) := input.tenant.capabilities[key]

capability(key) := input.defaults[key] if not input.tenant.capabilities[key]

default max_token_ttl_seconds := 3600

max_token_ttl_seconds := capability("max_token_ttl").seconds

tenant_known if is_object(input.tenant)

user_known if {
	is_object(input.user)
	input.user.tenant_id == input.tenant.id
}

default mfa_required := false

mfa_required if capability("mfa").required == true

# The MFA methods (capabilities such as totp) the user is enrolled in. The `mfa`
# capability itself records enrollment in MFA as a whole, not a method.
enrolled_methods contains method if {
	some method, state in input.user.capabilities
	method in mfa_methods - {"mfa"}
	state.status == "enrolled"
}

default mfa_enrolled := false

mfa_enrolled if input.user.capabilities.mfa.status == "enrolled"

mfa_enrolled if count(enrolled_methods) > 0

# Methods presented (request auth methods or token amr) that are MFA methods.
mfa_presented(methods) := {m | some m in methods; m in mfa_methods}

requested_ttl_seconds := input.request.requested_ttl_seconds

requested_ttl_seconds := max_token_ttl_seconds if not input.request.requested_ttl_seconds

default request_mfa_satisfied := false

request_mfa_satisfied if count(mfa_presented(object.get(input.request, ["auth", "methods"], []))) > 0

# The claims of a presented token whose signature the sidecar verified.
token_claims := input.token.claims if input.token.verified == true

now_seconds := time.now_ns() / 1000000000

default clock_tolerance_seconds := 0

clock_tolerance_seconds := input.config.clock_tolerance_seconds
