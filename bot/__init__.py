"""The Slack side of SmartCart Segments: settings, answers, the Bolt app and its servers."""
