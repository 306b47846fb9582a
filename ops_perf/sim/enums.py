"""OPS's own vocabularies: roles, statuses, agreement types and reasons, and the fake-auth test users.

Why a module of its own: the generator draws rows from these and the renderers serve them (the
lookups, role objects, status totals), so both sides must agree on one copy; neither needs the
other to get it.
"""

from __future__ import annotations

#: The seven fake-auth test users OPS enables on local, dev and stg, with the role each one plays.
TEST_USERS: dict[str, tuple[str, str, list[str]]] = {
    "system_owner": ("System", "Owner", ["SYSTEM_OWNER", "USER_ADMIN"]),
    "basic_user": ("Basic", "User", ["VIEWER_EDITOR"]),
    "division_director": ("Director", "Derrek", ["VIEWER_EDITOR", "REVIEWER_APPROVER"]),
    "budget_team": ("Budget", "Team", ["VIEWER_EDITOR", "BUDGET_TEAM"]),
    "procurement_team": ("Procurement", "Team", ["VIEWER_EDITOR", "PROCUREMENT_TEAM"]),
    "power_user": ("Power", "User", ["SUPER_USER"]),
    "read_only_user": ("Read", "Only", ["READ_ONLY"]),
}

ROLES = (
    "SYSTEM_OWNER",
    "VIEWER_EDITOR",
    "REVIEWER_APPROVER",
    "USER_ADMIN",
    "BUDGET_TEAM",
    "PROCUREMENT_TEAM",
    "SUPER_USER",
    "READ_ONLY",
)
BLI_STATUSES = ("DRAFT", "PLANNED", "IN_EXECUTION", "OBLIGATED")
AGREEMENT_TYPES = ("CONTRACT", "GRANT", "DIRECT_OBLIGATION", "IAA", "AA")
AGREEMENT_REASONS = ("NEW_REQ", "RECOMPETE", "LOGICAL_FOLLOW_ON")
PORTFOLIO_STATUSES = ("IN_PROCESS", "NOT_STARTED", "SANDBOX")
RESEARCH_TYPES = {"APPLIED_RESEARCH": 1, "EVALUATIVE_RESEARCH": 2, "PROGRAM_SUPPORT": 3}
