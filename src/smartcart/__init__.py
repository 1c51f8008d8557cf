"""SmartCart Segments: customer segments for marketing teams, in Slack.

`smartcart.engine` is the segmentation library, `smartcart.slack` the Bolt app, `smartcart.cli`
the command line. Data flows one way: cli -> slack -> engine.
"""
