import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded documents go to a folder of the test's own, never into the worktree's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
