"""Build the example notebooks from the Python source below, run them, keep stable outputs.

Usage (from the repository root)::

    python tools/notebooks/build_notebooks.py            # rebuild and execute all the notebooks
    python tools/notebooks/build_notebooks.py 03         # only those whose name contains "03"
    python tools/notebooks/build_notebooks.py --images   # (re)draw the training images first

The notebooks are written with ``nbformat`` (deterministic cell ids, kernelspec ``python3``)
and executed with ``nbclient`` in order against one fresh sandbox started here the way
``tools/notebooks/nbval_sandbox.py`` starts it for nbval (speed 600, a seeded history of 300
tunes, no ``ASTRIA_API_KEY``), so the saved outputs are what nbval compares against. Widget state is
never stored (``store_widget_state=False``) and widget-view outputs are reduced to their
``text/plain`` repr and the static HTML copy beside it (``widgets/fallback.py``): a notebook
opened before it runs (GitHub, nbviewer, Binder) shows its tables, plots, text and the widgets'
results, and no "Error displaying widget" placeholders.

The training images in ``notebooks/images/`` are drawn with Pillow (``--images``): small,
portrait-like pictures, deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"  # where they are written
IMAGES = NOTEBOOKS_DIR / "images"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
SANDBOX_SPEED = 600.0  # as tools/notebooks/nbval_sandbox.py
SEED_HISTORY = 300

Cell = tuple[str, str]  # ("md" | "code", source)


def md(text: str) -> Cell:
    """A markdown cell."""
    return ("md", text.strip("\n"))


def code(text: str) -> Cell:
    """A code cell."""
    return ("code", text.strip("\n"))


CONNECT = code('''
from astria_widgets import connect

client = connect()  # ASTRIA_API_KEY set: the real API; otherwise the local sandbox
client
''')

# --------------------------------------------------------------------------- 01 quickstart
QUICKSTART: list[Cell] = [
    md('''
# Quickstart: from a few photos to generated images

This notebook walks through the whole loop with the plain client: connect, look at your tunes,
train a tune from a handful of photos, prompt it, wait, and look at the images.

Without `ASTRIA_API_KEY` everything runs against the **local sandbox**, a simulated Astria
server (offline, free, fast). With the key set it runs unchanged against the real API; every
tune here uses `branch="fast"`, the API's free mock mode, so running it costs nothing.
'''),
    CONNECT,
    md('''
## Your tunes

`list_tunes()` returns one page of your tunes, newest first, as plain dicts exactly as the API
sent them. A quick table of a few fields:
'''),
    code('''
import pandas as pd

tunes = client.list_tunes(limit=5)
pd.DataFrame(tunes, columns=["id", "title", "name", "branch", "model_type"]).set_index("id")
'''),
    md('''
`iter_tunes()` follows the pages for you, and `tunes_dataframe()` turns them into a typed
DataFrame (see notebook 03).

## Train a tune

Six training photos are in `images/`. Images can be paths, bytes, open files or
`(filename, bytes)` pairs; they are checked before anything is sent. `name` is the class of
the subject, and `prompts` run as soon as the tune is trained.
'''),
    code('''
from pathlib import Path

from astria_widgets import tune_status

images = sorted(Path("images").glob("*.jpg"))
print([path.name for path in images])

tune = client.create_tune(
    name="woman",
    images=images,
    prompts=[{"text": "ohwx woman as an astronaut on the moon, detailed, 8k", "num_images": 2}],
    branch="fast",  # the API's free mock mode
)
print(f"created tune {tune['id']} titled {tune['title']!r}")
print("estimated to be trained at", tune["eta"])
'''),
    md('''
Without a `title` the client gives the tune a fresh unique one: the API treats the title as an
idempotency key, so a create that is retried after a network error finds its tune instead of
making a second one.

## Wait for training

`wait_for_tune` polls at a pace set by the tune's `eta` and returns the final record. A failed
tune is a final *state*, not an exception; `tune_status()` names it.
'''),
    code('''
tune = client.wait_for_tune(tune["id"], timeout=600)
print("status:", tune_status(tune))
print("trained at", tune["trained_at"], "and kept until", tune["expires_at"])
'''),
    md('''
## Prompts and images

The prompt given at creation started as soon as the tune was trained. `wait_for_prompt` waits
until it has images (or an error):
'''),
    code('''
prompt = client.list_prompts(tune["id"])[0]
prompt = client.wait_for_prompt(tune["id"], prompt["id"], timeout=600)
print(prompt["text"])
print(len(prompt["images"]), "images")
'''),
    md('''
The images are URLs. `client.fetch_bytes()` downloads one (the key is sent to the API's own
host only), and IPython shows the bytes inline, so they are saved with the notebook:
'''),
    code('''
from IPython.display import Image, display

for url in prompt["images"][:2]:
    display(Image(data=client.fetch_bytes(url), width=256))
'''),
    md('''
More prompts can be added at any time; any documented prompt attribute can be passed
(`num_images`, `seed`, `negative_prompt`, `aspect_ratio`...).
'''),
    code('''
cafe = client.create_prompt(
    tune["id"],
    "ohwx woman reading in a cosy cafe, film grain",
    num_images=2,
    seed=42,
    aspect_ratio="2:3",
)
cafe = client.wait_for_prompt(tune["id"], cafe["id"], timeout=600)
for url in cafe["images"]:
    display(Image(data=client.fetch_bytes(url), width=200))
'''),
    md('''
## When something is wrong

Bad inputs are caught before anything is uploaded: `InputError` lists every problem, each
naming its input. Errors from the service are `AstriaError`s too (`ValidationError` with the
service's messages per field, `AuthenticationError`, `RateLimitError`...).
'''),
    code('''
from astria_widgets.client import InputError

try:
    client.create_tune(name="dog", images=[("notes.pdf", b"%PDF-1.4"), *images], branch="fast")
except InputError as error:
    for problem in error.problems:
        print(problem)
'''),
    md('''
## Where next

- `02_training_with_the_form.ipynb`: the same with a form, live progress and a gallery, and the
  `%astria` magic;
- `03_tune_history_analysis.ipynb`: your tune history as a DataFrame, with pandas and
  matplotlib;
- `04_prompts_and_packs.ipynb`: prompts across tunes, likes, and packs;
- `05_generating_with_a_trained_tune.ipynb`: `PromptStudio`, seed x cfg-scale grids,
  image-to-image, and downloading what you keep.
'''),
]

# --------------------------------------------------------------------------- 02 the form
FORM: list[Cell] = [
    md('''
# Training with the form

`TuneForm` does what notebook 01 did with code: pick the training images, fill in the fields
and prompts, press **Submit**, and watch the upload, the training, each prompt and the
generated images arrive, while the kernel stays free for other cells.

As everywhere in these notebooks, `connect()` uses the local sandbox unless `ASTRIA_API_KEY`
is set, and the tunes use `branch="fast"` (the API's free mock mode).
'''),
    CONNECT,
    md('''
## The form

Any field can be filled in up front; everything else can be typed into the form. The title
defaults to a fresh unique one (the API's idempotency key).
'''),
    code('''
from astria_widgets import TuneForm

form = TuneForm(
    client,
    name="woman",
    branch="fast",
    prompts=["ohwx woman as a renaissance oil painting"],
)
form
'''),
    md('''
A saved notebook does not keep live widgets, so on GitHub or nbviewer the cell above shows a
static copy instead: its fields, then the submission's status and small thumbnails of the
results (brought up to date when the watch ends). In JupyterLab the form looks like this
(here after a submission, with its upload and training progress and the generated images):

![TuneForm in JupyterLab after a submission](images/screenshots/tune-form.png)
'''),
    md('''
**Submit** stays disabled until the form is valid. The reason is shown beside the button, each
problem next to its field, and `form.errors` lists them all, naming the field or the file:
'''),
    code('''
form.errors
'''),
    md('''
## Training images

In the form, pick image files beside the kernel (the file chooser) or from your own computer
(the drop zone). From code, `add_images` takes paths, folders, bytes, `(name, bytes)` pairs or
open files. Every image is checked (format, size, duplicates...) and gets a thumbnail and a
report:
'''),
    code('''
from pathlib import Path

for report in form.add_images(Path("images")):
    print(f"{report.name}: {report.width}x{report.height} {report.format}, ok={report.ok}")
form.valid, form.errors
'''),
    md('''
## Submit

Press **Submit** in the form above, or call `form.submit()`. Either way it returns at once: a
background thread uploads the images (with a progress bar) and then follows the tune and its
prompts. The form shows it all live, and the gallery fills as images arrive.

`submit()` returns a handle; `handle.wait()` blocks until everything has settled and returns
the final tune record (here it keeps the notebook in step when it runs top to bottom).
'''),
    code('''
handle = form.submit()
tune = handle.wait(timeout=600)
print("status:", handle.status)
for prompt in handle.prompts:
    print(f"{prompt['text']!r}: {len(prompt['images'])} images")
print("images in the gallery:", handle.progress.gallery.count)
'''),
    md('''
Submitting again with the same title shows the same tune again instead of creating a
duplicate; change the title for a new tune. If the service refuses some values, its messages
appear next to the fields and every input is kept.

## Watching a tune created elsewhere

`watch_tune(tune_id)` shows the same live view for any tune: one created by a script, by the
`astria-widgets` command line or in the web app. Here one made with the client. In the sandbox
a title containing `[fail]` makes training fail, to show what a failure looks like (on the real
API this free tune just trains).
'''),
    code('''
from astria_widgets import watch_tune

doomed = client.create_tune(
    name="woman",
    title="Failure demo [fail]",
    images=sorted(Path("images").glob("*.jpg")),
    branch="fast",
)
progress = watch_tune(doomed["id"], client)
progress
'''),
    md('''
The view updates from a background thread; the cell above returned at once. `wait()` blocks
until the watch ends, and `stop()` stops watching (the tune goes on in the service).
'''),
    code('''
final = progress.wait(timeout=600)
print("status:", progress.status)
print("error:", final.get("error"))
'''),
    md('''
## The `%astria` magic

The extension adds one line magic with a few commands; each returns its object, so it shows
as the cell's result or can be kept in a variable.
'''),
    code('''
%load_ext astria_widgets
'''),
    code('''
%astria status
'''),
    md('''
`%astria tunes` is the history as a typed DataFrame (newest first; `--all` for every tune):
'''),
    code('''
recent = %astria tunes --limit 2
recent[["title", "name", "branch", "status"]]
'''),
    md('''
`%astria form` makes a form, `%astria watch ID` watches a tune, `%astria sandbox` switches
to the local sandbox and `%astria login` asks for a key in a password field (cleared at once,
never saved in the notebook). `%astria help` lists them all.
'''),
    code('''
form2 = %astria form name=man branch=fast prompt="ohwx man in a tailored suit, studio lighting"
form2
'''),
    code('''
%astria help watch
'''),
]

# --------------------------------------------------------------------------- 03 history
HISTORY: list[Cell] = [
    md('''
# Analysing your tune history

`tunes_dataframe()` turns every tune of the account into one typed row: timestamps as UTC
datetimes, categories for class, branch and model type, and derived columns such as `status`,
`training_duration` and `days_until_expiry`. From there it is plain pandas.

In the sandbox the account comes with a year of realistic history (300 tunes, some failed,
most expired); with `ASTRIA_API_KEY` set, the same cells analyse your own tunes.
'''),
    code('''
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

from astria_widgets import connect, tunes_dataframe

client = connect()
tunes = tunes_dataframe(client)  # every tune, all pages
'''),
    md('''
The questions below are about your history, not about what is training right now, so leave out
the last hour (the tunes the other notebooks just made, and any still in flight):
'''),
    code('''
now = pd.Timestamp.now(tz="UTC")
history = tunes[tunes["created_at"] < now - pd.Timedelta(hours=1)]
if history.empty:  # a new account: the tables and charts below stay empty
    print("no tune older than an hour yet")
else:
    print(f"{len(history)} tunes, {history['created_at'].min():%Y-%m-%d} to "
          f"{history['created_at'].max():%Y-%m-%d}")
history[["title", "name", "branch", "model_type", "status", "created_at"]].head()
'''),
    md('''
The columns are typed, so dates, durations and categories behave as such:
'''),
    code('''
history.dtypes[["name", "branch", "model_type", "created_at", "training_duration",
                "days_until_expiry", "status"]]
'''),
    code('''
history["status"].value_counts()
'''),
    md('''
## How many tunes per week?
'''),
    code('''
weekly = history.set_index("created_at").resample("W")["title"].count()
if len(weekly):
    print(f"{weekly.mean():.1f} tunes per week on average, over {len(weekly)} weeks")

fig, ax = plt.subplots(figsize=(9, 3))
ax.bar(weekly.index, weekly.to_numpy(), width=5, color="#4c72b0")
ax.set_title("Tunes created per week")
ax.set_ylabel("tunes")
fig.autofmt_xdate()
plt.show()
'''),
    md('''
## How long does training take, by branch and model type?

`training_duration` is `trained_at - started_training_at`. FaceID tunes are ready at creation,
and a missing `model_type` means a full checkpoint.
'''),
    code('''
trained = history[history["training_duration"].notna()].copy()
trained["minutes"] = trained["training_duration"].dt.total_seconds() / 60
trained["model_type"] = trained["model_type"].cat.add_categories("checkpoint").fillna("checkpoint")
trained.pivot_table(index="branch", columns="model_type", values="minutes",
                    aggfunc="median", observed=True).round(1)
'''),
    code('''
trainings = trained[trained["model_type"] != "faceid"]
branches = sorted(trainings["branch"].unique())
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.boxplot([trainings.loc[trainings["branch"] == b, "minutes"] for b in branches])
ax.set_xticks(range(1, len(branches) + 1), branches)
ax.set_ylabel("training time (minutes)")
ax.set_title("Training time by branch (FaceID excluded)")
plt.show()
'''),
    md('''
## What fails, and how often?
'''),
    code('''
failures = (history.assign(failed=history["status"] == "failed")
            .groupby("branch", observed=True)
            .agg(tunes=("failed", "size"), failed=("failed", "sum")))
failures["failure rate %"] = (100 * failures["failed"] / failures["tunes"]).round(1)
failures
'''),
    code('''
history.loc[history["status"] == "failed", "error"].value_counts()
'''),
    code('''
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(failures.index.astype(str), failures["failure rate %"], color="#c44e52")
ax.set_xlabel("failed tunes (%)")
ax.set_title("Failure rate by branch")
plt.show()
'''),
    md('''
## What expires soon?

The service deletes a tune's model and images 30 days after training, unless it is extended
(`auto_extend`). These are the trained tunes with less than a week left:
'''),
    code('''
soon = history[(history["status"] == "trained") & (history["days_until_expiry"] < 7)]
soon = soon.sort_values("days_until_expiry")
print(len(soon), "tunes expire within 7 days;", int(history["expired"].sum()), "have expired")
# (auto_extend is a field the records bring: reindex keeps the columns when there are none)
soon.assign(whole_days_left=soon["days_until_expiry"].astype(int)).reindex(
    columns=["title", "branch", "model_type", "auto_extend", "whole_days_left"])
'''),
    code('''
left = history.loc[history["status"] == "trained", "days_until_expiry"]
fig, ax = plt.subplots(figsize=(7, 2.5))
ax.hist(left, bins=range(0, 31), color="#55a868")
ax.axvline(7, color="#c44e52", linestyle="--")
ax.set_xlabel("days until expiry")
ax.set_ylabel("tunes")
ax.set_title("Trained tunes by days left")
plt.show()
'''),
    md('''
## Where the money went

`spend_dataframe(client)` is one row per charge: each prompt (an image or a video) with the
`cost_mc` the API states for it, and each tune's training. The API states no price on a tune,
so a training is priced by what it does give: a pack order's `total_cost_mc` when the order's
answer is passed (`orders=`), else the training part of a pack's `costs` (an estimate, for
tunes on the same base model as a pack), free on `branch="fast"`, else unknown (`<NA>`, left
out of every sum). The `basis` column says which; `estimate` marks the estimates. Here the
gallery packs' details price the trainings:
'''),
    code('''
from astria_widgets import spend_dataframe
from astria_widgets.client.costs import usd
from astria_widgets.frames import spend_per_day, spend_per_model, spend_per_tune, usd_text

packs = [client.get_pack(p["id"]) for p in client.list_packs(gallery=True)]
spend = spend_dataframe(client, packs=packs)
spend = spend[spend["time"] < now - pd.Timedelta(hours=1)]  # the history, as above
estimated = spend.loc[spend["estimate"].fillna(False), "cost_mc"].sum()
print(f"{len(spend)} charges: {usd(spend['cost_mc'].sum())} in all, {usd(estimated)} of it "
      f"estimated; {int(spend['cost_mc'].isna().sum())} charges with no price")
spend.groupby("basis").size()
'''),
    code('''
daily = spend_per_day(spend)  # UTC days x kinds, in dollars
colours = {"training": "#4c72b0", "image": "#55a868", "video": "#c44e52"}
fig, (by_day, by_kind) = plt.subplots(1, 2, figsize=(11, 3.2), width_ratios=(3, 1))
bottom = pd.Series(0.0, index=daily.index)
for kind in daily.columns:
    by_day.bar(daily.index, daily[kind].to_numpy(dtype=float), bottom=bottom.to_numpy(),
               width=1, color=colours[kind], label=kind)
    bottom += daily[kind].astype(float)
by_day.set_title("Spend per day")
by_day.set_ylabel("dollars")
by_day.legend()
totals = daily.sum()
by_kind.bar(totals.index.astype(str), totals.to_numpy(dtype=float),
            color=[colours[k] for k in totals.index])
by_kind.set_title("Spend per kind")
by_kind.set_ylabel("dollars")
fig.autofmt_xdate()
plt.show()
'''),
    md('''
Per model (the base model or branch a charge ran on, or the video model) and kind; `priced`
counts the charges with a known cost:
'''),
    code('''
per_model = spend_per_model(spend)
per_model.assign(spent=usd_text(per_model["cost_mc"]))[["charges", "priced", "spent"]]
'''),
    md('''
The tunes that cost the most, training and prompts together:
'''),
    code('''
top = spend_per_tune(spend).head(5)
top.join(tunes[["title", "branch"]]).assign(spent=usd_text(top["cost_mc"]))[
    ["title", "branch", "charges", "spent"]]
'''),
    md('''
## Browsing the history

`TuneBrowser` shows the same frame as a filterable, paged table; choosing a tune shows its
details, training images and prompts. In JupyterLab it looks like this (a saved notebook keeps
a static copy: the page as text, the chosen tune and a few of its images):

![TuneBrowser in JupyterLab with a search and a selected tune](images/screenshots/tune-browser.png)

It can be driven from code too:
'''),
    code('''
from astria_widgets import TuneBrowser

browser = TuneBrowser(history, client=client, page_size=10)
browser.set_filter(status="failed")
if len(browser.filtered):  # the first failed tune, with its details
    browser.select(int(browser.filtered.index[0]))
browser
'''),
    code('''
browser.filtered[["title", "branch", "error"]].head(3)
'''),
]

# --------------------------------------------------------------------------- 04 prompts/packs
PROMPTS: list[Cell] = [
    md('''
# Prompts and packs

Prompts across all your tunes as one DataFrame, likes, and packs: curated prompt collections
that can train a tune or run on tunes you already have.

`connect()` uses the local sandbox unless `ASTRIA_API_KEY` is set; the tunes made here use
`branch="fast"` (the API's free mock mode), and the one step that would train a paid tune is
switched off on the real API (see below).
'''),
    code('''
from pathlib import Path

import pandas as pd
from IPython.display import Image, display

from astria_widgets import connect, prompts_dataframe

client = connect()
'''),
    md('''
## Every prompt as a DataFrame

`prompts_dataframe(client)` pages through all prompts of the account (`GET /prompts`). As in
notebook 03, the analysis leaves out the last hour, so it is about your history:
'''),
    code('''
prompts = prompts_dataframe(client)
now = pd.Timestamp.now(tz="UTC")
history = prompts[prompts["created_at"] < now - pd.Timedelta(hours=1)]
print(f"{len(history)} prompts on {history['tune_id'].nunique()} tunes")
history[["tune_id", "text", "num_images", "n_images", "status"]].head()
'''),
    md('''
What they produced and cost (`cost_mc` is in millicents: 100,000 mc = US$1):
'''),
    code('''
history.groupby("status", observed=True).agg(
    prompts=("text", "size"),
    images=("n_images", "sum"),
    cost_usd=("cost_mc", lambda mc: round(mc.sum() / 100_000, 2)),
)
'''),
    code('''
history.groupby("aspect_ratio", observed=True)["n_images"].agg(["count", "sum"])
'''),
    md('''
What was asked for most often (the text after the token and the class):
'''),
    code('''
history["text"].str.split(" ", n=2).str[2].value_counts().head(5)
'''),
    code('''
history.loc[history["status"] == "failed", "user_error"].value_counts()
'''),
    md('''
## A tune of your own, and likes

A free tune with two prompts (and a characteristic, which pack prompts use below), then a
like for the one to keep. The frame of just these prompts is built from the records themselves:
'''),
    code('''
images = sorted(Path("images").glob("*.jpg"))
tune = client.create_tune(
    name="woman",
    images=images,
    branch="fast",
    characteristics={"eye_color": "green eyes"},  # fills {{eye_color}} in pack prompts
    prompts=["ohwx woman as an elven queen, forest, golden hour",
             "ohwx woman in a watercolor illustration"],
)
tune = client.wait_for_tune(tune["id"], timeout=600)
mine = [client.wait_for_prompt(tune["id"], p["id"], timeout=600)
        for p in client.list_prompts(tune["id"])]
prompts_dataframe(mine)[["text", "n_images", "status", "liked"]]
'''),
    code('''
favourite = min(p["id"] for p in mine)  # the elven queen
client.like_prompt(favourite)
liked = prompts_dataframe(client.list_prompts(tune["id"]))
liked[["text", "liked", "prompt_likes_count"]]
'''),
    code('''
client.unlike_prompt(favourite)
client.get_prompt(tune["id"], favourite)["liked"]
'''),
    md('''
## Packs

The public gallery packs, and the detail of one that has prompts for our class:
'''),
    code('''
packs = sorted(client.list_packs(gallery=True), key=lambda pack: pack["id"])
pd.DataFrame(packs, columns=["id", "slug", "title", "model_type", "main_class_name"])
'''),
    code('''
pack = next(p for p in packs if "woman" in (p.get("cost_mc_hash") or {}))
detail = client.get_pack(pack["id"])
print(detail["title"], "- classes:", sorted(detail["prompts_per_class"]))
print("for 'woman':", detail["costs"]["woman"])
'''),
    md('''
### Run a pack on a tune you have

With `tune_ids`, a pack runs its prompts for the tune's class on existing tunes, without
training anything (free on a `fast` tune). The new prompts carry the pack (`base_pack_id`)
and the template they came from (`orig_prompt_id`).
'''),
    code('''
client.create_tune_from_pack(pack["id"], tune_ids=[tune["id"]])
from_pack = [p for p in client.list_prompts(tune["id"]) if p.get("base_pack_id") == pack["id"]]
from_pack = [client.wait_for_prompt(tune["id"], p["id"], timeout=600) for p in from_pack]
prompts_dataframe(from_pack)[["text", "n_images", "status"]].sort_values("text")
'''),
    code('''
first = min(from_pack, key=lambda p: p["id"])
display(Image(data=client.fetch_bytes(first["images"][0]), width=256))
'''),
    md('''
### Train a new tune from a pack

Without `tune_ids`, the pack trains a new tune on its own base model and then runs its prompts
on it. That is a paid training on the real API, so this step only runs in the sandbox unless
you set `TRAIN_FROM_PACK = True`.
'''),
    code('''
TRAIN_FROM_PACK = client.is_sandbox  # True spends credits on the real API

if TRAIN_FROM_PACK:
    packed = client.create_tune_from_pack(
        pack["id"], name="woman", images=images, characteristics={"eye_color": "blue eyes"})
    packed = client.wait_for_tune(packed["id"], timeout=900)
    print(f"{packed['branch']} {packed['model_type']} tune on base {packed['base_tune_id']}")
    packed_prompts = [client.wait_for_prompt(packed["id"], p["id"], timeout=600)
                      for p in client.list_prompts(packed["id"])]
    print(len(packed_prompts), "prompts from the pack")
    display(prompts_dataframe(packed_prompts)[["text", "n_images", "status"]].sort_values("text"))
'''),
]

# --------------------------------------------------------------------------- 05 generating
GENERATE: list[Cell] = [
    md('''
# Generating with a trained tune

A trained tune is for generating. This notebook prompts a LoRA tune with `client.generate`,
compares variations as a seed by cfg-scale grid in the `PromptStudio`, makes an image-to-image
variation of a result, and downloads everything into a folder: the service deletes generated
images 30 days after training, so downloading is how you keep them.

Without `ASTRIA_API_KEY` everything runs against the local sandbox, which trains a Flux LoRA in
a few simulated seconds for free. With the key set, the notebook uses your newest trained tune
instead of training one, and each prompt is billed (the cost is printed).
'''),
    CONNECT,
    md('''
## A trained LoRA tune
'''),
    code('''
from pathlib import Path

from astria_widgets import tune_status

if client.is_sandbox:  # a Flux LoRA from the portraits in images/ (simulated, free)
    tune = client.create_tune(name="woman", images=sorted(Path("images").glob("*.jpg")),
                              branch="flux1", model_type="lora", title="generating notebook")
    tune = client.wait_for_tune(tune["id"], timeout=900)
else:  # the real API: your newest trained tune
    tune = next(t for t in client.iter_tunes() if tune_status(t) == "trained")
{key: tune[key] for key in ("id", "name", "branch", "model_type", "token", "base_tune_id")}
'''),
    md('''
## Where the prompt runs

A LoRA (or FaceID) tune is an adapter: its prompts run on a base model, here Flux1.dev
(gallery tune 1504944), and the text references the tune as `<lora:ID:1>` followed by its token
and class. A checkpoint tune would run on itself with `TOKEN CLASS` in the text.
`plan_prompt` shows where a prompt would run and its text as it will be sent, without sending:
'''),
    code('''
plan = client.plan_prompt(tune, "portrait in a sunlit studio, 85mm")
plan.tune_id, plan.text
'''),
    md('''
`generate` does the same and creates the prompt. Every documented image parameter can be
given; values are checked before anything is sent, each message naming its parameter:
'''),
    code('''
from astria_widgets import InputError

try:
    client.generate(tune, "portrait", cfg_scale=20, inpaint_faces=True, aspect_ratio="16/9")
except InputError as error:
    print(error)
'''),
    code('''
from IPython.display import Image, display

from astria_widgets.client.costs import usd

prompt = client.generate(tune, "portrait in a sunlit studio, 85mm", seed=42, num_images=2,
                         aspect_ratio="3:4")
prompt = client.wait_for_prompt(prompt["tune_id"], prompt["id"], timeout=600)
print(prompt["text"])
print(len(prompt["images"]), "images, cost", usd(prompt["cost_mc"]))
for url in prompt["images"]:
    display(Image(data=client.fetch_bytes(url), width=240))
'''),
    md('''
## Variations: a seed by cfg-scale grid

The `PromptStudio` picks the tune (yours newest first, or a gallery model), shows the text as
it will be sent, groups the parameters, and runs a sweep: one prompt per combination, laid out
as a labelled grid. `submit` returns at once with a handle; the kernel stays free.
'''),
    code('''
from astria_widgets import PromptStudio

studio = PromptStudio(client, tune=tune["id"], text="portrait in a sunlit studio, 85mm")
run = studio.submit(sweep={"seed": [1, 2], "cfg_scale": [3, 7]})
studio
'''),
    md('''
In JupyterLab the studio looks like this once the four prompts have finished (each result
opens at full size with its seed and parameters, can be liked, used as the next input image,
and "Download all" keeps them):

![PromptStudio with a 2x2 seed by cfg_scale grid](images/screenshots/prompt-studio.png)

A saved notebook keeps no live widgets; the studio's output keeps a static copy of the grid
with small thumbnails. Here is the same grid as one larger picture, and the prompts as a
table:
'''),
    code('''
from astria_widgets import prompts_dataframe

prompts = run.wait(timeout=600)
display(Image(data=run.contact_sheet(tile=200)))
frame = prompts_dataframe(prompts)  # prompts are created 4 at a time: ids in any order
frame[["seed", "cfg_scale", "status", "n_images"]].sort_values(["seed", "cfg_scale"])
'''),
    md('''
## Image to image

A result can be the input of the next prompt: the input image (a path, bytes, an open file or a
URL, like training images) is restyled by the text, and `denoising_strength` says how far
(1 follows the text, 0 keeps the image). In the studio, "Use as input" does the same.
'''),
    code('''
start = run.images[prompts[0]["id"]][0].data
variation = client.generate(tune, "as an oil painting", input_image=start,
                            denoising_strength=0.6, seed=7)
variation = client.wait_for_prompt(variation["tune_id"], variation["id"], timeout=600)
display(Image(data=start, width=240), Image(data=client.fetch_bytes(variation["images"][0]),
                                            width=240))
'''),
    md('''
## Keep them

`download` saves every image of the given prompts as `prompt-<id>-<NN>.<ext>` (the extension
from the content type). Files already complete are skipped, so running it again only fetches
what is missing; `zip=True` writes one archive instead. Here they go to a new temporary folder,
outside the notebooks folder, so that running the example leaves nothing behind; to keep your
images, give a folder of your own, such as `Path.home() / "astria-downloads"`.
'''),
    code('''
import tempfile

folder = Path(tempfile.mkdtemp(prefix="astria-downloads-"))
kept = client.download([prompt, *prompts, variation], folder)
[path.name for path in kept]
'''),
    code('''
archive = client.download(prompts, folder / "grid.zip", zip=True)
archive.name, archive.stat().st_size > 0
'''),
]

NOTEBOOKS: dict[str, list[Cell]] = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_training_with_the_form.ipynb": FORM,
    "03_tune_history_analysis.ipynb": HISTORY,
    "04_prompts_and_packs.ipynb": PROMPTS,
    "05_generating_with_a_trained_tune.ipynb": GENERATE,
}


def build(name: str, cells: list[Cell]) -> nbformat.NotebookNode:
    """A fresh notebook of ``cells`` with deterministic cell ids and the python3 kernelspec."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    stem = name.split("_")[0]
    for index, (kind, source) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source)
        cell.id = f"nb{stem}-{index:02d}"
        nb.cells.append(cell)
    return nb


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop widget state and widget views (keeping their text/plain), and run metadata."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None and WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                output.get("metadata", {}).pop(WIDGET_VIEW, None)
    return nb


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in ``notebooks/`` (a new kernel each time), widget state off."""
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", store_widget_state=False,
        record_timing=False, resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )  # fmt: skip
    return client.execute()


def draw_portrait(rng: random.Random, size: tuple[int, int], subject: dict[str, tuple]) -> bytes:
    """A soft, portrait-like JPEG of ``subject`` (skin, hair, eyes): a new backdrop, clothes
    and framing each time, with grain."""
    import io

    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    top = tuple(rng.randint(120, 220) for _ in range(3))
    bottom = tuple(max(0, c - rng.randint(60, 110)) for c in top)
    backdrop = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), backdrop)
    draw = ImageDraw.Draw(img)
    cx = w // 2 + rng.randint(-w // 12, w // 12)
    skin, hair, iris = subject["skin"], subject["hair"], subject["iris"]
    cloth = tuple(rng.randint(20, 200) for _ in range(3))
    head_w, head_h = int(w * rng.uniform(0.30, 0.36)), int(h * rng.uniform(0.34, 0.40))
    head_top = int(h * rng.uniform(0.16, 0.22))
    draw.ellipse([cx - int(w * 0.45), int(h * 0.72), cx + int(w * 0.45), int(h * 1.25)], fill=cloth)
    draw.rectangle([cx - head_w // 5, head_top + int(head_h * 0.8), cx + head_w // 5,
                    int(h * 0.8)], fill=tuple(int(c * 0.9) for c in skin))
    draw.ellipse([cx - head_w // 2 - 18, head_top - 28, cx + head_w // 2 + 18,
                  head_top + int(head_h * 0.75)], fill=hair)
    draw.ellipse([cx - head_w // 2, head_top, cx + head_w // 2, head_top + head_h], fill=skin)
    draw.chord([cx - head_w // 2 - 6, head_top - 26, cx + head_w // 2 + 6,
                head_top + int(head_h * 0.45)], 180, 360, fill=hair)
    eye_y = head_top + int(head_h * 0.48)
    for side in (-1, 1):
        ex = cx + side * head_w // 5
        draw.ellipse([ex - 14, eye_y - 7, ex + 14, eye_y + 7], fill=(245, 245, 240))
        draw.ellipse([ex - 6, eye_y - 6, ex + 6, eye_y + 6], fill=iris)
        draw.line([ex - 18, eye_y - 20, ex + 16, eye_y - 22], fill=hair, width=5)
    nose = tuple(int(c * 0.82) for c in skin)
    draw.line([cx, eye_y + 8, cx - 6, eye_y + int(head_h * 0.2)], fill=nose, width=3)
    mouth_y = head_top + int(head_h * 0.78)
    draw.arc([cx - head_w // 7, mouth_y - 12, cx + head_w // 7, mouth_y + 10], 15, 165,
             fill=(160, 70, 70), width=4)
    img = img.filter(ImageFilter.GaussianBlur(1.6))
    grain = Image.effect_noise(size, 18).convert("RGB")
    img = Image.blend(img, grain, 0.06)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=84, optimize=True)
    return out.getvalue()


def make_images(count: int = 6, seed: int = 5) -> list[Path]:
    """Draw ``count`` training images into ``notebooks/images/`` (replacing old ones)."""
    IMAGES.mkdir(exist_ok=True)
    for old in IMAGES.glob("portrait_*.jpg"):
        old.unlink()
    rng = random.Random(seed)
    subject = {  # one person: the same face in every picture, as a training set should be
        "skin": rng.choice([(241, 204, 178), (224, 172, 140), (198, 142, 105), (141, 94, 66)]),
        "hair": rng.choice([(40, 30, 25), (95, 60, 35), (190, 150, 90), (130, 45, 25)]),
        "iris": rng.choice([(60, 40, 30), (50, 90, 140), (70, 110, 60)]),
    }
    sizes = [(576, 704), (640, 768), (512, 640), (608, 736), (576, 768), (640, 704)]
    paths = []
    for index in range(count):
        path = IMAGES / f"portrait_{index + 1:02d}.jpg"
        path.write_bytes(draw_portrait(rng, sizes[index % len(sizes)], subject))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Rebuild (and execute) the notebooks whose names contain any of the given patterns."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="build only notebooks whose name contains this")
    parser.add_argument("--images", action="store_true", help="redraw notebooks/images first")
    parser.add_argument("--no-execute", action="store_true", help="write without outputs")
    args = parser.parse_args(argv)
    if args.images or not any(IMAGES.glob("portrait_*.jpg")):
        print("drew", ", ".join(p.name for p in make_images()))
    chosen = {n: c for n, c in NOTEBOOKS.items() if not args.only or any(o in n for o in args.only)}

    from astria_widgets.sandbox import Sandbox

    os.environ.pop("ASTRIA_API_KEY", None)
    os.environ.pop("ASTRIA_BASE_URL", None)
    data_dir = Path(tempfile.mkdtemp(prefix="astria-build-"))
    sandbox = None
    if not args.no_execute:
        sandbox = Sandbox(port=0, data_dir=data_dir, speed=SANDBOX_SPEED,
                          seed_history=SEED_HISTORY)
        sandbox.start()
        os.environ["ASTRIA_SANDBOX_DIR"] = str(data_dir)
    try:
        # in order, against one sandbox: the sequence nbval runs
        for name, cells in chosen.items():
            nb = build(name, cells)
            if not args.no_execute:
                nb = execute(nb)
            nbformat.validate(clean(nb))
            nbformat.write(nb, str(NOTEBOOKS_DIR / name))
            print("wrote", name)
    finally:
        if sandbox is not None:
            sandbox.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
