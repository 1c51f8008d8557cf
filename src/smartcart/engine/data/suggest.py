"""The draft of a mapping file: `smartcart mapping suggest FILE > mapping.toml`.

Your columns are matched to the contract's (same name up to case and separators, else a close
name: similar spelling or shared words), each pair chosen once for the best overall match;
category and 0/1 values that are not contract values get a guess where a common spelling is
known; the date format that reads every date is proposed; what is missing is said in comments.
"""

from __future__ import annotations

import difflib
import json
import re

from smartcart.engine.data import schema
from smartcart.engine.data.mapping import contract_values

# Words people use for the parts of the contract's names (matched after lower-casing and
# dropping a plural s). A contract column matches your column on the words they share.
SYNONYMS = {
    "id": {"id", "ref", "reference", "key", "code", "number", "no", "nr"},
    "year": {"year", "yob"},
    "birth": {"birth", "born", "birthyear", "yob"},
    "education": {"education", "degree", "qualification", "edu", "schooling"},
    "marital": {"marital", "civil", "relationship", "family"},
    "status": {"status", "state"},
    "income": {"income", "salary", "earning", "household"},
    "kidhome": {"kid", "child", "children", "small", "young", "kidhome"},
    "teenhome": {"teen", "teenager", "adolescent", "teenhome"},
    "dt": {"date", "since", "enrol", "enrolment", "enrollment", "enrolled", "joined", "signup"},
    "customer": {"customer", "client", "member"},
    "recency": {"recency", "last", "day", "since", "recent"},
    "mnt": {"mnt", "spend", "spent", "spending", "amount", "revenue", "sale", "sales"},
    "wine": {"wine"},
    "fruit": {"fruit"},
    "meat": {"meat"},
    "fish": {"fish", "seafood"},
    "sweet": {"sweet", "candy", "confectionery"},
    "gold": {"gold", "premium", "luxury"},
    "product": {"product", "prod"},
    "prod": {"product", "prod"},
    "num": {"num", "number", "count", "nb", "n", "total"},
    "deal": {"deal", "discount", "promo", "promotion"},
    "purchase": {"purchase", "order", "buy", "bought"},
    "web": {"web", "online", "website", "internet", "site"},
    "catalog": {"catalog", "catalogue", "mail"},
    "store": {"store", "shop", "instore", "offline"},
    "visit": {"visit", "session"},
    "month": {"month", "monthly"},
    "accepted": {"accepted", "accept", "acceptance", "responded"},
    "cmp": {"cmp", "campaign", "camp", "offer"},
    "complain": {"complain", "complaint", "complained"},
    "response": {"response", "responded", "respond", "reply"},
}
MATCH_THRESHOLD = 0.5
DATE_FORMAT_GUESSES = (
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y%m%d",
    "%m/%d/%y",
    "%d/%m/%y",
)
# Common ways of writing the contract's category values (lower-cased), for the draft's guesses.
VALUE_SYNONYMS = {
    "Education": {
        "Graduation": {"bachelor", "bachelors", "bsc", "ba", "graduate", "undergraduate", "degree"},
        "Master": {"masters", "msc", "ma", "mba", "postgraduate"},
        "PhD": {"doctorate", "doctoral", "dr", "phd"},
        "2n Cycle": {"associate", "2nd cycle", "second cycle", "vocational", "college"},
        "Basic": {"high school", "secondary", "primary", "school", "none", "basic education"},
    },
    "Marital_Status": {
        "Together": {"cohabiting", "living together", "partner", "partnered", "cohabitant"},
        "Married": {"wed", "spouse", "civil union", "civil partnership"},
        "Single": {"never married", "unmarried"},
        "Divorced": {"separated", "divorcee"},
        "Widow": {"widowed", "widower"},
        "Alone": {"lives alone", "living alone"},
    },
}
YES_WORDS = {"yes", "y", "true", "t", "oui", "ja", "si"}
NO_WORDS = {"no", "n", "false", "f", "non", "nein"}


def words(name: str) -> list[str]:
    """`MntWines` -> [mnt, wine]; `spend_wines` -> [spend, wine]; `AcceptedCmp1` -> [accepted, cmp, 1]."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", name)
    return [_stem(w) for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _squashed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def name_similarity(contract: str, yours: str) -> float:
    """1 for the same name up to case and separators; else the better of difflib's ratio and
    the share of words the names have in common (contract words count with their synonyms)."""
    if _squashed(contract) == _squashed(yours):
        return 1.0
    ratio = difflib.SequenceMatcher(None, _squashed(contract), _squashed(yours)).ratio()
    contract_words = words(contract)
    your_words = set(words(yours))
    if not contract_words or not your_words:
        return ratio
    vocabulary = [SYNONYMS.get(w, {w}) | {w} for w in contract_words]
    covered_yours = sum(any(w in v for v in vocabulary) for w in your_words) / len(your_words)
    covered_contract = sum(bool(v & your_words) for v in vocabulary) / len(vocabulary)
    return max(0.95 * ratio, 0.9 * (0.6 * covered_yours + 0.4 * covered_contract))


def match_columns(file_columns: list[str]) -> dict[str, tuple[str, float]]:
    """Contract column -> (your column, similarity): the one-to-one pairing with the highest
    total similarity (scipy's assignment solver), pairs below MATCH_THRESHOLD left out."""
    from scipy.optimize import linear_sum_assignment

    contract = schema.PUBLISHED_COLUMNS
    if not file_columns:
        return {}
    scores = [[name_similarity(c, f) for f in file_columns] for c in contract]
    rows, cols = linear_sum_assignment(scores, maximize=True)
    return {
        contract[r]: (file_columns[c], scores[r][c])
        for r, c in zip(rows, cols, strict=True)
        if scores[r][c] >= MATCH_THRESHOLD
    }


def suggest_mapping(frame, source: str) -> str:
    """A draft mapping (TOML text) for a frame read with the file's own column names."""
    file_columns = [str(c) for c in frame.columns]
    matched = match_columns(file_columns)
    lines = [
        f"# Draft mapping for {source}, written by `smartcart mapping suggest`.",
        "# Check every entry, then: smartcart train --data FILE --mapping THIS_FILE",
        "",
        "[columns]  # contract column = the column in your file",
    ]
    for contract in schema.PUBLISHED_COLUMNS:
        if contract in matched:
            yours, score = matched[contract]
            how = "" if yours == contract else f"  # {_how(contract, yours, score)}"
            lines.append(f"{contract} = {_toml_string(yours)}{how}")
    missing = [c for c in schema.REQUIRED_COLUMNS if c not in matched]
    optional = [c for c in schema.OPTIONAL_COLUMNS if c not in matched]
    if missing:
        lines.append("# Still missing (required): name your column for each, or add it to the file")
        lines += [f'# {c} = ""' for c in missing]
    if optional:
        lines.append(f"# Not found (optional, used when present): {', '.join(optional)}")
    unused = sorted(set(file_columns) - {y for y, _ in matched.values()})
    if unused:
        lines.append(f"# Columns of yours not used: {', '.join(unused)}")
    lines += _value_sections(frame, matched)
    lines += _date_section(frame, matched)
    return "\n".join(lines) + "\n"


def _how(contract: str, yours: str, score: float) -> str:
    if score >= 1.0:
        return "same name up to case and separators"
    return f"close name ({score:.2f}): check it"


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _value_sections(frame, matched: dict[str, tuple[str, float]]) -> list[str]:
    lines = []
    for contract in [*schema.CATEGORY_COLUMNS, *schema.FLAG_COLUMNS]:
        if contract not in matched:
            continue
        allowed = contract_values(contract)
        counts = _value_counts(frame[matched[contract][0]])
        foreign = {v: n for v, n in counts.items() if v not in allowed}
        if not foreign:
            continue
        lines += ["", f"[values.{contract}]  # your value = contract value ({', '.join(allowed)})"]
        for value, count in sorted(foreign.items(), key=lambda item: -item[1]):
            guess = _value_guess(contract, value, allowed)
            if guess is None:
                lines.append(f'# {_toml_string(value)} = ""  # {count} customers: which value?')
            else:
                lines.append(f"{_toml_string(value)} = {_toml_string(guess)}  # {count} customers")
    return lines


def _value_counts(series) -> dict[str, int]:
    values = series.dropna()
    if values.dtype.kind == "f" and (values % 1 == 0).all():
        values = values.astype("int64")
    counts = values.astype(str).str.strip().value_counts()
    return {str(v): int(n) for v, n in counts.items() if str(v)}


def _value_guess(contract: str, value: str, allowed: tuple[str, ...]) -> str | None:
    lowered = value.lower()
    if contract in schema.FLAG_COLUMNS:
        return "1" if lowered in YES_WORDS else "0" if lowered in NO_WORDS else None
    for option in allowed:
        if option.lower() == lowered:
            return option
    for option, spellings in VALUE_SYNONYMS.get(contract, {}).items():
        if lowered in spellings:
            return option
    found = difflib.get_close_matches(lowered, [a.lower() for a in allowed], n=1, cutoff=0.75)
    return next(a for a in allowed if a.lower() == found[0]) if found else None


def _date_section(frame, matched: dict[str, tuple[str, float]]) -> list[str]:
    if "Dt_Customer" not in matched:
        return []
    series = frame[matched["Dt_Customer"][0]].dropna()
    if series.dtype.kind == "M" or series.empty:
        return []
    text = series.astype(str).str.strip()
    sample = text.sample(min(len(text), 5000), random_state=0) if len(text) > 5000 else text
    fits = [fmt for fmt in DATE_FORMAT_GUESSES if _parses_all(sample, fmt)]
    header = ["", "[dates]  # the format of your date column, strftime codes"]
    if not fits:
        return [*header, '# Dt_Customer = ""  # no usual format reads every date: which one?']
    if len(fits) == 1:
        return [*header, f"Dt_Customer = {_toml_string(fits[0])}"]
    options = " or ".join(fits)
    return [*header, f"Dt_Customer = {_toml_string(fits[0])}  # also fits {options}: check it"]


def _parses_all(text, fmt: str) -> bool:
    import pandas as pd

    return bool(pd.to_datetime(text, format=fmt, errors="coerce").notna().all())
