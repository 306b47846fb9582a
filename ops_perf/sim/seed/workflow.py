"""What people do with the portfolio: procurement actions and trackers (six steps), change requests, notifications.

Why a module of its own: these link to agreements and budget lines as they are at the end (the
heavy agreement included) and to users: the tracker tab looks up who did each step, and every test
user has notifications for the header's poll.
"""

from __future__ import annotations

import random
from datetime import date

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import TEST_USERS
from ops_perf.sim.seed.common import Tables, day, new_ids, stamp


def add_procurement(rng: random.Random, t: Tables) -> None:
    """`procurement_actions`, `procurement_trackers`, `procurement_tracker_steps` for contract-like agreements."""
    agreements, blis = t["agreements"], t["budget_line_items"]
    user_ids = [u["id"] for u in t["users"]]
    actions: list[Row] = []
    trackers: list[Row] = []
    steps: list[Row] = []
    action_ids = iter(new_ids(rng, 1, 60, 3))
    tracker_ids = iter(new_ids(rng, 1, 60, 3))
    step_ids = iter(new_ids(rng, 1, 60 * 6, 2))
    step_types = ("ACQUISITION_PLANNING", "PRE_SOLICITATION", "SOLICITATION", "EVALUATION", "PRE_AWARD", "AWARD")
    for agreement in agreements:
        if agreement["agreement_type"] not in ("CONTRACT", "AA", "IAA"):
            continue
        if rng.random() < 0.85:
            tracker_id = next(tracker_ids)
            active = rng.randint(1, 6)
            trackers.append(
                {
                    "id": tracker_id,
                    "agreement_id": agreement["id"],
                    "active_step_number": active,
                    "status": "ACTIVE" if active < 6 else "COMPLETED",
                    "tracker_type": "DEFAULT",
                }
            )
            for number, step_type in enumerate(step_types, start=1):
                started = day(rng, date(2024, 1, 1), 500) if number <= active else None
                steps.append(
                    {
                        "id": next(step_ids),
                        "procurement_tracker_id": tracker_id,
                        "agreement_id": agreement["id"],
                        "step_number": number,
                        "step_type": step_type,
                        "status": "COMPLETED" if number < active else ("ACTIVE" if number == active else "PENDING"),
                        "step_start_date": started,
                        "step_completed_date": day(rng, date(2024, 6, 1), 300) if number < active else None,
                        # Who did what: the tracker tab looks these users up (users/{id}).
                        "task_completed_by": rng.choice(user_ids) if number < active else None,
                        "approval_requested_by": rng.choice(user_ids) if number >= 5 and number <= active else None,
                        "requisition_approved_by": rng.choice(user_ids) if number == 5 and number < active else None,
                    }
                )
        if rng.random() < 0.7:
            agreement_blis = [b for b in blis if b["agreement_id"] == agreement["id"]]
            actions.append(
                {
                    "id": next(action_ids),
                    "agreement_id": agreement["id"],
                    "status": rng.choice(("PLANNED", "IN_PROGRESS", "AWARDED")),
                    "award_type": rng.choice(("NEW_AWARD", "MODIFICATION")),
                    "procurement_shop_id": agreement["awarding_entity_id"],
                    "budget_line_item_ids": [b["id"] for b in agreement_blis[:4]],
                    "need_by_date": day(rng, date(2025, 1, 1), 600),
                    "psc_action_number": f"PSC-{rng.randint(10000, 99999)}",
                    "created_on": stamp(rng),
                }
            )
    t["procurement_actions"] = actions
    t["procurement_trackers"] = trackers
    t["procurement_tracker_steps"] = steps


def add_requests(rng: random.Random, t: Tables) -> None:
    """`change_requests` (on budget lines) and `notifications` (some about them, every test user some)."""
    agreements, blis = t["agreements"], t["budget_line_items"]
    user_ids = [u["id"] for u in t["users"]]
    change_requests: list[Row] = []
    for cr_id in new_ids(rng, 1, 30, 4):
        bli = rng.choice(blis)
        creator, reviewers = rng.choice(user_ids), rng.sample(user_ids, 3)
        change_requests.append(
            {
                "id": cr_id,
                "agreement_id": bli["agreement_id"],
                "budget_line_item_id": bli["id"],
                "created_by": creator,
                "reviewer_ids": reviewers,
                "user_ids": sorted({creator, *reviewers}),
                "change_request_type": "BUDGET_LINE_ITEM_CHANGE_REQUEST",
                "status": rng.choice(("IN_REVIEW", "IN_REVIEW", "APPROVED", "REJECTED")),
                "has_budget_change": True,
                "new_amount": float(rng.randint(5, 2000) * 1000),
                "created_on": stamp(rng),
            }
        )
    t["change_requests"] = change_requests
    notifications: list[Row] = []
    for i, n_id in enumerate(new_ids(rng, 1, 100, 5)):
        cr = rng.choice(change_requests) if rng.random() < 0.4 else None
        notifications.append(
            {
                "id": n_id,
                # Every test user has notifications (the header polls `notifications/?oidc_id=`).
                "recipient_id": user_ids[i % len(TEST_USERS)] if i < 3 * len(TEST_USERS) else rng.choice(user_ids),
                "agreement_id": cr["agreement_id"]
                if cr
                else (rng.choice(agreements)["id"] if rng.random() < 0.3 else None),
                "is_read": rng.random() < 0.5,
                "notification_type": "CHANGE_REQUEST_NOTIFICATION" if cr else "NOTIFICATION",
                "change_request_id": cr["id"] if cr else None,
                "title": f"Budget change request {cr['id']}" if cr else f"Notification {n_id}",
                "message": "A budget change needs your review." if cr else "Your agreement was updated.",
                "expires": day(rng, date(2026, 1, 1), 365),
                "created_on": stamp(rng),
            }
        )
    t["notifications"] = notifications
