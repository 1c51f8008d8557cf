"""The built-in templates, shipped as the package `smartcart_templates` (see setup.py).

Not a template: this file only makes the folder a package, so that an installed wheel carries
the templates and `importlib.resources` finds them from any working directory.
"""
