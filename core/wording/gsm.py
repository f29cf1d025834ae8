"""The GSM-7 alphabet an SMS is kept to, and plain forms of the typographic characters it lacks: one curly
quote would force a whole SMS into UCS-2 (70 characters a segment instead of 160). The wording module renders
SMS in it; the Twilio sender keeps any other SMS text to it too."""

from __future__ import annotations

import re
import unicodedata

GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # in the alphabet, but two septets each
PLAIN = str.maketrans({  # typographic characters GSM-7 lacks, and their plain forms
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4", "'"),  # curly single quotes, prime, acute
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),  # curly double quotes, guillemets
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),  # hyphens, dashes, minus sign
    **dict.fromkeys("\u00a0\u2002\u2003\u2007\u2009\u200a\u202f\t", " "),  # odd spaces, tab
    **dict.fromkeys("\u200b\u200c\u200d\ufeff`", ""),  # zero-width characters, markdown backticks
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u00d7": "x", "\u00f7": "/", "\u2265": ">=", "\u2264": "<=",
    "\u2260": "!=", "\u2192": "->", "\u2190": "<-", "\u00b1": "+/-", "\u2122": "TM", "\u00a9": "(c)",
    "\u00ae": "(R)", "\u00a2": "c",
})
WIDE_GAP = re.compile(r" {3,}")


def gsm_friendly(text: str) -> str:
    """``text`` in the GSM-7 alphabet where a plain character says the same: curly quotes, dashes, ellipses and
    odd spaces made plain, accents dropped where GSM-7 lacks the letter, backticks removed, aligned columns
    closed up. What has no plain form (emoji, other scripts) stays: that message needs UCS-2 anyway."""
    text = text.translate(PLAIN)
    plain = []
    for char in text:
        if char not in GSM7 and char not in GSM7_EXTENDED:
            bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            if bare and all(c in GSM7 for c in bare):
                char = bare
        plain.append(char)
    lines = ("".join(plain)).split("\n")
    return "\n".join(WIDE_GAP.sub("  ", line.strip()) for line in lines).strip()


def gsm7(text: str) -> str:
    """``text`` strictly in the GSM-7 alphabet: made plain as ``gsm_friendly`` does, and any character still
    outside it (emoji, other scripts) replaced by "?", so the SMS never needs UCS-2."""
    return "".join(c if c in GSM7 or c in GSM7_EXTENDED else "?" for c in gsm_friendly(text))
