"""Write ``astria_widgets/contract/snapshots/*.json`` from the example answers of the docs.

Usage (from the repository root; the docs are a git repository of astriaai/astria-docs, a
clone or a bare mirror)::

    python tools/contract/build_snapshots.py --docs PATH/TO/astria-docs [--rev main]

For each page in :data:`PAGES` it takes the first code block after the page's ``#### Response``
heading, reads it as JSON (the docs' ``// comments`` are dropped), and keeps its shape only
(field names and JSON types, ``astria_widgets.contract.snapshots.shape_of``), with the page,
the commit and the endpoints it documents. A ``#### Response`` that is a status line without a
body is kept as ``"shape": null`` when the page says there is no content (likes, themes); the
tune delete page's bare ``200 OK`` says nothing of a body and is left out.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from astria_widgets.contract.snapshots import SNAPSHOT_DIR, shape_of  # noqa: E402

#: snapshot name -> (docs page, endpoints it documents, True when the answer has no body)
PAGES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "tune_create": ("docs/api/0-tune/1-create.md", ("POST /tunes",), False),
    "tune_retrieve": ("docs/api/0-tune/2-retrieve.md", ("GET /tunes/{id}",), False),
    "tune_list": ("docs/api/0-tune/4-list.md", ("GET /tunes",), False),
    "prompt_create": ("docs/api/1-prompt/1-create.md", ("POST /tunes/{tune_id}/prompts",),
                      False),
    "prompt_retrieve": ("docs/api/1-prompt/2-retrieve.md",
                        ("GET /tunes/{tune_id}/prompts/{id}", "GET /prompts/{id}"), False),
    "prompt_duplicate": ("docs/api/1-prompt/3-duplicate.md", ("POST /prompts/{id}/duplicate",),
                         False),
    "prompt_list": ("docs/api/1-prompt/4-list.md",
                    ("GET /tunes/{tune_id}/prompts", "GET /prompts"), False),
    "prompt_delete": ("docs/api/1-prompt/5-delete.md",
                      ("DELETE /prompts/{id}", "DELETE /tunes/{tune_id}/prompts/{id}"), False),
    "pack_list": ("docs/api/2-pack/1-list.md", ("GET /packs", "GET /gallery/packs"), False),
    "pack_get": ("docs/api/2-pack/2-get.md", ("GET /p/{pack}",), False),
    "pack_tune_create": ("docs/api/2-pack/2-tunes/0-create.md", ("POST /p/{pack}/tunes",),
                         False),
    "like_create": ("docs/api/3-like/0-create.md", ("POST /prompts/{id}/likes",), True),
    "images_inspect": ("docs/api/4-images/1-inspect.md", ("POST /images/inspect",), False),
    "theme_create": ("docs/api/5-themes/1-create.md", ("POST /themes",), True),
}
_BLOCK = re.compile(r"####\s+Response\s*\n+```[a-z]*\n(.*?)\n```", re.S)
_STATUS = re.compile(r"####\s+Response\s*\n+(.+)")


def strip_comments(text: str) -> str:
    """JSON text without ``// ...`` comments (``//`` inside strings, as in URLs, is kept)."""
    out = []
    for line in text.splitlines():
        in_string = escaped = False
        cut = len(line)
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif line.startswith("//", index):
                cut = index
                break
        out.append(line[:cut].rstrip())
    return "\n".join(out)


def read_page(docs: Path, rev: str, page: str) -> str:
    """A page's text at ``rev`` of the docs repository (a clone or a bare mirror)."""
    return subprocess.run(["git", "--git-dir", str(_git_dir(docs)), "show", f"{rev}:{page}"],
                          check=True, capture_output=True, text=True).stdout


def _git_dir(docs: Path) -> Path:
    return docs / ".git" if (docs / ".git").exists() else docs


def main(argv: list[str] | None = None) -> int:
    """Write the snapshot files; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, required=True, help="astriaai/astria-docs git repo")
    parser.add_argument("--rev", default="HEAD", help="the docs revision to read (default HEAD)")
    parser.add_argument("--out", type=Path, default=SNAPSHOT_DIR)
    args = parser.parse_args(argv)
    commit = subprocess.run(["git", "--git-dir", str(_git_dir(args.docs)), "rev-parse",
                             args.rev], check=True, capture_output=True,
                            text=True).stdout.strip()[:8]
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (page, endpoints, no_body) in PAGES.items():
        text = read_page(args.docs, args.rev, page)
        source = f"astriaai/astria-docs {page} at {commit}: the example under '#### Response'"
        if no_body:
            status = _STATUS.search(text)
            shape = None
            source += f" ({status.group(1).strip().strip('`') if status else 'no body'})"
        else:
            block = _BLOCK.search(text)
            if block is None:
                print(f"{page}: no JSON example found", file=sys.stderr)
                return 1
            shape = shape_of(json.loads(strip_comments(block.group(1))))
        record = {"source": source, "endpoints": list(endpoints), "shape": shape}
        (args.out / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n",
                                               encoding="utf-8")
        print(f"{name}: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
