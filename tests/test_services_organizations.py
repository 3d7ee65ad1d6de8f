"""Organizations: admins manage them, verified addresses join by domain, and a sharing organization's members see and
answer each other's tickets (and nobody else does)."""
import io

import pytest

from portal.models import Organization, Ticket, User
from portal.services import accounts, attachments, organizations, ratings, tickets
from portal.services.errors import NotFound, PermissionDenied, ValidationError
from portal.services.permissions import KeyHolder, can_see_ticket

from .conftest import make_user


def fresh(user):
    return User.get_by_id(user.id)


@pytest.fixture
def acme(admin):
    return organizations.create_organization(admin, "Acme", ["acme.com"], shared_tickets=True)


# ---------------------------------------------------------------------------------------------------- admin CRUD


def test_admin_creates_an_organization_with_clean_domains(admin):
    org = organizations.create_organization(admin, "  Acme   Corp ", "ACME.com, @acme.co.uk\nacme.com",
                                            shared_tickets=False)
    assert org.name == "Acme Corp"
    assert org.domain_list == ["acme.com", "acme.co.uk"]
    assert org.member_count == 0 and org.shared_tickets is False


@pytest.mark.parametrize("name, domains, field", [
    ("", [], "name"),
    ("x" * 121, [], "name"),
    ("Acme", ["not a domain"], "domains"),
    ("Acme", ["acme"], "domains"),
    ("Acme", ["-acme.com"], "domains"),
    ("Acme", ["user@acme.com"], "domains"),
])
def test_invalid_fields_are_named(admin, name, domains, field):
    with pytest.raises(ValidationError) as error:
        organizations.create_organization(admin, name, domains)
    assert field in error.value.errors
    assert Organization.select().count() == 0


def test_a_domain_belongs_to_one_organization(admin, acme):
    with pytest.raises(ValidationError) as error:
        organizations.create_organization(admin, "Copycat", ["ACME.com"])
    assert error.value.errors["domains"] == "acme.com already belongs to Acme."
    # A longer domain that merely contains it is another domain.
    other = organizations.create_organization(admin, "Notacme", ["notacme.com"])
    with pytest.raises(ValidationError):
        organizations.update_organization(admin, other.id, domains=["notacme.com", "acme.com"])
    # Keeping its own domains is no conflict.
    assert organizations.update_organization(admin, acme.id, domains=["acme.com"]).domain_list == ["acme.com"]


def test_agents_read_but_only_admins_write(agent, admin, acme, customer):
    assert organizations.get_organization(agent, acme.id).name == "Acme"
    assert [o.name for o in organizations.list_organizations(agent, "acme").items] == ["Acme"]
    for change in (lambda: organizations.create_organization(agent, "Other", []),
                   lambda: organizations.update_organization(agent, acme.id, name="X"),
                   lambda: organizations.delete_organization(agent, acme.id)):
        with pytest.raises(PermissionDenied):
            change()
    with pytest.raises(PermissionDenied):
        organizations.get_organization(customer, acme.id)
    with pytest.raises(NotFound):
        organizations.get_organization(agent, 999)


def test_list_searches_names_and_domains_and_counts_members(agent, admin, acme):
    organizations.create_organization(admin, "Globex", ["globex.com"])
    make_user("customer", "one@acme.com")
    make_user("customer", "two@acme.com")
    page = organizations.list_organizations(agent)
    assert [(o.name, o.member_count) for o in page.items] == [("Acme", 2), ("Globex", 0)]
    assert [o.name for o in organizations.list_organizations(agent, "globex.c").items] == ["Globex"]


def test_delete_keeps_members_and_tickets(admin, acme):
    member = make_user("customer", "mia@acme.com")
    ticket = tickets.create_ticket(member, "Printer", "Broken")
    organizations.delete_organization(admin, acme.id)
    assert fresh(member).organization_id is None
    assert Ticket.get_by_id(ticket.id).organization_id is None
    assert can_see_ticket(fresh(member), Ticket.get_by_id(ticket.id))


# ----------------------------------------------------------------------------------------------------- membership


def test_verified_addresses_join_by_domain_and_unverified_never(acme):
    verified = make_user("customer", "vera@acme.com")
    unverified = make_user("customer", "uma@acme.com", verified=False)
    elsewhere = make_user("customer", "vera@elsewhere.com")
    lookalike = make_user("customer", "lou@notacme.com")
    assert fresh(verified).organization_id == acme.id
    assert fresh(unverified).organization_id is None
    assert fresh(elsewhere).organization_id is None
    assert fresh(lookalike).organization_id is None


def test_verifying_the_address_joins(app, acme):
    with app.test_request_context():
        user = accounts.register("nia@acme.com", "Nia Newcomer", "long-password")
        assert fresh(user).organization_id is None
        accounts.verify_email(accounts.verification_token(user))
    assert fresh(user).organization_id == acme.id


def test_a_new_domain_adopts_verified_customers_already_there(admin):
    early = make_user("customer", "early@initech.com")
    org = organizations.create_organization(admin, "Initech", ["initech.com"])
    assert fresh(early).organization_id == org.id
    assert org.member_count == 1


def test_staff_never_join(acme):
    assert fresh(make_user("agent", "staff@acme.com")).organization_id is None


def test_agent_moves_a_customer_and_their_tickets(agent, admin, acme, customer):
    old = tickets.create_ticket(customer, "Invoice missing", "Where is it?")
    organizations.set_organization(agent, customer.id, acme.id)
    assert fresh(customer).organization_id == acme.id
    assert Ticket.get_by_id(old.id).organization_id == acme.id
    organizations.set_organization(agent, customer.id, None)
    assert Ticket.get_by_id(old.id).organization_id is None
    with pytest.raises(NotFound):
        organizations.set_organization(agent, agent.id, acme.id)
    with pytest.raises(NotFound):
        organizations.set_organization(agent, customer.id, 999)
    with pytest.raises(PermissionDenied):
        organizations.set_organization(customer, customer.id, acme.id)


def test_new_tickets_take_the_customers_organization(acme):
    member = make_user("customer", "max@acme.com")
    assert tickets.create_ticket(member, "Hello there", "Question").organization_id == acme.id
    ticket, _ = tickets.submit_contact("Max", "max@acme.com", "By the form", "Another question")
    assert ticket.organization_id == acme.id
    guest, _ = tickets.submit_contact("Gus Guest", "gus@acme.com", "Guest question", "Hi")
    assert guest.organization_id is None


# ----------------------------------------------------------------------------------------------------- visibility


@pytest.fixture
def people(admin, agent, acme):
    """The filer, a co-member, an unverified same-domain user, a member of another organization and an outsider."""
    globex = organizations.create_organization(admin, "Globex", ["globex.com"], shared_tickets=True)
    return {
        "owner": make_user("customer", "olga@acme.com", "Olga Owner"),
        "member": make_user("customer", "mo@acme.com", "Mo Member"),
        "unverified": make_user("customer", "uri@acme.com", verified=False),
        "other_org": make_user("customer", "gil@globex.com"),
        "outsider": make_user("customer", "out@elsewhere.com"),
        "agent": agent,
        "admin": admin,
        "acme": acme,
        "globex": globex,
    }


def visible_ids(actor, **filters):
    return [t.id for t in tickets.list_tickets(actor, tickets.TicketFilter(**filters)).items]


def test_members_of_a_sharing_organization_see_and_answer_each_others_tickets(people):
    ticket = tickets.create_ticket(people["owner"], "Printer on fire", "Smells of toner.")
    member = people["member"]
    assert visible_ids(member) == [ticket.id]
    assert tickets.count_tickets(member, tickets.TicketFilter()) == 1
    assert visible_ids(member, search="toner") == [ticket.id]
    assert tickets.get_ticket(member, ticket.id).organization.name == "Acme"
    tickets.reply(member, ticket.id, "Mine too, since Monday.")
    assert Ticket.get_by_id(ticket.id).message_count == 2
    # Reading or answering as a co-member does not mark the filer's thread read, nor rate for them.
    tickets.update_ticket(people["agent"], ticket.id, status="resolved")
    with pytest.raises(PermissionDenied):
        ratings.rate(member, ticket.id, "good")


@pytest.mark.parametrize("who", ["unverified", "other_org", "outsider"])
def test_everyone_else_gets_not_found(people, who):
    ticket = tickets.create_ticket(people["owner"], "Printer on fire", "Smells of toner.")
    actor = people[who]
    assert visible_ids(actor) == [] and visible_ids(actor, search="toner") == []
    with pytest.raises(NotFound):
        tickets.get_ticket(actor, ticket.id)
    with pytest.raises(NotFound):
        tickets.reply(actor, ticket.id, "Let me in")


def test_turning_sharing_off_hides_them_at_once(people):
    ticket = tickets.create_ticket(people["owner"], "Printer on fire", "Smells of toner.")
    mine = tickets.create_ticket(people["member"], "My own", "Just mine.")
    organizations.update_organization(people["admin"], people["acme"].id, shared_tickets=False)
    member = people["member"]
    assert visible_ids(member) == [mine.id]
    assert visible_ids(member, search="toner") == []
    with pytest.raises(NotFound):
        tickets.get_ticket(member, ticket.id)
    assert tickets.get_ticket(people["owner"], ticket.id).id == ticket.id


def test_leaving_takes_the_tickets_along(people):
    ticket = tickets.create_ticket(people["owner"], "Printer on fire", "Smells of toner.")
    organizations.set_organization(people["agent"], people["owner"].id, people["globex"].id)
    assert visible_ids(people["member"]) == []
    assert visible_ids(people["other_org"], search="toner") == [ticket.id]


def test_mine_and_organization_filters(people):
    theirs = tickets.create_ticket(people["owner"], "Printer on fire", "Smells of toner.")
    mine = tickets.create_ticket(people["member"], "My own toner", "Just mine.")
    member = people["member"]
    assert visible_ids(member, mine=True) == [mine.id]
    assert visible_ids(member, mine=True, search="toner") == [mine.id]
    assert sorted(visible_ids(member, organization_id=people["acme"].id)) == sorted([theirs.id, mine.id])
    assert visible_ids(member, organization_id=people["globex"].id) == []
    assert sorted(visible_ids(people["agent"], organization_id=people["acme"].id, search="toner")) == sorted(
        [theirs.id, mine.id])


def test_attachments_follow_the_ticket(people):
    owner = people["owner"]
    upload = attachments.upload(owner, io.BytesIO(b"log"), "log.txt", "text/plain")
    tickets.create_ticket(owner, "Printer on fire", "See the log.", attachment_ids=[upload.id])
    assert attachments.get_for_download(people["member"], upload.id)[0].id == upload.id
    for who in ("unverified", "other_org", "outsider"):
        with pytest.raises(NotFound):
            attachments.get_for_download(people[who], upload.id)
    organizations.update_organization(people["admin"], people["acme"].id, shared_tickets=False)
    with pytest.raises(NotFound):
        attachments.get_for_download(people["member"], upload.id)


def test_a_private_link_opens_only_its_ticket(people):
    ticket = tickets.create_ticket(people["owner"], "Printer on fire", "Smells of toner.")
    other, _ = tickets.submit_contact("Mo", "mo@acme.com", "Another one", "Hello")
    holder = KeyHolder(Ticket.get_by_id(other.id))
    assert not can_see_ticket(holder, Ticket.get_by_id(ticket.id))


def test_list_loads_organizations_without_extra_queries(people, count_queries):
    for n in range(5):
        tickets.create_ticket(people["owner"], f"Ticket number {n}", "Body")
    tickets.create_ticket(people["outsider"], "Alone", "Body")
    with count_queries() as few:
        tickets.list_tickets(people["agent"], tickets.TicketFilter(), limit=2)
    with count_queries() as many:
        page = tickets.list_tickets(people["agent"], tickets.TicketFilter(), limit=6)
        names = [t.organization.name if t.organization_id else None for t in page.items]
    assert many.count == few.count
    assert names.count("Acme") == 5
