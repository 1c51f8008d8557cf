"""The digest message: the template (built-in, a deployment's, a broken one) and its samples."""

from __future__ import annotations

from smartcart.engine.reports.templating import Templates
from smartcart.slack.digest.ledger import FAILED
from smartcart.slack.digest.message import digest_samples
from smartcart.slack.settings import load_settings
from tests.support.digest_runs import SQLITE_ONLY, posts


@SQLITE_ONLY
def test_a_broken_template_fails_the_run_with_its_file_and_line(
    make_runner, digest_settings, slack_standin, tmp_path, monkeypatch
):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.md.j2").write_text("Customers: {{ customers|money }}\n{{ no_such_thing }}\n")
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(folder))
    result = make_runner(settings=load_settings()).run()
    assert result.state == FAILED and "digest.md.j2:2" in result.error
    assert not posts(slack_standin)


@SQLITE_ONLY
def test_a_deployment_template_is_used(make_runner, slack_standin, tmp_path, monkeypatch, trained):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.md.j2").write_text("Our own digest: {{ customers|money }} customers\n")
    monkeypatch.setenv("SMARTCART_TEMPLATES", str(folder))
    assert make_runner(settings=load_settings()).run().posted
    expected = f"Our own digest: {len(trained.data.customers):,} customers"
    assert expected in posts(slack_standin)[0].raw.decode()


def test_the_digest_template_renders_its_samples():
    templates = Templates()
    for name, cases in digest_samples().items():
        for context in cases.values():
            assert templates.check(name, **context) is None
