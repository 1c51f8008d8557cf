"""Playbooks: live numbers from the model's own figures, two renderings, safe templates."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from smartcart.engine.model.features import derive_features
from smartcart.engine.model.personas import PERSONAS, PERSONAS_BY_ID, Persona, resolve_persona
from smartcart.engine.reports.figures import (
    Figures,
    compute_figures,
    persona_numbers,
    preferred_channel,
    top_categories,
)
from smartcart.engine.reports.playbooks import (
    check_templates,
    playbook_template,
    render_playbook,
    split_title,
)
from smartcart.engine.reports.templating import TemplateProblem, Templates, money, percent, times
from smartcart.engine.training import TrainingOptions, TrainingResult, train
from smartcart.slack.mrkdwn import to_mrkdwn


def figures_of(result: TrainingResult) -> Figures:
    return compute_figures(result.model, result.data.customers)


@pytest.fixture(scope="module")
def trained_k(generated_file: Path, tmp_path_factory: pytest.TempPathFactory):
    """Models with fewer (3) and more (5) clusters than personas, trained once."""
    models = {}
    for k in (3, 5):
        folder = tmp_path_factory.mktemp(f"k{k}")
        models[k] = train(
            generated_file, folder, TrainingOptions(algorithm="kmeans", k=k, refits=2)
        )
    return models


def expected_lines(numbers: dict) -> list[str]:
    """The numbers as a playbook shows them (Markdown)."""
    categories = ", ".join(
        f"{c['category']} ({percent(c['share'], 0)} of their spend)"
        for c in numbers["top_categories"]
    )
    return [
        f"**Customers:** {numbers['size']:,} ({percent(numbers['share'])} of all customers)",
        f"**Share of revenue:** {percent(numbers['revenue_share'])}",
        f"**Average spend (2 years):** {money(numbers['avg_spend'])} · "
        f"**average income:** {money(numbers['avg_income'])}",
        f"**Campaign response:** {percent(numbers['response_rate'])} "
        f"({times(numbers['lift'])} the average customer)",
        f"**Top categories:** {categories}",
        f"**Preferred channel:** {numbers['preferred_channel']}",
    ]


def as_mrkdwn(line: str) -> str:
    return line.replace("**", "*")


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.id)
def test_every_persona_renders_both_ways_with_the_models_figures(trained, persona):
    figures = figures_of(trained)
    (segment,) = figures.persona(persona.id)
    book = render_playbook(Templates(), persona, figures)
    for key in ("size", "share", "revenue_share", "avg_spend", "avg_income", "response_rate"):
        assert book.numbers[key] == segment[key]
    assert book.numbers["lift"] == pytest.approx(
        segment["response_rate"] / figures.base_response_rate
    )
    assert book.numbers["top_categories"] == segment["top_categories"]
    assert book.numbers["preferred_channel"] == segment["preferred_channel"]
    for line in expected_lines(segment | {"lift": segment["lift"]}):
        assert f"- {line}\n" in book.markdown
        assert f"• {as_mrkdwn(line)}\n" in to_mrkdwn(book.markdown)
    assert book.markdown.startswith(f"# {persona.name}: campaign playbook\n")
    assert to_mrkdwn(book.markdown).startswith(f"*{persona.name}: campaign playbook*\n")
    assert persona.next_action in book.markdown and persona.next_action in to_mrkdwn(book.markdown)
    assert "Since the last digest" not in book.markdown
    assert (
        "**" not in to_mrkdwn(book.markdown)
        and "\n#" not in to_mrkdwn(book.markdown)
        and "\n- " not in to_mrkdwn(book.markdown)
    )


def test_the_study_offers_are_in_each_playbook(trained):
    offers = {
        "premium": ["VIP membership", "Early access", "Exclusive discounts"],
        "family_budget": ['"Buy 2 Get 1 Free"', "Family combo packs", "Seasonal promotions"],
        "digital_active": [
            "App notifications",
            "Personalised recommendations",
            "Limited-time online offers",
        ],
        "moderate_loyal": ["Reward points", "Cross-selling", '"Spend more, earn more"'],
    }
    figures = figures_of(trained)
    for persona_id, names in offers.items():
        markdown = render_playbook(Templates(), PERSONAS_BY_ID[persona_id], figures).markdown
        for section in ("## Who they are", "## Goal", "## Channels", "## KPIs to watch"):
            assert section in markdown
        for name in names:
            assert f"**{name}" in markdown, (persona_id, name)


def test_several_segments_of_a_persona_are_summed(trained_k):
    result = trained_k[5]
    figures = figures_of(result)
    persona_id = next(p.id for p in PERSONAS if len(figures.persona(p.id)) > 1)
    segments = figures.persona(persona_id)
    numbers = persona_numbers(figures, persona_id)
    sizes = [s["size"] for s in segments]
    assert numbers["size"] == sum(sizes)
    assert numbers["share"] == pytest.approx(sum(s["share"] for s in segments))
    assert numbers["revenue_share"] == pytest.approx(sum(s["revenue_share"] for s in segments))
    # Against the customers themselves, not the per-segment figures:
    customers = result.data.customers.reset_index(drop=True)
    features = derive_features(customers, result.model.as_of).reset_index(drop=True)
    clusters = {s["cluster"] for s in segments}
    from smartcart.engine.scoring.scoring import score

    members = score(result.model, customers)["cluster"].isin(clusters).to_numpy()
    assert members.sum() == numbers["size"]
    assert numbers["avg_spend"] == pytest.approx(features["TotalSpending"][members].mean())
    # A customer without a known income counts with their segment's average income.
    assert numbers["avg_income"] == pytest.approx(features["Income"][members].mean(), rel=1e-3)
    rate = customers["Response"][members].mean()
    assert numbers["response_rate"] == pytest.approx(rate)
    assert numbers["lift"] == pytest.approx(rate / customers["Response"].mean())
    expected = top_categories(features[members])
    assert [c["category"] for c in numbers["top_categories"]] == [c["category"] for c in expected]
    for got, want in zip(numbers["top_categories"], expected, strict=True):
        assert got["share"] == pytest.approx(want["share"])
    assert numbers["preferred_channel"] == preferred_channel(features[members])
    book = render_playbook(Templates(), PERSONAS_BY_ID[persona_id], figures)
    assert f"**Customers:** {numbers['size']:,} (" in book.markdown
    assert "the figures above are their total" in book.markdown
    assert all(s["name"] in book.markdown for s in segments)


def test_a_persona_without_a_segment_gets_the_no_customers_version(trained_k):
    figures = figures_of(trained_k[3])
    (missing,) = figures.missing_personas
    book = render_playbook(Templates(), PERSONAS_BY_ID[missing], figures)
    assert book.numbers is None
    assert "> **No customers in this persona in the current model.**" in book.markdown
    assert "> *No customers in this persona in the current model.*" in to_mrkdwn(book.markdown)
    assert f"has 3 segments and none of them is {PERSONAS_BY_ID[missing].short}" in book.markdown
    assert "**Customers:**" not in book.markdown
    assert PERSONAS_BY_ID[missing].next_action in to_mrkdwn(book.markdown)


def test_change_since_the_last_digest_shows_only_when_given(trained):
    figures = figures_of(trained)
    persona = PERSONAS_BY_ID["premium"]
    assert "Since the last digest" not in render_playbook(Templates(), persona, figures).markdown
    change = {"size": 25, "share_points": 1.5}
    book = render_playbook(Templates(), persona, figures, change=change)
    assert "## Since the last digest\n- **Customers:** +25 (+1.5 points of customer share)" in (
        book.markdown
    )
    assert "*Since the last digest*\n• *Customers:* +25 (+1.5 points" in to_mrkdwn(book.markdown)
    lost = render_playbook(Templates(), persona, figures, change={"size": -3, "share_points": -0.2})
    assert "- **Customers:** -3 (-0.2 points of customer share)" in lost.markdown


# ----------------------------------------------------------------------------------------------
# Markdown -> mrkdwn


def test_split_title_takes_the_leading_heading():
    assert split_title("# The **title**\n\nbody\n") == ("The title", "\nbody\n")
    assert split_title("## Not a title\nbody") == (None, "## Not a title\nbody")


# ----------------------------------------------------------------------------------------------
# Templates: built-in check, hostile, broken, override, fallback, last good


def write_playbook(folder: Path, persona_id: str, text: str) -> Path:
    path = folder / playbook_template(persona_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = path.stat().st_mtime + 2  # Jinja reloads a template whose mtime changed
    os.utime(path, (stamp, stamp))
    return path


def test_the_builtin_templates_pass_the_check():
    assert check_templates(Templates()) == []


HOSTILE = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ ''|attr('__class__') }}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ persona.__class__ }}",
    "{{ numbers.__class__.__init__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ config }}",
    "{{ request.application.__globals__ }}",
]


@pytest.mark.parametrize("line", HOSTILE)
def test_a_hostile_template_is_refused_naming_file_and_line(tmp_path, trained, line):
    path = write_playbook(tmp_path, "premium", f"# Premium\n\nHello\n{line}\n")
    templates = Templates(tmp_path)
    with pytest.raises(TemplateProblem) as refused:
        render_playbook(templates, PERSONAS_BY_ID["premium"], figures_of(trained))
    assert f"{path}:4: " in str(refused.value)
    # Past the file and line (a path may hold anything, e.g. pytest-xdist's "popen-gw1").
    reason = str(refused.value).removeprefix(f"{path}:4: ")
    assert "<class" not in reason and "popen" not in reason
    assert [p for p in check_templates(templates) if p.startswith(f"{path}:4: ")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# P\n\n{{ numbers.sizee }}\n", 3, "no attribute 'sizee'"),
        ("# P\n{{ persona.nmae }}\n", 2, "no attribute 'nmae'"),
        ("# P\n\n\n{{ undefined_name }}\n", 4, "'undefined_name' is undefined"),
        ("# P\n{% if numbers %}\nunclosed\n", 3, "Unexpected end of template"),
        ("# P\n{{ numbers.size|nosuchfilter }}\n", 2, "No filter named 'nosuchfilter'"),
        ("# P\n\n{{ numbers.sise|money }}\n", 3, "no attribute 'sise'"),
        ("# P\n{{ numbers.size / 0 }}\n", 2, "ZeroDivisionError"),
        ("# P\n{{ persona.name + 1 }}\n", 2, "TypeError"),
    ],
)
def test_a_broken_template_is_reported_with_file_and_line(tmp_path, trained, text, line, message):
    path = write_playbook(tmp_path, "premium", text)
    templates = Templates(tmp_path)
    (problem,) = check_templates(templates)
    assert problem.startswith(f"{path}:{line}: ") and message in problem
    with pytest.raises(TemplateProblem, match=f"{path}:{line}: "):
        render_playbook(templates, PERSONAS_BY_ID["premium"], figures_of(trained))


def test_a_typo_in_a_branch_is_caught_by_the_check(tmp_path):
    text = "# P\n{% if numbers %}\nfine\n{% else %}\n{{ model.verison }}\n{% endif %}\n"
    path = write_playbook(tmp_path, "premium", text)
    (problem,) = check_templates(Templates(tmp_path))
    assert problem.startswith(f"{path}:5: ") and "'verison'" in problem
    assert problem.endswith("[for a persona with no segment in the model (numbers is none)]")


def test_a_template_that_forgets_the_absent_persona_is_reported(tmp_path):
    path = write_playbook(tmp_path, "premium", "# P\n\n{{ numbers.size }} customers\n")
    (problem,) = check_templates(Templates(tmp_path))
    assert problem.startswith(f"{path}:3: ") and "numbers is none" in problem


def test_other_templates_are_compiled_or_rendered_with_given_samples(tmp_path):
    (tmp_path / "digest.md.j2").write_text("Digest\n{{ anything_goes }}\n")
    (tmp_path / "digest_broken.md.j2").write_text("Digest\n\n{% for x in %}\n")
    templates = Templates(tmp_path)
    problems = check_templates(templates)
    assert problems == [p for p in problems if "digest_broken.md.j2:3: " in p] and problems
    samples = {"digest.md.j2": {"": {"something_else": 1}}}
    with_samples = check_templates(templates, samples)
    assert any("digest.md.j2:2: " in p and "anything_goes" in p for p in with_samples)


def test_a_deployment_folder_overrides_and_the_rest_falls_back(tmp_path, trained):
    text = "# Our own premium plan\n\n{{ numbers.size|number if numbers else 'No' }} VIPs\n"
    write_playbook(tmp_path, "premium", text)
    templates = Templates(tmp_path)
    figures = figures_of(trained)
    premium = render_playbook(templates, PERSONAS_BY_ID["premium"], figures)
    (segment,) = figures.persona("premium")
    assert premium.markdown == f"# Our own premium plan\n\n{segment['size']:,} VIPs\n"
    family = render_playbook(templates, PERSONAS_BY_ID["family_budget"], figures)
    assert (
        family.markdown
        == render_playbook(Templates(), PERSONAS_BY_ID["family_budget"], figures).markdown
    )
    assert templates.origin(playbook_template("family_budget")).parent.parent.name == "templates"
    assert check_templates(templates) == []


def test_the_last_good_version_is_served_after_a_break(tmp_path, trained, caplog):
    persona = PERSONAS_BY_ID["premium"]
    figures = figures_of(trained)
    write_playbook(tmp_path, "premium", "# Good\n\n{{ numbers.size }} customers\n")
    templates = Templates(tmp_path)
    good = render_playbook(templates, persona, figures).markdown
    path = write_playbook(tmp_path, "premium", "# Broken\n\n{{ numbers.size }\n")
    with caplog.at_level(logging.WARNING, logger="smartcart.engine.reports.templating"):
        again = render_playbook(templates, persona, figures).markdown
    assert again == good
    assert f"{path}:3" in caplog.text and "last good" in caplog.text
    assert [p for p in check_templates(templates) if p.startswith(f"{path}:3: ")]
    with pytest.raises(TemplateProblem):  # a fresh process has no good version to fall back on
        render_playbook(Templates(tmp_path), persona, figures)


# ----------------------------------------------------------------------------------------------
# Naming a persona


@pytest.mark.parametrize(
    ("text", "persona_id"),
    [
        ("premium", "premium"),
        ("High-Value Premium Customers", "premium"),
        ("high value premium customers", "premium"),
        ("prem", "premium"),
        ("C0", "premium"),
        ("family-budget", "family_budget"),
        ("Family Budget Shoppers", "family_budget"),
        ("c2", "digital_active"),
        ("moderate", "moderate_loyal"),
    ],
)
def test_a_persona_by_id_name_short_name_label_or_prefix(text, persona_id):
    assert resolve_persona(text).id == persona_id


def test_an_ambiguous_or_unknown_persona_lists_the_choices():
    plus = Persona("premium_plus", "Premium Plus Members", "Premium Plus", "C4", "New.", "Call.")
    with pytest.raises(LookupError, match="'prem' could mean premium, premium_plus; choose"):
        resolve_persona("prem", [*PERSONAS, plus])
    assert resolve_persona("premium", [*PERSONAS, plus]).id == "premium"
    with pytest.raises(LookupError, match="no persona 'gold'; choose one of: premium, family_"):
        resolve_persona("gold")
