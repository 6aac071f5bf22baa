"""Checks that a page opened in Chromium requests nothing outside its own file."""

#: URL schemes a self-contained report may load (its own file, inline images and fonts).
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def watch_requests(page) -> list[str]:
    """Every URL the page requests from now on (append-only list)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def assert_offline(urls: list[str], html_path) -> None:
    """A report is self-contained: no request leaves the file (no CDN script, font or
    image; the README promises reports that read offline)."""
    remote = sorted({u for u in urls if not u.startswith(LOCAL_SCHEMES)})
    assert not remote, f"{html_path}: requests leave the file: {remote[:5]}"
