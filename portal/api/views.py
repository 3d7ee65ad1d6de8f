"""Saved views through the API: an agent's own named ticket filters, each with its live count."""
from ..services import saved_views
from . import schemas as s
from . import serializers as out
from .core import operation, whole_list_meta

TAG = "Saved views"


@operation("GET", "/views", tag=TAG, summary="List your saved views (agents)", response=s.SavedViewList,
           errors=(403,))
def list_views(actor):
    """Your views in side-bar order, each with how many tickets it matches right now; nobody else's."""
    views = saved_views.list_views(actor)
    return s.SavedViewList(data=[out.saved_view(v) for v in views], meta=whole_list_meta(views))


@operation("POST", "/views", tag=TAG, summary="Save a view (agents)", body=s.SavedViewCreate,
           response=s.SavedViewResponse, status=201, errors=(403,))
def create_view(actor, body):
    """A named set of GET /tickets filters, last in your side bar. Names are unique among your views; you can keep
    at most 30."""
    view = saved_views.create_view(actor, body.name, body.filters.model_dump(exclude_none=True))
    return s.SavedViewResponse(data=out.saved_view(view))


@operation("PATCH", "/views/{view_id}", tag=TAG, summary="Rename a view or change its filters (agents)",
           body=s.SavedViewUpdate, response=s.SavedViewResponse, errors=(403,))
def update_view(actor, view_id, body):
    """Only what is sent changes; `filters` replaces them all. Another agent's view is a 404."""
    filters = body.filters.model_dump(exclude_none=True) if body.filters is not None else None
    view = saved_views.update_view(actor, view_id, name=body.name, filters=filters)
    return s.SavedViewResponse(data=out.saved_view(view))


@operation("DELETE", "/views/{view_id}", tag=TAG, summary="Delete a view (agents)", status=204, errors=(403,))
def delete_view(actor, view_id):
    """The view leaves your side bar; the tickets it matched are untouched. Another agent's view is a 404."""
    saved_views.delete_view(actor, view_id)
