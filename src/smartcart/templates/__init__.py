"""The built-in templates (playbooks per persona, the digest), package data of `smartcart`.

Not a template: this file only makes the folder a package, so that `importlib.resources` finds
the templates from any working directory. A deployment points SMARTCART_TEMPLATES at its own
folder to override any of them.
"""
