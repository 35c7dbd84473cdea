"""The bad-input catalogue of issue 6: every case is fed to the form AND to the client.

Image cases are the 26 of ``tests/corpus.py`` (``IMAGE_CASES`` names them so that test ids
exist before the corpus bytes are built; a test checks both lists agree). Field cases are
below: each says how a user puts the bad value into a valid :class:`TuneForm` (typing into a
field, ``set_values`` or ``add_prompt``), how the form must name it, and the same value
passed to ``create_tune`` / ``create_prompt`` with how the exception must name it.

An :class:`Expect` is "the message names the input (``label``) and says what is wrong
(``keyword``, lower case)".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpus import photo

from astria_widgets.widgets import TuneForm

GALLERY_TUNE = 1504944  # the shared Flux.1 dev base tune: prompts are created on it
GOOD_PROMPT = "ohwx man, portrait"
FIX_422 = "fix the fields listed"  # the hint of every ValidationError message

IMAGE_CASES = (
    "not-an-image", "html-renamed", "pdf-renamed", "random-bytes", "truncated-jpeg",
    "truncated-png", "corrupt-png", "zero-byte", "one-pixel", "small", "bomb", "bigger-bomb",
    "animated-gif", "cmyk", "sixteen-bit", "alpha", "palette-transparency", "exif-rotated",
    "non-ascii-name", "spaces-in-name", "mixed-name", "oversized", "duplicate", "too-many",
    "heic", "unsupported-format",
)
#: Warning keywords of the checks that make ``prepare_for_upload`` re-encode the picture.
CONVERTED = ("animated", "cmyk", "16 bits", "transparency")


def good_photos(count: int = 2) -> list[tuple[str, bytes]]:
    """Valid training photos, distinct from every corpus picture (seeds 100+)."""
    return [(f"good-{i}.jpg", photo(seed=100 + i)) for i in range(count)]


@dataclass(frozen=True)
class Expect:
    """What a message must contain: the input's name and the problem (lower case)."""

    label: str
    keyword: str

    def found_in(self, message: str) -> bool:
        """True when ``message`` names the input and the problem."""
        return self.label in message and self.keyword in message.lower()


@dataclass(frozen=True)
class ClientCall:
    """One client call with the bad value; the rest of the arguments are valid."""

    method: str  # "create_tune" or "create_prompt"
    kwargs: dict[str, Any]
    expect: Expect

    def run(self, client: Any) -> Any:
        """Make the call (``create_prompt`` goes to the gallery base tune)."""
        if self.method == "create_tune":
            args = {"name": "man", "branch": "fast", "title": "bad input",
                    "images": good_photos(), "prompts": [GOOD_PROMPT], **self.kwargs}
            return client.create_tune(**args)
        args = {"text": "ohwx man smiling", **self.kwargs}
        return client.create_prompt(GALLERY_TUNE, **args)


@dataclass(frozen=True)
class FieldCase:
    """A bad field value: how it gets into the form, and the same value through the client."""

    case: str
    touched: str  # the form input it changes: a field name or "prompts"
    put: Callable[[TuneForm], Any] = field(repr=False)
    form: Expect
    client: tuple[ClientCall, ...]


def typed(name: str, value: str) -> Callable[[TuneForm], None]:
    """The user types ``value`` into the field ``name``."""
    def put(form: TuneForm) -> None:
        form.fields[name].value = value
    return put


def given(name: str, value: Any) -> Callable[[TuneForm], None]:
    """The notebook code passes ``value`` with ``form.set_values`` (as ``TuneForm(...)`` does)."""
    return lambda form: form.set_values(**{name: value})


def prompt(text: str = "ohwx man, smiling", **options: Any) -> Callable[[TuneForm], Any]:
    """A second prompt row is added with ``text`` and ``options``."""
    return lambda form: form.add_prompt(text, **options)


def tune(label: str, keyword: str, **kwargs: Any) -> ClientCall:
    """``create_tune(**kwargs)`` on otherwise valid arguments."""
    return ClientCall("create_tune", kwargs, Expect(label, keyword))


def tune_prompt(label: str, keyword: str, **attributes: Any) -> ClientCall:
    """``create_tune(prompts=[good, bad])`` with the bad prompt's attributes."""
    bad = {"text": "ohwx man, smiling", **attributes}
    return ClientCall("create_tune", {"prompts": [GOOD_PROMPT, bad]}, Expect(label, keyword))


def base_prompt(label: str, keyword: str, **kwargs: Any) -> ClientCall:
    """``create_prompt(GALLERY_TUNE, **kwargs)``."""
    return ClientCall("create_prompt", kwargs, Expect(label, keyword))


def _prompt_case(case: str, form_keyword: str, tune_label: str, label: str, keyword: str,
                 tune_keyword: str | None = None, **attributes: Any) -> FieldCase:
    """A bad prompt: in the form, in ``create_tune(prompts=...)`` (checked by the client's
    parameter catalogue: ``tune_keyword``) and in ``create_prompt`` (the service's 422)."""
    text = attributes.pop("text", "ohwx man, smiling")
    return FieldCase(
        case, "prompts", prompt(text, **attributes), Expect("prompt 2:", form_keyword),
        (tune_prompt(tune_label, tune_keyword or keyword, text=text, **attributes),
         base_prompt(label, keyword, text=text, **attributes)),
    )


def _num(case: str, value: Any, form_keyword: str, keyword: str, tune_keyword: str) -> FieldCase:
    return _prompt_case(case, form_keyword, "prompts[1][num_images]", "num_images",
                        keyword, tune_keyword, num_images=value)


def _seed(case: str, value: Any, form_keyword: str, keyword: str, tune_keyword: str
          ) -> FieldCase:
    return _prompt_case(case, form_keyword, "prompts[1][seed]", "seed", keyword, tune_keyword,
                        seed=value)


def _text(case: str, value: str) -> FieldCase:
    return _prompt_case(case, "text is required", "prompts[1]", "text:", "empty", text=value)


def _callback(case: str, value: str) -> FieldCase:
    return FieldCase(case, "callback", typed("callback", value),
                     Expect("callback:", "http(s)://"),
                     (tune("callback:", "http(s):// url with a host", callback=value),))


def _choice(case: str, name: str, value: str, keyword: str) -> FieldCase:
    return FieldCase(case, name, given(name, value), Expect(f"{name}:", f"{value!r} is not one of"),
                     (tune(name, keyword, **{name: value}),))


FIELD_CASES: tuple[FieldCase, ...] = (
    FieldCase("title-empty", "title", typed("title", ""), Expect("title:", "is required"),
              (tune("title:", "empty", title=""),)),
    FieldCase("title-whitespace", "title", typed("title", "  \t "),
              Expect("title:", "is required"), (tune("title:", "empty", title="  \t "),)),
    FieldCase("title-too-long", "title", typed("title", "t" * 256),
              Expect("title:", "longer than 255"), (tune("title", "too long", title="t" * 256),)),
    FieldCase("name-empty", "name", typed("name", ""), Expect("name:", "is required"),
              (tune("name:", "empty", name=""),)),
    FieldCase("name-whitespace", "name", typed("name", " \n "), Expect("name:", "is required"),
              (tune("name:", "empty", name=" \n "),)),
    _text("prompt-empty", ""),
    _text("prompt-whitespace", "  \n\t "),
    FieldCase("token-with-spaces", "token", typed("token", "oh wx"),
              Expect("token:", "one word"), (tune("token:", "without spaces", token="oh wx"),)),
    # an id is read by the client's one id rule (record_id) in the form too
    FieldCase("base-tune-id-text", "base_tune_id", typed("base_tune_id", "flux1"),
              Expect("base_tune_id:", "not a numeric id"),
              (tune("base_tune_id:", "not a numeric id", base_tune_id="flux1"),)),
    FieldCase("base-tune-id-negative", "base_tune_id", typed("base_tune_id", "-5"),
              Expect("base_tune_id:", "positive numbers"),
              (tune("base_tune_id:", "positive", base_tune_id=-5),)),
    _callback("callback-not-a-url", "not a url"),
    _callback("callback-ftp", "ftp://example.org/hook"),
    _callback("callback-no-host", "https:///hook"),
    FieldCase("steps-negative", "steps", typed("steps", "-3"), Expect("steps:", "less than 1"),
              (tune("steps:", "positive whole number", steps=-3),)),
    FieldCase("steps-text", "steps", typed("steps", "lots"), Expect("steps:", "whole number"),
              (tune("steps:", "positive whole number", steps="lots"),)),
    FieldCase("steps-fraction", "steps", typed("steps", "1.5"), Expect("steps:", "whole number"),
              (tune("steps:", "positive whole number", steps=1.5),)),
    _num("num-images-0", 0, "between 1 and 8, not 0", "between 1 and 8", "outside 1...8"),
    _num("num-images-9", 9, "between 1 and 8, not 9", "between 1 and 8", "outside 1...8"),
    _num("num-images-text", "many", "whole number from 1 to 8", "integer", "whole number"),
    _seed("seed-too-big", 2**32, "seed must be between 0 and 4294967295", "between", "outside"),
    _seed("seed-negative", -7, "seed must be between 0 and 4294967295", "between", "outside"),
    _seed("seed-text", "abc", "seed must be a whole number", "integer", "whole number"),
    _prompt_case("aspect-ratio-unknown", "aspect ratio '7:5' is not one of",
                 "prompts[1][aspect_ratio]", "aspect_ratio",
                 "not included in the list", "'7:5' is not one of", aspect_ratio="7:5"),
    _choice("branch-unknown", "branch", "bogus", "not included in the list"),
    _choice("model-type-unknown", "model_type", "dreambooth", "not included in the list"),
    _choice("face-crop-unknown", "face_crop", "maybe", "true or false"),
)
