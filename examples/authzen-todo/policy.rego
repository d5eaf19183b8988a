# The AuthZEN interop "todo" scenario as a capgate policy: who may read users
# and todos, create todos, and update or delete them (their own, or anyone's).
# Users and their roles are bundle data (users/data.json, roles/data.json).
package authzen

# METADATA
# description: "One AuthZEN evaluation (input holds subject, action, resource, context)."
# entrypoint: true
default decision := false

decision if {
	some role in user.roles
	input.action.name in data.roles[role].any
}

decision if {
	some role in user.roles
	input.action.name in data.roles[role].own
	owner == input.subject.id
}

# METADATA
# description: "A boxcar of evaluations in one call (input.evaluations), used by capgate for execute_all."
# entrypoint: true
evaluations := [d | some r in input.evaluations; d := decision with input as r]

user := data.users[input.subject.id]

# The owner as AuthZEN 1.0 carries it (resource.properties) or as the interop's
# published decisions do (beside the resource's id).
owner := object.get(object.get(input.resource, "properties", {}), "ownerID", object.get(input.resource, "ownerID", null))
