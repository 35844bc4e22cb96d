"""Billing and admin endpoints through the real API."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.redis


def test_wallet_transactions_and_estimate(stack) -> None:
    user_id, h = stack.user(500)
    with stack.client(h) as c:
        w = c.get("/billing/wallet").json()
        assert w["balance"] == 500 and w["held"] == 0 and w["user_id"] == user_id
        assert c.get("/auth/me").json()["credits"] == 500
        est = c.post("/billing/estimate", json={"tool_id": "profile-my-data",
                                                "agents": ["score-risk", "unified-profiler"]}).json()
        assert est["agents"] == ["unified-profiler", "score-risk"]  # pipeline order, not request order
        assert est["total_cost"] == 65 and est["can_afford"] and est["shortfall"] == 0
        big = c.post("/billing/estimate", json={"tool_id": "master-my-data"}).json()
        assert big["total_cost"] == 460 and big["can_afford"]
        r = c.post("/billing/estimate", json={"tool_id": "nope"})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_TOOL_ID"
        r = c.post("/billing/estimate", json={"tool_id": "profile-my-data", "agents": ["type-fixer"]})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_AGENT"
        tx = c.get("/billing/transactions", params={"limit": 1}).json()
        assert tx["pagination"]["limit"] == 1 and len(tx["transactions"]) == 1
        assert sum(t["delta"] for t in c.get("/billing/transactions").json()["transactions"]) == 500
        assert c.get("/billing/transactions", params={"kind": "HOLD"}).json()["transactions"] == []
        assert c.get("/billing/transactions", params={"kind": "BOGUS"}).status_code == 422
        costs = {x["agent_id"]: x["cost"] for x in c.get("/billing/agent-costs").json()["agent_costs"]}
        assert costs["golden-record-builder"] == 150
    with stack.client() as anon:
        r = anon.get("/billing/wallet")
        assert r.status_code == 401 and r.json()["error_code"] == "AUTH_INVALID_TOKEN"


def test_admin_routes_need_the_admin_role(stack) -> None:
    _, h = stack.user(0)
    with stack.client(h) as c:
        for method, path, body in (("post", "/admin/credits/grant", {"user_id": "x", "amount": 5}),
                                   ("put", "/admin/agent-costs/score-risk", {"cost": 0}),
                                   ("get", "/admin/users", None)):
            r = c.request(method.upper(), path, json=body)
            assert r.status_code == 403 and r.json()["error_code"] == "AUTH_FORBIDDEN", (path, r.text)


def test_admin_grant_costs_and_users(stack) -> None:
    _, admin = stack.user(0, admin=True)
    target, th = stack.user(10)
    with stack.client(th) as c:
        email = c.get("/auth/me").json()["email"]
    with stack.client(admin) as c:
        body = {"email": email, "amount": 100, "reason": "support", "idempotency_key": f"ticket-{target}"}
        first = c.post("/admin/credits/grant", json=body).json()
        again = c.post("/admin/credits/grant", json=body).json()
        assert first["applied"] and first["balance"] == 110
        assert not again["applied"] and again["balance"] == 110  # a retried request grants once
        r = c.post("/admin/credits/grant", json={"user_id": target, "amount": -500})
        assert r.status_code == 400 and r.json()["error_code"] == "BILLING_INVALID_AMOUNT"
        r = c.post("/admin/credits/grant", json={"user_id": target, "amount": 0})
        assert r.status_code == 400 and r.json()["error_code"] == "BILLING_INVALID_AMOUNT"
        r = c.post("/admin/credits/grant", json={"user_id": target, "email": email, "amount": 1})
        assert r.status_code == 422
        r = c.post("/admin/credits/grant", json={"user_id": "no-such-user", "amount": 1})
        assert r.status_code == 404
        assert c.put("/admin/agent-costs/score-risk", json={"cost": -1}).status_code == 422
        r = c.put("/admin/agent-costs/nope", json={"cost": 1})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_AGENT"
        assert c.put("/admin/agent-costs/score-risk", json={"cost": 5}).json() == {"agent_id": "score-risk",
                                                                                   "cost": 5}
        try:
            est = c.post("/billing/estimate", json={"tool_id": "profile-my-data", "agents": ["score-risk"]}).json()
            assert est["total_cost"] == 5
        finally:
            c.put("/admin/agent-costs/score-risk", json={"cost": 35})
        users = c.get("/admin/users", params={"q": email[:8]}).json()
        assert users["pagination"]["total"] == 1
        assert users["users"][0]["balance"] == 110 and users["users"][0]["email"] == email
    with stack.client(th) as c:
        kinds = [t["kind"] for t in c.get("/billing/transactions").json()["transactions"]]
        assert kinds.count("GRANT") == 2
