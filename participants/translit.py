"""A name key on which the same name in Cyrillic and in Latin letters compares equal.

Donors' staff write Kyrgyz and Russian names in Latin letters each in their own way ("Жеңишбек"
as Zhenishbek or Jenishbek, "Ковалёва" as Kovaleva or Kovalyova). ``latin_key`` transliterates
Cyrillic with one simple scheme and then reduces both alphabets' spellings with the same phonetic
simplifications, so that common variants collapse to one key. It is for *suggesting* duplicates
to a person who decides, never for matching automatically.

Deliberately not collapsed: vowels that differ in the Latin spelling itself ("Usenov" and
"Usonov" keep two keys; duplicate suggestions find them as names one letter apart), and the
feminine "-a" of a surname ("Иванов" and "Иванова" are two keys).
"""

import functools
import re
import unicodedata

from participants.normalize import fold

# One Latin spelling per Cyrillic letter (Russian and Kyrgyz); ё is already е after fold().
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "ң": "n",
    "о": "o",
    "ө": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ү": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ь": "",
    "ы": "y",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Ukrainian and Belarusian letters that turn up in Russian-speaking records.
    "і": "i",
    "ї": "i",
    "є": "e",
    "ў": "u",
}
_TRANSLITERATE = str.maketrans(_CYRILLIC)

# Applied in order to the Latin text; each collapses spellings of one sound.
_REDUCTIONS = (
    (re.compile(r"['`’ʼ‘\-]"), ""),  # apostrophes (for ь, ъ) and hyphens inside names
    (re.compile(r"shch|sch"), "sh"),  # щ
    (re.compile(r"dzh|dj|zh"), "j"),  # ж, дж: Zhenishbek, Jenishbek, Djamila
    (re.compile(r"kh"), "h"),  # х: Khasan, Hasan
    (re.compile(r"ng(?![aeiouy])"), "n"),  # ң before a consonant or at the end, written ng
    (re.compile(r"yo|jo"), "e"),  # ё written yo: Kovalyova, Kovaleva
    (re.compile(r"(?<![a-z])ye|(?<=[aeiou])ye"), "e"),  # е written ye: Yelena, Sergeyev
    (re.compile(r"ck"), "k"),
    (re.compile(r"c(?!h)"), "k"),  # Victor, Viktor
    (re.compile(r"x"), "ks"),  # Alexandr, Aleksandr
    (re.compile(r"q"), "k"),
    (re.compile(r"w"), "v"),
    (re.compile(r"y"), "i"),  # й, ы, and the y of ya/yu: Aygul, Aigul
    (re.compile(r"(.)\1+"), r"\1"),  # doubled letters: Mariia, Maria; Alla, Ala
)
_NOT_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r" +")


def _strip_accents(text: str) -> str:
    """Return Latin text without diacritics (ü→u, ö→o), leaving Cyrillic letters alone."""
    out = []
    for char in text:
        if "a" <= char <= "z" or char == " ":
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0]
        # Cyrillic letters with a diacritic (й) decompose too; keep them whole for the table.
        out.append(base if base.isascii() else char)
    return "".join(out)


# Names repeat a great deal (first names above all): each spelling is worked out once.
@functools.lru_cache(maxsize=65536)
def latin_key(text: str) -> str:
    """Return a folded Latin key of a name on which its common spellings compare equal."""
    latin = _strip_accents(fold(text)).translate(_TRANSLITERATE)
    for pattern, replacement in _REDUCTIONS:
        latin = pattern.sub(replacement, latin)
    return _SPACES.sub(" ", _NOT_LETTER.sub(" ", latin)).strip()


def is_cyrillic(text: str) -> bool:
    """Tell whether the text has more Cyrillic letters than Latin ones."""
    cyrillic = sum(1 for c in text if "\u0400" <= c <= "\u04ff")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return cyrillic > latin
