"""``astria-widgets download --expiring`` in a real process against a sandbox of its own.

Sandbox tunes expire 30 days after training, so ``--days 31`` takes every trained tune and
``--days 7`` none, on any date: no expectation derives from today's date.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from astria_widgets.client import AstriaClient
from astria_widgets.commands.download import prompts_of_tune
from astria_widgets.sandbox import Sandbox

SCRIPT = Path(sys.executable).with_name("astria-widgets")
PORTRAITS = sorted((Path(__file__).resolve().parents[1] / "notebooks" / "images").glob("*.jpg"))


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASTRIA_API_KEY", "ASTRIA_BASE_URL")}
    env["ASTRIA_SANDBOX_DIR"] = str(data_dir)
    return subprocess.run([str(SCRIPT), "download", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_download_expiring_saves_the_images_of_expiring_tunes(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    with Sandbox(data_dir=data_dir, speed=600) as sb:
        client = AstriaClient(sb.api_key, sb.url, sandbox=True)
        photos = [str(p) for p in PORTRAITS[:2]]
        own = client.create_tune(name="dog", branch="fast", images=photos, title="own",
                                 prompts=[{"text": "ohwx dog", "num_images": 2}])
        face = client.create_tune(name="man", model_type="faceid", images=photos[:1],
                                  title="face")  # trained at once; prompts on a base tune
        on_base = client.create_prompt(1504944, f"<faceid:{face['id']}:1> man, portrait")
        kept = client.create_tune(name="cat", branch="fast", images=photos, title="kept",
                                  auto_extend=True, prompts=["ohwx cat"])
        for tune in (own, face, kept):
            client.wait_for_tune(tune["id"], timeout=60)
        for prompt in [*client.list_prompts(own["id"]), *client.list_prompts(kept["id"]),
                       on_base]:
            client.wait_for_prompt(None, prompt["id"], timeout=60)

        none = run(data_dir, "--expiring", "--dest", str(tmp_path / "none"))
        assert none.returncode == 0, none.stderr
        assert "No tune expires within 7 days: nothing to save." in none.stdout
        assert not (tmp_path / "none").exists()

        dest = tmp_path / "saved"
        result = run(data_dir, "--expiring", "--days", "31", "--dest", str(dest))
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in dest.iterdir()) == sorted(
            [f"tune-{face['id']}", f"tune-{own['id']}"])  # not the auto-extended one
        own_files = sorted((dest / f"tune-{own['id']}").iterdir())
        assert len(own_files) == 2
        for path in [*own_files, *(dest / f"tune-{face['id']}").iterdir()]:
            Image.open(path).verify()  # real images, not error pages
        assert "Saved files: 3" in result.stdout

        again = run(data_dir, "--expiring", "--days", "31", "--zip", "--dest", str(dest))
        assert again.returncode == 0, again.stderr
        assert (dest / f"tune-{own['id']}.zip").is_file()


def test_prompts_of_a_tune_include_the_ones_referencing_it():
    prompts = [{"id": 1, "tune_id": 7, "text": "ohwx man"},
               {"id": 2, "tune_id": 1504944, "text": "<lora:7:1> ohwx man"},
               {"id": 3, "tune_id": 1504944, "text": "<faceid:70:1> man"},
               {"id": 4, "tune_id": 8, "text": "<lora:9:0.5> <faceid:7:1>"}]
    assert [p["id"] for p in prompts_of_tune(prompts, 7)] == [1, 2, 4]


def test_usage_errors(tmp_path: Path) -> None:
    missing = run(tmp_path, "--dest", str(tmp_path))
    assert missing.returncode == 2 and "--expiring" in missing.stderr
    bad = run(tmp_path, "--expiring", "--days", "0")
    assert bad.returncode == 2 and "--days: must be a positive number of days" in bad.stderr
