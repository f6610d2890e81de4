"""Every error code of docs/api.md's table is produced by a named integration or attack test
(issue 18: "every documented error code is reachable"). REACHED maps each code to one test
that makes the server answer it and asserts so; this file checks the map covers the table
exactly, that each test exists, and that its body names the code. A new code in docs/api.md
fails here until a test that produces it is named below."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

REACHED = {
    "bad_request": "tests/integration/test_limits.py::test_malformed_json_body_is_400",
    "bad_query": "tests/integration/test_search.py::test_every_bad_query_says_what_and_where",
    "invalid_username": "tests/integration/test_accounts.py::test_register_rejects_bad_username",
    "invalid_profile":
        "tests/integration/test_profiles.py::test_bad_patches_are_refused_and_change_nothing",
    "weak_password": "tests/integration/test_accounts.py::test_register_rejects_weak_password",
    "invalid_file":
        "tests/integration/test_files.py::test_bad_uploads_and_attachments_are_refused_and_change_nothing",
    "unauthorized": "tests/integration/test_accounts.py::test_bad_token_is_401",
    "bad_credentials":
        "tests/integration/test_accounts.py::test_login_wrong_password_and_unknown_user_same_answer",
    "account_disabled":
        "tests/integration/test_people.py::test_a_disabled_account_is_told_so_only_with_the_right_password",
    "wrong_password":
        "tests/integration/test_people.py::test_password_change_ends_the_other_sessions_and_keeps_this_one",
    "invalid_reset_link":
        "tests/integration/test_people.py::test_bad_password_change_and_reset_bodies_are_refused",
    "invalid_invite":
        "tests/integration/test_signup.py::test_unknown_revoked_and_malformed_invites_get_the_same_answer",
    "registration_closed":
        "tests/integration/test_signup.py::test_closed_refuses_even_a_valid_invite_and_bad_modes_are_refused",
    "otp_required": "tests/integration/test_2fa.py::test_enrol_then_sign_in_with_a_code",
    "invalid_otp": "tests/integration/test_2fa.py::test_the_same_code_is_refused_the_second_time",
    "forbidden": "tests/integration/test_messages.py::test_cannot_edit_or_delete_others_message",
    "not_member": "tests/integration/test_rooms.py::test_non_member_rest_is_refused",
    "origin_not_allowed":
        "tests/integration/test_accounts.py::test_cookie_auth_requires_allowed_origin_for_changes",
    "not_found": "tests/integration/test_accounts.py::test_get_user_by_name",
    "method_not_allowed":
        "tests/integration/test_limits.py::test_wrong_method_on_a_known_path_is_405_with_allow",
    "conflict": "tests/integration/test_accounts.py::test_register_duplicate_is_case_insensitive",
    "message_too_long": "tests/integration/test_messages.py::test_client_msg_id_and_text_validation",
    "payload_too_large": "tests/integration/test_limits.py::test_body_over_65536_is_413",
    "rate_limited": "tests/integration/test_limits.py::test_rest_send_rate_limited",
    "busy": "tests/security/test_upload_trickle.py::test_uploads_in_flight_are_capped_per_node",
    "unavailable":
        "tests/integration/test_files.py::test_a_blob_store_that_fails_answers_503_unavailable_and_records_nothing",
    "internal":
        "tests/integration/test_files.py::test_a_corrupted_stored_chunk_is_detected_and_never_served",
}


def documented_codes() -> list[str]:
    return re.findall(r"^\| `([a-z_]+)` \| \d{3} \|", (ROOT / "docs/api.md").read_text(), re.M)


def test_the_map_covers_docs_api_md_error_table_exactly():
    codes = documented_codes()
    assert len(codes) > 15
    assert sorted(REACHED) == sorted(codes), (
        f"documented, no test named: {sorted(set(codes) - set(REACHED))}; "
        f"named, not documented: {sorted(set(REACHED) - set(codes))}")


def body_of(file: str, name: str) -> str | None:
    src = (ROOT / file).read_text()
    m = re.search(rf"^(?:async )?def {name}\(.*?(?=^(?:async )?def |^class |^@|\Z)", src,
                  re.M | re.S)
    return m.group(0) if m else None





@pytest.mark.parametrize("code", sorted(REACHED))
def test_the_named_test_exists_and_asserts_the_code(code):
    file, name = REACHED[code].split("::")
    body = body_of(file, name)
    assert body is not None, f"{code}: {REACHED[code]} does not exist"
    assert re.search(rf"[\"']{code}[\"']", body), f"{code}: {REACHED[code]} does not name it"
