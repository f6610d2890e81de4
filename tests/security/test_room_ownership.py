"""A group room with members always has an owner. The last owner once could leave, after
which nobody could ever change a role there again; leaving (POST leave, or DELETE of
oneself), stepping down (PATCH of one's own role) and any mix of them by two owners at
once must keep one. The last member may leave whatever their role."""

from __future__ import annotations

import threading

import pytest

from parley_client import add_member, assert_error, create_room, join

LAST_OWNER = ("the last owner cannot leave or step down while the room has other members; "
              "make another member owner first")


def members(server, token, room_id) -> dict:
    st, js = server.api("GET", f"/rooms/{room_id}", token=token)
    assert st == 200, js
    return {m["user_id"]: m["role"] for m in js["members"]}


def set_role(server, token, room_id, user_id, role):
    return server.api("PATCH", f"/rooms/{room_id}/members/{user_id}", {"role": role}, token=token)


def check_last_owner(resp) -> None:
    assert_error(resp, 409, "conflict")
    assert resp[1]["error"]["message"] == LAST_OWNER, resp


LEAVES = {
    "leave": lambda server, tok, room, me: server.api("POST", f"/rooms/{room}/leave", token=tok),
    "remove_self": lambda server, tok, room, me: server.api(
        "DELETE", f"/rooms/{room}/members/{me}", token=tok),
    "step_down_admin": lambda server, tok, room, me: set_role(server, tok, room, me, "admin"),
    "step_down_member": lambda server, tok, room, me: set_role(server, tok, room, me, "member"),
}


@pytest.fixture
def trio(server, users):
    a, au = users("owner")
    b, bu = users("admin")
    c, cu = users("member")
    return server, (a, au), (b, bu), (c, cu)


@pytest.mark.parametrize("public", [True, False], ids=["public", "private"])
@pytest.mark.parametrize("how", sorted(LEAVES))
def test_the_last_owner_cannot_go(trio, how, public):
    server, (a, au), (b, bu), (c, cu) = trio
    room = create_room(server, a, "kept", public=public)["id"]
    add_member(server, a, room, bu["username"])
    add_member(server, a, room, cu["username"])
    assert set_role(server, a, room, bu["id"], "admin")[0] == 200
    before = members(server, a, room)
    check_last_owner(LEAVES[how](server, a, room, au["id"]))
    assert members(server, a, room) == before  # nothing changed
    # ... and the owner can still do what only an owner can
    assert set_role(server, a, room, cu["id"], "admin")[0] == 200


@pytest.mark.parametrize("how", ["leave", "remove_self"])
def test_the_last_member_may_leave_whatever_their_role(server, users, how):
    a, au = users("alone")
    room = create_room(server, a, "solo", public=False)["id"]
    st, js = LEAVES[how](server, a, room, au["id"])
    assert st == 204, js
    assert_error(server.api("GET", f"/rooms/{room}", token=a), 404, "not_found")


@pytest.mark.parametrize("how", ["step_down_admin", "step_down_member"])
def test_the_sole_member_cannot_step_down_either(server, users, how):
    """Alone, stepping down would leave a room with a member and no owner."""
    a, au = users("alone")
    room = create_room(server, a, "solo", public=False)["id"]
    check_last_owner(LEAVES[how](server, a, room, au["id"]))
    assert members(server, a, room) == {au["id"]: "owner"}


@pytest.mark.parametrize("how", sorted(LEAVES))
def test_ownership_is_handed_on_first(trio, how):
    server, (a, au), (b, bu), (c, cu) = trio
    room = create_room(server, a, "handover", public=False)["id"]
    add_member(server, a, room, bu["username"])
    add_member(server, a, room, cu["username"])
    st, js = set_role(server, a, room, bu["id"], "owner")
    assert st == 200 and js["member"]["role"] == "owner", js
    st, js = LEAVES[how](server, a, room, au["id"])
    assert st in (200, 204), js
    # the new owner runs the room ...
    st, js = set_role(server, b, room, cu["id"], "admin")
    assert st == 200, js
    # ... and is now the last owner in turn
    check_last_owner(LEAVES[how](server, b, room, bu["id"]))


def test_owners_change_only_their_own_role_and_lower_ones(trio):
    server, (a, au), (b, bu), (c, cu) = trio
    room = create_room(server, a, "co-owned", public=True)["id"]
    join(server, b, room)
    join(server, c, room)
    assert set_role(server, a, room, bu["id"], "owner")[0] == 200
    # another owner is nobody's to demote or remove
    assert_error(set_role(server, b, room, au["id"], "member"), 403, "forbidden")
    assert_error(server.api("DELETE", f"/rooms/{room}/members/{au['id']}", token=b), 403, "forbidden")
    # admins and members make nobody an owner, themselves included
    assert set_role(server, a, room, cu["id"], "admin")[0] == 200
    assert_error(set_role(server, c, room, cu["id"], "owner"), 403, "forbidden")
    assert_error(set_role(server, c, room, au["id"], "member"), 403, "forbidden")
    assert_error(server.api("DELETE", f"/rooms/{room}/members/{au['id']}", token=c), 403, "forbidden")
    # an owner with a co-owner may step down
    st, js = set_role(server, a, room, au["id"], "admin")
    assert st == 200 and js["member"]["role"] == "admin", js
    assert members(server, b, room) == {au["id"]: "admin", bu["id"]: "owner", cu["id"]: "admin"}
    assert_error(set_role(server, a, room, cu["id"], "member"), 403, "forbidden")
    # bad roles are refused before anything is looked at
    assert_error(set_role(server, b, room, cu["id"], "king"), 400, "bad_request")
    assert_error(set_role(server, b, room, cu["id"], "Owner"), 400, "bad_request")


def test_direct_rooms_have_no_owner_and_cannot_be_left(server, users):
    a, au = users("dma")
    b, bu = users("dmb")
    st, js = server.api("POST", "/direct", {"username": bu["username"]}, token=a)
    assert st == 200
    rid = js["room"]["id"]
    assert_error(server.api("POST", f"/rooms/{rid}/leave", token=a), 403, "forbidden")
    assert_error(set_role(server, a, rid, au["id"], "owner"), 403, "forbidden")
    assert set(members(server, a, rid).values()) == {"member"}


@pytest.mark.timeout_s(60)
@pytest.mark.parametrize("first,second", [("leave", "leave"), ("leave", "step_down_member"),
                                          ("step_down_admin", "remove_self")])
def test_two_owners_going_at_once_leave_one(trio, first, second):
    """The check is made in the transaction of the change, not before it: of two owners
    going at the same moment exactly one goes, on both backends."""
    server, (a, au), (b, bu), (c, cu) = trio
    for _ in range(6):
        room = create_room(server, a, "race", public=False)["id"]
        add_member(server, a, room, bu["username"])
        add_member(server, a, room, cu["username"])
        assert set_role(server, a, room, bu["id"], "owner")[0] == 200
        answers = {}
        start = threading.Barrier(2)

        def go(name, how, tok, uid):
            start.wait(timeout=10)
            answers[name] = LEAVES[how](server, tok, room, uid)

        threads = [threading.Thread(target=go, args=("a", first, a, au["id"])),
                   threading.Thread(target=go, args=("b", second, b, bu["id"]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        statuses = sorted(answers[k][0] for k in ("a", "b"))
        assert 409 in statuses and statuses != [409, 409], answers
        roles = members(server, c, room)
        assert list(roles.values()).count("owner") == 1, roles
