"""Tokenizer and kstrto* semantics of spec 1.2/1.3."""

import errno

import pytest

from scst_emulator.errors import ScstError
from scst_emulator.lexer import Cursor, c_strtol, kstrtobool, kstrtoint, kstrtol, kstrtoul


def lexems(text):
    cur, out = Cursor(text), []
    while True:
        word = cur.lexem()
        if not word:
            return out
        out.append(word)


@pytest.mark.parametrize("text", ["a=b", "a = b", "a b", "  a==b\n", "a\tb"])
def test_equal_sign_and_blanks_separate_lexems(text):
    assert lexems(text) == ["a", "b"]


def test_nul_ends_the_buffer():
    assert lexems("add x\0 y") == ["add", "x"]


def test_params_stop_silently_at_empty_token():
    assert list(Cursor("a=1;;b=2").params()) == [("a", "1")]
    assert list(Cursor(";a=1").params()) == []
    assert list(Cursor("a=1\nb=2").params()) == [("a", "1"), ("b", "2")]


@pytest.mark.parametrize("text", ["a", "a=", "a=1 2"])
def test_params_missing_value_or_too_many_values(text):
    with pytest.raises(ScstError) as exc:
        list(Cursor(text).params())
    assert exc.value.errno == errno.EINVAL


@pytest.mark.parametrize("text,value", [
    ("10", 10), ("010", 8), ("0x10", 16), ("0X1f", 31), ("+7", 7), ("0", 0),
    ("5\n", 5), ("18446744073709551615", 2**64 - 1),
])
def test_kstrtoul_base0(text, value):
    assert kstrtoul(text) == value


@pytest.mark.parametrize("text,err", [
    ("", errno.EINVAL), ("08", errno.EINVAL), ("1a", errno.EINVAL), (" 1", errno.EINVAL),
    ("1\n\n", errno.EINVAL), ("-1", errno.EINVAL), ("0x", errno.EINVAL),
    ("18446744073709551616", errno.ERANGE),
])
def test_kstrtoul_errors(text, err):
    with pytest.raises(ScstError) as exc:
        kstrtoul(text)
    assert exc.value.errno == err


def test_signed_variants():
    assert kstrtol("-1") == -1
    assert kstrtol("-010") == -8
    with pytest.raises(ScstError) as exc:
        kstrtoint("2147483648")
    assert exc.value.errno == errno.ERANGE
    assert kstrtoint("-2147483648") == -2**31


def test_kstrtobool():
    assert kstrtobool("1") and kstrtobool("Y") and kstrtobool("on")
    assert not kstrtobool("0") and not kstrtobool("n") and not kstrtobool("off")
    with pytest.raises(ScstError):
        kstrtobool("x")


@pytest.mark.parametrize("text,value", [("12abc", 12), ("abc", 0), ("-5", -5), ("0x1F", 31),
                                        ("010", 8), ("  42", 42)])
def test_c_strtol_without_error_detection(text, value):
    assert c_strtol(text) == value


def test_kstrtoul_matches_python_for_decimal_hex_octal():
    hypothesis = pytest.importorskip("hypothesis", reason="hypothesis not installed")
    st = hypothesis.strategies

    @hypothesis.given(st.integers(min_value=0, max_value=2**64 - 1),
                      st.sampled_from(["{:d}", "0x{:x}", "0{:o}"]))
    def check(value, fmt):
        text = fmt.format(value)
        if text == "00":
            text = "0"
        assert kstrtoul(text) == value

    check()
