"""SLA policies through the API: admins read and change the promises tickets are measured against."""
from ..services import sla_policies
from . import schemas as s
from . import serializers as out
from .core import operation, whole_list_meta

TAG = "SLA policies"


@operation("GET", "/sla-policies", tag=TAG, summary="List SLA policies (admins)", response=s.SlaPolicyList,
           errors=(403,))
def list_sla_policies(actor):
    """Every policy in match order: a new or re-prioritised ticket gets the first whose priorities and categories
    take it (an empty list takes any)."""
    policies = sla_policies.list_policies(actor)
    return s.SlaPolicyList(data=[out.sla_policy(p) for p in policies], meta=whole_list_meta(policies))


@operation("POST", "/sla-policies", tag=TAG, summary="Create an SLA policy (admins)", body=s.SlaPolicyCreate,
           response=s.SlaPolicyResponse, status=201, errors=(403,))
def create_sla_policy(actor, body):
    """A new policy, last in the match order unless `position` says otherwise. At least one of the two targets is
    needed; with `business_hours`, only working time in that time zone counts towards them."""
    policy = sla_policies.create_policy(actor, **body.model_dump())
    return s.SlaPolicyResponse(data=out.sla_policy(policy))


@operation("PATCH", "/sla-policies/{policy_id}", tag=TAG, summary="Change an SLA policy (admins)",
           body=s.SlaPolicyUpdate, response=s.SlaPolicyResponse, errors=(403,))
def update_sla_policy(actor, policy_id, body):
    """Only the fields sent change. Tickets created or re-prioritised afterwards follow the new terms."""
    policy = sla_policies.update_policy(actor, policy_id, **body.model_dump(exclude_unset=True))
    return s.SlaPolicyResponse(data=out.sla_policy(policy))


@operation("DELETE", "/sla-policies/{policy_id}", tag=TAG, summary="Delete an SLA policy (admins)", status=204,
           errors=(403,))
def delete_sla_policy(actor, policy_id):
    """The policy goes; the ones after it move up in the match order."""
    sla_policies.delete_policy(actor, policy_id)
