"""Browser check: Swagger UI at /api/docs/ draws the API under the CSP, with no violation in the console."""

import os

import pytest
from django.urls import reverse

from ces.accounts.tests.factories import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_api_docs_draw_without_breaking_the_content_security_policy(page, live_server, coordinator):
    from playwright.sync_api import expect

    console = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(live_server.url + reverse("account_login"))
    page.locator("input[name=login]").fill(coordinator.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(live_server.url + reverse("accounts:home"))

    page.goto(live_server.url + reverse("api-docs"))

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CES Operaciones API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert [line for line in console if "Content Security Policy" in line or line.startswith("error")] == []
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # our stylesheet applies


def test_every_page_names_the_icon_and_the_icon_is_served(page, live_server):
    page.goto(live_server.url + reverse("account_login"))
    icon = page.locator("link[rel=icon]").get_attribute("href")

    response = page.request.get(live_server.url + "/favicon.ico")

    assert response.ok
    assert response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert response.url.endswith(icon)
