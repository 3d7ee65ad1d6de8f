"""Categories and their intake fields: anyone reads the categories with the questions they may answer; admins
change both."""
from ..services import intake_fields, tickets
from . import schemas as s
from . import serializers as out
from .core import OPTIONAL, PUBLIC, operation, whole_list_meta

TAG = "Categories"


def _category(actor, row):
    intake_fields.categories_with_fields(actor, [row])
    return s.CategoryResponse(data=out.category(row))


@operation("GET", "/categories", tag=TAG, summary="List ticket categories with their questions",
           response=s.CategoryList, auth=PUBLIC)
def list_categories(actor):
    """The categories a ticket can be filed under, in display order; use the slug in `category`.

    Each carries its questions (`fields`): answer them in `fields` when filing (POST /tickets, POST /contact).
    Without a token, or as a customer, only the questions customers see are listed; staff get every one.
    """
    rows = intake_fields.categories_with_fields(actor, tickets.categories())
    return s.CategoryList(data=[out.category(c) for c in rows], meta=whole_list_meta(rows))


@operation("POST", "/categories", tag=TAG, summary="Create a category (admins)", body=s.CategoryCreate,
           response=s.CategoryResponse, status=201, errors=(403,))
def create_category(actor, body):
    """A new active category, last in the list. The slug is made from the name when left out; a taken slug is
    422 at `body.slug`."""
    row = intake_fields.create_category(actor, body.name, body.slug, body.description)
    return _category(actor, row)


@operation("PATCH", "/categories/{slug}", tag=TAG, summary="Change a category (admins)", body=s.CategoryUpdate,
           response=s.CategoryResponse, errors=(403,))
def update_category(actor, slug, body):
    """Only the fields sent change; the slug never does. `active: false` keeps the category on its tickets but out
    of the forms."""
    row = intake_fields.update_category(actor, slug, **body.model_dump(exclude_unset=True))
    return _category(actor, row)


@operation("DELETE", "/categories/{slug}", tag=TAG, summary="Delete a category (admins)", status=204,
           errors=(403, 409))
def delete_category(actor, slug):
    """The category and its questions go. While a ticket (the trash included) or an SLA policy uses it: 409, and
    deactivating it (PATCH `active: false`) is the way."""
    intake_fields.delete_category(actor, slug)


@operation("GET", "/categories/{slug}/fields", tag=TAG, summary="List a category's questions",
           response=s.CategoryFieldList, auth=OPTIONAL)
def list_fields(actor, slug):
    """In order. Staff get every question of any category; others only the ones customers see, of active
    categories."""
    rows = intake_fields.list_fields(actor, slug)
    return s.CategoryFieldList(data=[out.category_field(f) for f in rows], meta=whole_list_meta(rows))


@operation("POST", "/categories/{slug}/fields", tag=TAG, summary="Add a question to a category (admins)",
           body=s.CategoryFieldCreate, response=s.CategoryFieldResponse, status=201, errors=(403,))
def create_field(actor, slug, body):
    """A new question, last unless `position` says otherwise. A `select` needs at least one option; a key the
    category already has is 422 at `body.key`."""
    row = intake_fields.create_field(actor, slug, **body.model_dump(exclude_unset=True))
    return s.CategoryFieldResponse(data=out.category_field(row))


@operation("PATCH", "/categories/{slug}/fields/{key}", tag=TAG, summary="Change a question (admins)",
           body=s.CategoryFieldUpdate, response=s.CategoryFieldResponse, errors=(403,))
def update_field(actor, slug, key, body):
    """Only the fields sent change; the key never does. Answers already given stay as they are."""
    row = intake_fields.update_field(actor, slug, key, **body.model_dump(exclude_unset=True))
    return s.CategoryFieldResponse(data=out.category_field(row))


@operation("DELETE", "/categories/{slug}/fields/{key}", tag=TAG, summary="Remove a question (admins)", status=204,
           errors=(403,))
def delete_field(actor, slug, key):
    """New tickets no longer ask it; answers already given stop showing."""
    intake_fields.delete_field(actor, slug, key)
