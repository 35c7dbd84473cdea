"""The sandbox reads integers by one rule (issue 18): requests, pack ids and typed settings."""

from __future__ import annotations

import pytest

from astria_widgets.sandbox import options
from astria_widgets.sandbox.scalars import to_int, whole_number


@pytest.mark.parametrize(("value", "number"), [
    (12, 12), ("12", 12), (" -3 ", -3), ("5.0", 5), (7.0, 7),
    ("1e3", None), ("5.5", None), (True, None), ("１２", None), ("٣", None), ("", None),
])
def test_requests_and_settings_read_integers_alike(value, number):
    assert whole_number(value) == number
    if isinstance(value, str):  # a setting typed on the command line: the same rule
        assert options.whole(value) == (value if number is None else number)
    if number is None:
        with pytest.raises(ValueError, match="must be an integer"):
            to_int(value)
    else:
        assert to_int(value) == number
