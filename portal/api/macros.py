"""Macros through the API: canned answers with field changes, and applying one to a ticket in one step."""
from ..services import macros, tickets
from . import schemas as s
from . import serializers as out
from .core import operation, whole_list_meta

TAG = "Macros"


def _actions(body):
    return body.actions.model_dump() if body.actions is not None else None


@operation("GET", "/macros", tag=TAG, summary="List macros (agents)", response=s.MacroList, errors=(403,))
def list_macros(actor):
    """The shared macros and the caller's own personal ones, by name."""
    rows = macros.list_macros(actor)
    return s.MacroList(data=[out.macro(m) for m in rows], meta=whole_list_meta(rows))


@operation("POST", "/macros", tag=TAG, summary="Create a macro (agents; shared ones: admins)", body=s.MacroCreate,
           response=s.MacroResponse, status=201, errors=(403,))
def create_macro(actor, body):
    """A personal macro, or with `shared: true` (admins only) one the whole team sees. The body may use only the
    five placeholders; an empty body makes a macro that only changes fields."""
    macro = macros.create_macro(actor, body.name, body.body, body.internal, _actions(body), body.shared)
    return s.MacroResponse(data=out.macro(macro))


@operation("PATCH", "/macros/{macro_id}", tag=TAG, summary="Change a macro", body=s.MacroUpdate,
           response=s.MacroResponse, errors=(403,))
def update_macro(actor, macro_id, body):
    """Only the fields sent change; `actions` is replaced whole. Shared macros are changed by admins only;
    someone else's personal macro is a 404."""
    changes = body.model_dump(exclude_unset=True)
    if "actions" in changes:
        changes["actions"] = _actions(body)
    macro = macros.update_macro(actor, macro_id, **changes)
    return s.MacroResponse(data=out.macro(macro))


@operation("DELETE", "/macros/{macro_id}", tag=TAG, summary="Delete a macro", status=204, errors=(403,))
def delete_macro(actor, macro_id):
    """Shared macros are deleted by admins only; someone else's personal macro is a 404."""
    macros.delete_macro(actor, macro_id)


@operation("POST", "/tickets/{ticket_id}/apply-macro", tag=TAG, summary="Apply a macro to a ticket (agents)",
           body=s.MacroApply, response=s.TicketDetailResponse, errors=(403, 409))
def apply_macro(actor, ticket_id, body):
    """Posts the macro's body with its placeholders filled (a reply, or an internal note) and makes its field
    changes, in one transaction: when one change cannot be made (say the agent it assigns to left), nothing is
    posted and the answer is 422 at `body.macro_id`."""
    ticket = macros.apply_macro(actor, ticket_id, body.macro_id, after_message_id=body.after_message_id)
    return s.TicketDetailResponse(data=out.ticket_detail(ticket, tickets.thread(actor, ticket)))
