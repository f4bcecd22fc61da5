"""The load mix for bench/load.py: signed-in people reading the usual pages and saving activities."""
import random
import re

from locust import HttpUser, between, task

TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')
COMPANY = re.compile(r'/crm/companies/(\d+)"')
WORDS = ["ром", "гран", "вект", "альф", "тех", "строй", "мир", "ООО"]


class Person(HttpUser):
    """One signed-in person (the demo admin sees every page) with a short pause between clicks."""

    wait_time = between(0, 0.05)

    def on_start(self):
        page = self.client.get("/login", name="sign-in page").text
        token = next(g for m in TOKEN.finditer(page) for g in m.groups() if g)
        self.client.post("/login", {"csrf_token": token, "email": "admin@demo.local", "password": "demo12345"},
                         name="sign in")
        listing = self.client.get("/crm/companies", name="companies list").text
        self.token = next(g for m in TOKEN.finditer(listing) for g in m.groups() if g)
        self.companies = [int(c) for c in COMPANY.findall(listing)] or [1]
        self.max_id = max(self.companies)

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def companies(self):
        page = random.randint(1, 50)
        self.client.get(f"/crm/companies?page={page}", name="companies list")

    @task(4)
    def company(self):
        cid = random.randint(1, self.max_id * 50)
        with self.client.get(f"/crm/companies/{cid}", name="company page", catch_response=True) as r:
            if r.status_code == 404:  # a gap in the ids (a merged or deleted record) is not an error
                r.success()

    @task(2)
    def search(self):
        self.client.get(f"/crm/search?q={random.choice(WORDS)}", name="search")

    @task(1)
    def analysis(self):
        self.client.get("/promotion/analysis", name="promotion analysis")

    @task(1)
    def boards(self):
        self.client.get("/workflows/", name="workflow boards")

    @task(1)
    def activity(self):
        cid = random.choice(self.companies)
        self.client.post(f"/crm/companies/{cid}/activities",
                         {"kind": "call", "occurred_at": "2026-12-01T10:00", "subject": "Звонок (нагрузка)",
                          "outcome": "", "contact_id": "", "deal_id": ""},
                         headers={"X-CSRFToken": self.token, "HX-Request": "true"}, name="save an activity")
