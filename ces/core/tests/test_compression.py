import gzip

from django.urls import reverse


def test_a_page_is_sent_compressed_to_a_browser_that_accepts_gzip(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("clinics:clinic-list"), headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b"</html>" in gzip.decompress(response.content)


def test_a_client_that_does_not_accept_gzip_gets_plain_html(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("clinics:clinic-list"))
    assert "Content-Encoding" not in response
    assert b"</html>" in response.content
