"""English plurals and singulars exactly as npm ``pluralize`` 8 makes them (json-server uses it).

json-server derives foreign keys from resource names: ``/posts/1/comments`` filters comments on
``postId`` (``singular("posts") + "Id"``), ``_expand=user`` reads ``users``. The rules below are
pluralize's own tables, in its order (later rules win), so devserve derives the same names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Rule = tuple[re.Pattern[str], str]

_IRREGULAR = [
    ("I", "we"), ("me", "us"), ("he", "they"), ("she", "they"), ("them", "them"),
    ("myself", "ourselves"), ("yourself", "yourselves"), ("itself", "themselves"),
    ("herself", "themselves"), ("himself", "themselves"), ("themself", "themselves"),
    ("is", "are"), ("was", "were"), ("has", "have"), ("this", "these"), ("that", "those"),
    ("echo", "echoes"), ("dingo", "dingoes"), ("volcano", "volcanoes"), ("tornado", "tornadoes"),
    ("torpedo", "torpedoes"), ("genus", "genera"), ("viscus", "viscera"), ("stigma", "stigmata"),
    ("stoma", "stomata"), ("dogma", "dogmata"), ("lemma", "lemmata"), ("schema", "schemata"),
    ("anathema", "anathemata"), ("ox", "oxen"), ("axe", "axes"), ("die", "dice"),
    ("yes", "yeses"), ("foot", "feet"), ("eave", "eaves"), ("goose", "geese"),
    ("tooth", "teeth"), ("quiz", "quizzes"), ("human", "humans"), ("proof", "proofs"),
    ("carve", "carves"), ("valve", "valves"), ("looey", "looies"), ("thief", "thieves"),
    ("groove", "grooves"), ("pickaxe", "pickaxes"), ("passerby", "passersby"),
]  # fmt: skip
_PLURAL = [
    (r"s?$", "s"),
    (r"[^\u0000-\u007F]$", "$0"),
    (r"([^aeiou]ese)$", "$1"),
    (r"(ax|test)is$", "$1es"),
    (r"(alias|[^aou]us|t[lm]as|gas|ris)$", "$1es"),
    (r"(e[mn]u)s?$", "$1s"),
    (r"([^l]ias|[aeiou]las|[ejzr]as|[iu]am)$", "$1"),
    (r"(alumn|syllab|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat)(?:us|i)$",
     "$1i"),
    (r"(alumn|alg|vertebr)(?:a|ae)$", "$1ae"),
    (r"(seraph|cherub)(?:im)?$", "$1im"),
    (r"(her|at|gr)o$", "$1oes"),
    (r"(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi"
     r"|curricul|automat|quor)(?:a|um)$", "$1a"),
    (r"(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|hedr|automat)"
     r"(?:a|on)$", "$1a"),
    (r"sis$", "ses"),
    (r"(?:(kni|wi|li)fe|(ar|l|ea|eo|oa|hoo)f)$", "$1$2ves"),
    (r"([^aeiouy]|qu)y$", "$1ies"),
    (r"([^ch][ieo][ln])ey$", "$1ies"),
    (r"(x|ch|ss|sh|zz)$", "$1es"),
    (r"(matr|cod|mur|sil|vert|ind|append)(?:ix|ex)$", "$1ices"),
    (r"\b((?:tit)?m|l)(?:ice|ouse)$", "$1ice"),
    (r"(pe)(?:rson|ople)$", "$1ople"),
    (r"(child)(?:ren)?$", "$1ren"),
    (r"eaux$", "$0"),
    (r"m[ae]n$", "men"),
    (r"^thou$", "you"),
]  # fmt: skip
_SINGULAR = [
    (r"s$", ""),
    (r"(ss)$", "$1"),
    (r"(wi|kni|(?:after|half|high|low|mid|non|night|[^\w]|^)li)ves$", "$1fe"),
    (r"(ar|(?:wo|[ae])l|[eo][ao])ves$", "$1f"),
    (r"ies$", "y"),
    (r"\b([pl]|zomb|(?:neck|cross)?t|coll|faer|food|gen|goon|group|lass|talk|goal|cut)ies$",
     "$1ie"),
    (r"\b(mon|smil)ies$", "$1ey"),
    (r"\b((?:tit)?m|l)ice$", "$1ouse"),
    (r"(seraph|cherub)im$", "$1"),
    (r"(x|ch|ss|sh|zz|tto|go|cho|alias|[^aou]us|t[lm]as|gas|(?:her|at|gr)o|[aeiou]ris)(?:es)?$",
     "$1"),
    (r"(analy|diagno|parenthe|progno|synop|the|empha|cri|ne)(?:sis|ses)$", "$1sis"),
    (r"(movie|twelve|abuse|e[mn]u)s$", "$1"),
    (r"(test)(?:is|es)$", "$1is"),
    (r"(alumn|syllab|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat)(?:us|i)$",
     "$1us"),
    (r"(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi"
     r"|curricul|quor)a$", "$1um"),
    (r"(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|hedr|automat)"
     r"a$", "$1on"),
    (r"(alumn|alg|vertebr)ae$", "$1a"),
    (r"(cod|mur|sil|vert|ind)ices$", "$1ex"),
    (r"(matr|append)ices$", "$1ix"),
    (r"(pe)(rson|ople)$", "$1rson"),
    (r"(child)ren$", "$1"),
    (r"(eau)x?$", "$1"),
    (r"men$", "man"),
]  # fmt: skip
_UNCOUNTABLE_WORDS = frozenset(
    """
    adulthood advice agenda aid aircraft alcohol ammo analytics anime athletics audio bison
    blood bream buffalo butter carp cash chassis chess clothing cod commerce cooperation corps
    debris diabetes digestion elk energy equipment excretion expertise firmware flounder fun
    gallows garbage graffiti hardware headquarters health herpes highjinks homework housework
    information jeans justice kudos labour literature machinery mackerel mail media mews moose
    music mud manga news only personnel pike plankton pliers police pollution premises rain
    research rice salmon scissors series sewage shambles shrimp software species staff swine
    tennis traffic transportation trout tuna wealth welfare whiting wildebeest wildlife you
    """.split()  # noqa: SIM905 (the word list as pluralize has it, one line each)
)
# Uncountable patterns are added as rules that keep the word ("$0"), after the others.
_UNCOUNTABLE_RULES = [
    (r"pok[eé]mon$", "$0"), (r"[^aeiou]ese$", "$0"), (r"deer$", "$0"), (r"fish$", "$0"),
    (r"measles$", "$0"), (r"o[iu]s$", "$0"), (r"pox$", "$0"), (r"sheep$", "$0"),
]  # fmt: skip


def _compile(rules: list[tuple[str, str]]) -> list[Rule]:
    # JavaScript's `$` does not match before a final newline; `\Z` is its Python spelling.
    return [
        (re.compile(re.sub(r"\$(?=\)?$)", r"\\Z", pattern), re.IGNORECASE | re.ASCII), result)
        for pattern, result in rules
    ]


_PLURAL_RULES = _compile(_PLURAL + _UNCOUNTABLE_RULES)
_SINGULAR_RULES = _compile(_SINGULAR + _UNCOUNTABLE_RULES)
_SINGLE_TO_PLURAL = {single.lower(): plural for single, plural in _IRREGULAR}
_PLURAL_TO_SINGLE = {plural: single.lower() for single, plural in _IRREGULAR}


def _restore_case(word: str, token: str) -> str:
    if word == token:
        return token
    if word == word.lower():
        return token.lower()
    if word == word.upper():
        return token.upper()
    if word[:1] == word[:1].upper():
        return token[:1].upper() + token[1:].lower()
    return token.lower()


def _apply(word: str, rule: Rule) -> str:
    pattern, template = rule
    match = pattern.search(word)
    assert match is not None
    groups = [match.group(), *match.groups()]

    def group(ref: re.Match[str]) -> str:
        index = int(ref.group(1))
        return (groups[index] or "") if index < len(groups) else ""

    result = re.sub(r"\$(\d{1,2})", group, template)
    source = word[match.start() - 1] if match.group() == "" else match.group()
    return word[: match.start()] + _restore_case(source, result) + word[match.end() :]


def _inflector(
    replace: dict[str, str], keep: dict[str, str], rules: list[Rule]
) -> Callable[[str], str]:
    def inflect(word: str) -> str:
        token = word.lower()
        if token in keep:
            return _restore_case(word, token)
        if token in replace:
            return _restore_case(word, replace[token])
        if not token or token in _UNCOUNTABLE_WORDS:
            return word
        for rule in reversed(rules):
            if rule[0].search(word):
                return _apply(word, rule)
        return word

    return inflect


plural = lru_cache(maxsize=256)(_inflector(_SINGLE_TO_PLURAL, _PLURAL_TO_SINGLE, _PLURAL_RULES))
singular = lru_cache(maxsize=256)(_inflector(_PLURAL_TO_SINGLE, _SINGLE_TO_PLURAL, _SINGULAR_RULES))
