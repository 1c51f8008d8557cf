"""Packaging details pyproject.toml cannot express (the rest of the metadata is there).

The built-in Jinja templates are edited in `templates/` at the top of the repository but ship
inside the distribution as the package `smartcart_templates` (package data), so an installed
wheel finds them with importlib.resources from any directory. pyproject's `packages.find`
cannot add a package whose folder has another name, hence this file.

The Alembic environments (`segmentation/migrations`, `bot/migrations`) are packages, their
`versions/` folders too, so `find_packages` ships env.py and every revision script in the wheel
(tests/test_packaging.py upgrades a database from an installed wheel).
"""

from setuptools import find_namespace_packages, find_packages, setup

TEMPLATES_PACKAGE = "smartcart_templates"
TEMPLATES_FOLDER = "templates"

template_packages = [
    TEMPLATES_PACKAGE,
    *(
        f"{TEMPLATES_PACKAGE}.{sub}"
        for sub in find_namespace_packages(where=TEMPLATES_FOLDER, exclude=["*__pycache__*"])
    ),
]

setup(
    packages=[*find_packages(include=["segmentation*", "bot*"]), *template_packages],
    package_dir={TEMPLATES_PACKAGE: TEMPLATES_FOLDER},
    package_data={
        "segmentation": ["*.toml"],
        **{package: ["*.j2"] for package in template_packages},
    },
)
